// The service's invariants (README "Failure model", Invariants) as queries over the stored data. Every storage test can end with
// `expect(await checkInvariants(db)).toEqual([])`.
import type { Database } from "../../src/server/db/database";

export interface Recomputed {
  source: string;
  metric: string;
  count: number;
  sum: string;
  min: string;
  max: string;
}

/** Returns a list of violations (empty when the data is consistent). */
export async function checkInvariants(db: Database): Promise<string[]> {
  const problems: string[] = [];
  const mismatched = await db.prisma.$queryRaw<{ source: string; metric: string; detail: string }[]>`
    WITH r AS (
      SELECT source, metric, count(*)::bigint AS count, sum(value) AS sum, min(value) AS min, max(value) AS max,
             min(occurred_at) AS first_seen_at, max(occurred_at) AS last_seen_at
      FROM processed_event GROUP BY source, metric)
    SELECT coalesce(a.source, r.source) AS source, coalesce(a.metric, r.metric) AS metric,
           format('rollup=(%s,%s,%s,%s) recomputed=(%s,%s,%s,%s)', a.count, a.sum, a.min, a.max, r.count, r.sum, r.min, r.max) AS detail
    FROM metric_aggregate a FULL JOIN r ON a.source = r.source AND a.metric = r.metric
    WHERE a.count IS DISTINCT FROM r.count OR a.sum IS DISTINCT FROM r.sum OR a.min IS DISTINCT FROM r.min
       OR a.max IS DISTINCT FROM r.max OR a.first_seen_at IS DISTINCT FROM r.first_seen_at
       OR a.last_seen_at IS DISTINCT FROM r.last_seen_at`;
  for (const m of mismatched) problems.push(`aggregate ${m.source}/${m.metric} disagrees: ${m.detail}`);

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
