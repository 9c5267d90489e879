// The statements that add processed events to their rollup rows: the all-time row per
// (source, metric) and the row per (source, metric, hour). Both write paths use them inside
// their processing transaction, after inserting the processed events, so every rollup row
// always equals a recomputation from processed events. Rows are touched once each, in key
// order, and the two tables always in the same order (one statement): concurrent
// transactions cannot deadlock on them.
import { Prisma } from "../../generated/prisma/client";

/**
 * The hour an event is counted in: the start of the UTC hour of its own time (occurred_at: the
 * payload's timestamp, else its capture time). UTC explicitly, so the session's time zone (a
 * half-hour zone would shift every hour) never changes which row an event lands in.
 */
export const hourOfOccurrenceSql = Prisma.raw(`date_trunc('hour', occurred_at, 'UTC')`);

/** How a rollup row `a` (all-time or hourly) takes in the rollup of new events (EXCLUDED). */
const absorbNewEvents = Prisma.raw(`
        count = a.count + EXCLUDED.count,
        sum = a.sum + EXCLUDED.sum,
        min = LEAST(a.min, EXCLUDED.min),
        max = GREATEST(a.max, EXCLUDED.max),
        first_seen_at = LEAST(a.first_seen_at, EXCLUDED.first_seen_at),
        last_seen_at = GREATEST(a.last_seen_at, EXCLUDED.last_seen_at),
        updated_at = now()`);

/**
 * The two rollup upserts as CTEs of the processing statement (`WITH …, agg AS (…), agg_hour AS (…)`),
 * adding the processed events with these ids.
 */
export function addToRollupsCtes(processedEventIds: (bigint | string)[]): Prisma.Sql {
  const ids = processedEventIds.map(String);
  return Prisma.sql`
    agg AS (
      INSERT INTO metric_aggregate AS a (source, metric, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
      SELECT source, metric, count(*), sum(value), min(value), max(value), min(occurred_at), max(occurred_at), now()
      FROM processed_event WHERE id = ANY(${ids}::bigint[])
      GROUP BY source, metric ORDER BY source, metric
      ON CONFLICT (source, metric) DO UPDATE SET ${absorbNewEvents}),
    agg_hour AS (
      INSERT INTO metric_aggregate_hour AS a (source, metric, hour, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
      SELECT source, metric, ${hourOfOccurrenceSql}, count(*), sum(value), min(value), max(value), min(occurred_at), max(occurred_at), now()
      FROM processed_event WHERE id = ANY(${ids}::bigint[])
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (source, metric, hour) DO UPDATE SET ${absorbNewEvents})`;
}
