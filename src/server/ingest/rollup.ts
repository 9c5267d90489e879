// The one statement that adds processed events to their (source, metric) rollup rows.
// Both write paths use it inside their processing transaction, after inserting the
// processed events, so a rollup row always equals a recomputation from processed events.
// Rows are touched once each, in key order: concurrent transactions cannot deadlock on them.
import { Prisma } from "../../generated/prisma/client";

/** INSERT … ON CONFLICT adding the processed events with these ids (a SQL fragment). */
export function addToRollupsSql(processedEventIds: (bigint | string)[]): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO metric_aggregate AS a (source, metric, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
    SELECT source, metric, count(*), sum(value), min(value), max(value), min(occurred_at), max(occurred_at), now()
    FROM processed_event WHERE id = ANY(${processedEventIds.map(String)}::bigint[])
    GROUP BY source, metric ORDER BY source, metric
    ON CONFLICT (source, metric) DO UPDATE SET
      count = a.count + EXCLUDED.count,
      sum = a.sum + EXCLUDED.sum,
      min = LEAST(a.min, EXCLUDED.min),
      max = GREATEST(a.max, EXCLUDED.max),
      first_seen_at = LEAST(a.first_seen_at, EXCLUDED.first_seen_at),
      last_seen_at = GREATEST(a.last_seen_at, EXCLUDED.last_seen_at),
      updated_at = now()`;
}
