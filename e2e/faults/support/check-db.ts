// The suite's own view of the stored data, opened through the app's openDatabase so
// checkInvariants (test/support/invariants.ts) runs exactly as in the lead's tests.
import { openDatabase, type Database } from "../../../src/server/db/database";

export function openCheckDatabase(url: string): Database {
  return openDatabase({ url, pgliteDataDir: "memory://", poolSize: 2, connectTimeoutMs: 3000, queryTimeoutMs: 10_000, transactionTimeoutMs: 10_000 });
}

export interface KeyCount {
  key: string;
  n: number;
  value: string;
}

/** How many processed events carry each client key (payload attribute `ref`), per source. */
export async function countsByKey(db: Database, source: string): Promise<Map<string, KeyCount>> {
  const rows = await db.prisma.$queryRaw<{ key: string; n: number; value: string }[]>`
    SELECT attributes->>'ref' AS key, count(*)::int AS n, min(value)::text AS value
    FROM processed_event WHERE source = ${source} GROUP BY 1`;
  return new Map(rows.map((r) => [r.key, r]));
}

/** Raw events per status for one source. */
export async function rawStatuses(db: Database, source?: string): Promise<Record<string, number>> {
  const rows = source
    ? await db.prisma.$queryRaw<{ status: string; n: number }[]>`
        SELECT status::text AS status, count(*)::int AS n FROM raw_event_state WHERE source = ${source} GROUP BY 1`
    : await db.prisma.$queryRaw<{ status: string; n: number }[]>`
        SELECT status::text AS status, count(*)::int AS n FROM raw_event_state GROUP BY 1`;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Raw events of one client key, oldest first. */
export async function rawOfKey(db: Database, key: string): Promise<{ status: string; attempts: number }[]> {
  return db.prisma.$queryRaw<{ status: string; attempts: number }[]>`
    SELECT status::text AS status, attempts FROM raw_event_state WHERE idempotency_key = ${key} ORDER BY received_at, id`;
}

/**
 * How many processed events each idempotency key (an SDK's messageId or uuid) was counted as,
 * per source, with the value counted: through the raw event each processed event was made from.
 */
export async function countsByIdempotencyKey(db: Database, source: string): Promise<Map<string, KeyCount>> {
  const rows = await db.prisma.$queryRaw<{ key: string; n: number; value: string }[]>`
    SELECT r.idempotency_key AS key, count(*)::int AS n, min(p.value)::text AS value
    FROM processed_event p JOIN raw_event r ON r.id = p.raw_event_id
    WHERE p.source = ${source} GROUP BY 1`;
  return new Map(rows.map((r) => [r.key, r]));
}
