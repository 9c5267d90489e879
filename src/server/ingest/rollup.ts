// The statements that add processed events to their rollup rows: the all-time row per
// (source, metric), the row per (source, metric, hour) and the row per (source, metric, day).
// Both write paths use them inside their processing transaction, after inserting the processed
// events, so every rollup row always equals a recomputation from processed events. Rows are
// touched once each, in key order, and the three tables always in the same order (one
// statement): concurrent transactions cannot deadlock on them.
import { rollupPeriodNames, type Bucket } from "../../lib/aggregates-schema";
import { Prisma } from "../../generated/prisma/client";
import { addEventsToMetersCtes, liveMetersSql } from "../meters/meter-rollup";

/**
 * The hour an event is counted in: the start of the UTC hour of its own time (occurred_at: the
 * payload's timestamp, else its capture time). UTC explicitly, so the session's time zone (a
 * half-hour zone would shift every hour) never changes which row an event lands in.
 */
export const hourOfOccurrenceSql = Prisma.raw(`date_trunc('hour', occurred_at, 'UTC')`);

/** The day an event is counted in: the start of the UTC day of its own time (UTC for the same reason). */
export const dayOfOccurrenceSql = Prisma.raw(`date_trunc('day', occurred_at, 'UTC')`);

/** How a rollup row `a` (all-time, hourly or daily) takes in the rollup of new events (EXCLUDED). */
const absorbNewEvents = Prisma.raw(`
        count = a.count + EXCLUDED.count,
        sum = a.sum + EXCLUDED.sum,
        min = LEAST(a.min, EXCLUDED.min),
        max = GREATEST(a.max, EXCLUDED.max),
        first_seen_at = LEAST(a.first_seen_at, EXCLUDED.first_seen_at),
        last_seen_at = GREATEST(a.last_seen_at, EXCLUDED.last_seen_at),
        updated_at = now()`);

/**
 * The periodic rollups, one row per (source, metric, period): the table, its key column holding
 * the period's start, the period of an event's own time, and the period's length. A day is 24
 * hours: UTC has no daylight saving, whereas `+ interval '1 day'` would follow the session's
 * time zone. The write path, the check and rebuild, and the windowed reads all name them here.
 */
export const rollupPeriods = {
  day: { table: Prisma.raw("metric_aggregate_day"), column: "day", ofOccurrence: dayOfOccurrenceSql, length: Prisma.raw("interval '24 hours'") },
  hour: { table: Prisma.raw("metric_aggregate_hour"), column: "hour", ofOccurrence: hourOfOccurrenceSql, length: Prisma.raw("interval '1 hour'") },
} as const satisfies Record<Bucket, { table: Prisma.Sql; column: string; ofOccurrence: Prisma.Sql; length: Prisma.Sql }>;
export type RollupPeriod = Bucket;

/** The upsert of the new events (`events`: a FROM item with source, metric, value, occurred_at) into a periodic rollup. */
function addToPeriodRollup(level: RollupPeriod, events: Prisma.Sql): Prisma.Sql {
  const { table, ofOccurrence } = rollupPeriods[level];
  const c = Prisma.raw(rollupPeriods[level].column);
  return Prisma.sql`
      INSERT INTO ${table} AS a (source, metric, ${c}, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
      SELECT source, metric, ${ofOccurrence}, count(*), sum(value), min(value), max(value), min(occurred_at), max(occurred_at), now()
      FROM ${events}
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (source, metric, ${c}) DO UPDATE SET ${absorbNewEvents}`;
}

/**
 * The rollup upserts as CTEs of a processing statement (`WITH …, agg AS (…), agg_hour AS (…),
 * agg_day AS (…)`: the all-time row, then each period of rollupPeriodNames in its order, then
 * the live meters' rollups, src/server/meters/meter-rollup.ts), adding the events of `events`: a
 * FROM item with the processed events' columns (those inserted by the same statement's CTE, or
 * those with given ids: addToRollupsCtes).
 */
export function addEventsToRollupsCtes(events: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    agg AS (
      INSERT INTO metric_aggregate AS a (source, metric, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
      SELECT source, metric, count(*), sum(value), min(value), max(value), min(occurred_at), max(occurred_at), now()
      FROM ${events}
      GROUP BY source, metric ORDER BY source, metric
      ON CONFLICT (source, metric) DO UPDATE SET ${absorbNewEvents}),
    ${Prisma.join(
      rollupPeriodNames.map((level) => Prisma.sql`${Prisma.raw(`agg_${level}`)} AS (${addToPeriodRollup(level, events)})`),
      ",\n    ",
    )},
    ${addEventsToMetersCtes(events, liveMetersSql)}`;
}

/** The three rollup upserts as CTEs, adding the processed events with these ids (committed by an earlier statement). */
export function addToRollupsCtes(processedEventIds: (bigint | string)[]): Prisma.Sql {
  const ids = processedEventIds.map(String);
  return addEventsToRollupsCtes(Prisma.sql`processed_event WHERE id = ANY(${ids}::bigint[])`);
}
