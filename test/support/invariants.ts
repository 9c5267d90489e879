// The service's invariants (docs/write-path.md, "Failure model": invariants) as queries over the stored data. Every storage test can end with
// `expect(await checkInvariants(db)).toEqual([])`. The rollup part is the service's own check
// (src/server/aggregates/check-rollups.ts, `npm run aggregates:check`).
import { checkRollups, describeRollupDifference } from "../../src/server/aggregates/check-rollups";
import type { Database } from "../../src/server/db/database";
import { describeMeterDifference } from "../../src/server/meters/check-meters";

/** Returns a list of violations (empty when the data is consistent). */
export async function checkInvariants(db: Database): Promise<string[]> {
  const problems: string[] = [];
  const { differences, meters } = await checkRollups(db);
  for (const d of differences) problems.push(`aggregate ${describeRollupDifference(d)}`);
  // Every backfilled meter's rollups equal a recomputation from the processed events.
  for (const d of meters) problems.push(describeMeterDifference(d));

  // A processed event points at the raw event it was made from, which reads `counted`.
  const orphans = await db.prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM processed_event p LEFT JOIN raw_event_state r ON r.id = p.raw_event_id
    WHERE p.raw_event_id IS NOT NULL AND (r.id IS NULL OR r.status <> 'counted' OR r.processed_event_id IS DISTINCT FROM p.id)`;
  // A null raw_event_id is a raw event pruned by retention (RAW_RETENTION_DAYS): allowed.
  if (Number(orphans[0]?.n ?? 0) > 0) problems.push(`${orphans[0]?.n} processed events without a matching counted raw event`);

  // Each raw event is in exactly one place: pending, decided (an outcome row), or counted on
  // its first try (neither, and a processed event made from it).
  const misplaced = await db.prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM raw_event r
    LEFT JOIN raw_event_pending q ON q.raw_event_id = r.id
    LEFT JOIN raw_event_outcome o ON o.raw_event_id = r.id
    LEFT JOIN processed_event p ON p.raw_event_id = r.id
    WHERE (q.raw_event_id IS NOT NULL AND (o.raw_event_id IS NOT NULL OR p.id IS NOT NULL))
       OR (q.raw_event_id IS NULL AND o.raw_event_id IS NULL AND p.id IS NULL)
       OR (o.status = 'received')
       OR (o.status = 'counted' AND (p.id IS NULL OR o.processed_event_id IS DISTINCT FROM p.id))
       OR (o.status <> 'counted' AND p.id IS NOT NULL)`;
  if (Number(misplaced[0]?.n ?? 0) > 0) problems.push(`${misplaced[0]?.n} raw events not in exactly one of pending, outcome, counted`);

  const unlinked = await db.prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM raw_event_state
    WHERE (status IN ('counted', 'deduplicated') AND (processed_event_id IS NULL OR dedup_key IS NULL))
       OR (status IN ('received', 'rejected', 'failed', 'not_counted') AND processed_event_id IS NOT NULL)
       OR (status IN ('rejected', 'failed') AND reason IS NULL)`;
  if (Number(unlinked[0]?.n ?? 0) > 0) problems.push(`${unlinked[0]?.n} raw events whose status and links disagree`);
  return problems;
}

/** Raw events per status, for assertions like `{ counted: 1, deduplicated: 2 }`. */
export async function rawStatusCounts(db: Database): Promise<Record<string, number>> {
  const rows = await db.prisma.rawEventState.groupBy({ by: ["status"], _count: { _all: true } });
  return Object.fromEntries(rows.map((r) => [r.status, r._count._all]));
}
