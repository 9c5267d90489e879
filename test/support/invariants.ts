// The service's invariants (README "Failure model", Invariants) as queries over the stored data. Every storage test can end with
// `expect(await checkInvariants(db)).toEqual([])`. The rollup part is the service's own check
// (src/server/aggregates/check-rollups.ts, `npm run aggregates:check`).
import { checkRollups, describeRollupDifference } from "../../src/server/aggregates/check-rollups";
import type { Database } from "../../src/server/db/database";

/** Returns a list of violations (empty when the data is consistent). */
export async function checkInvariants(db: Database): Promise<string[]> {
  const problems: string[] = [];
  const { differences } = await checkRollups(db);
  for (const d of differences) problems.push(`aggregate ${describeRollupDifference(d)}`);

  const orphans = await db.prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM processed_event p LEFT JOIN raw_event r ON r.id = p.raw_event_id
    WHERE p.raw_event_id IS NOT NULL AND (r.id IS NULL OR r.status <> 'processed' OR r.processed_event_id IS DISTINCT FROM p.id)`;
  // A null raw_event_id is a raw event pruned by retention (RAW_RETENTION_DAYS): allowed.
  if (Number(orphans[0]?.n ?? 0) > 0) problems.push(`${orphans[0]?.n} processed events without a matching processed raw event`);

  const unlinked = await db.prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM raw_event
    WHERE (status IN ('processed', 'duplicate') AND (processed_event_id IS NULL OR dedup_key IS NULL))
       OR (status IN ('received', 'rejected', 'failed', 'not_counted') AND processed_event_id IS NOT NULL)
       OR (status IN ('rejected', 'failed') AND reason IS NULL)`;
  if (Number(unlinked[0]?.n ?? 0) > 0) problems.push(`${unlinked[0]?.n} raw events whose status and links disagree`);
  return problems;
}

/** Raw events per status, for assertions like `{ processed: 1, duplicate: 2 }`. */
export async function rawStatusCounts(db: Database): Promise<Record<string, number>> {
  const rows = await db.prisma.rawEvent.groupBy({ by: ["status"], _count: { _all: true } });
  return Object.fromEntries(rows.map((r) => [r.status, r._count._all]));
}
