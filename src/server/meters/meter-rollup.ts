// The statements that add processed events to their meters' rollups (docs/meters.md): every
// meter whose eventType is an event's metric (and whose eventFrom the event's time has reached)
// reads the event's subject, its group-by values and its value, and adds the event to one row
// per UTC minute, hour and day of the event's own time; UNIQUE_COUNT meters also keep each
// distinct value per bucket. The write path runs them inside its counting statement (after the
// rollups of rollup.ts), the backfill for one meter's earlier events, the rebuild to recompute:
// one definition of what a meter reads, for all three.
import { Prisma } from "../../generated/prisma/client";

/**
 * The meters of the write path: every live meter, read in the counting statement's own
 * snapshot. Creating a meter (or changing its group-by) locks processed_event against writers
 * while it commits (meters.ts), so a counting statement either sees the meter or committed its
 * events before the meter's watermark was read: the backfill takes exactly those.
 */
export const liveMetersSql = Prisma.sql`(SELECT * FROM meter WHERE deleted_at IS NULL)`;

/** One meter, for its backfill or rebuild. */
export const oneMeterSql = (meterId: string) => Prisma.sql`(SELECT * FROM meter WHERE id = ${meterId})`;

/** The rollup tiers and the unit date_trunc cuts each one's buckets with (always in UTC). */
export const tiersSql = Prisma.raw(`(VALUES ('minute'::"MeterTier", 'minute'), ('hour'::"MeterTier", 'hour'), ('day'::"MeterTier", 'day')) AS t(tier, unit)`);

/**
 * A meter's value of an event, as a number: a JSON number, or a string holding one (OpenMeter
 * reads both); anything else, or a magnitude of 1e20 or more (the service's bound on values, so
 * sums stay exact), is no value and the event is skipped by a numeric meter.
 */
const numericValueSql = Prisma.raw(`
      CASE jsonb_typeof(r.raw)
        WHEN 'number' THEN (r.raw #>> '{}')::numeric
        WHEN 'string' THEN CASE WHEN (r.raw #>> '{}') ~ '^\\s*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]{1,3})?\\s*$'
                                THEN trim(r.raw #>> '{}')::numeric END
      END`);

/** Whether the new events' latest (EXCLUDED) is later than the row's: by time, then by processed event id. */
const newerLatest = Prisma.raw(`EXCLUDED.latest_at IS NOT NULL AND (a.latest_at IS NULL OR (EXCLUDED.latest_at, EXCLUDED.latest_id) > (a.latest_at, a.latest_id))`);

/**
 * The CTEs (`m_ev`, `m_roll`, `m_dist`) that add the events of `events` (a FROM item of
 * processed events: id, metric, value, occurred_at, attributes, data, subject) to the rollups of
 * the meters of `meters` (a FROM item of meter rows). A meter reads its JSONPaths in the event's
 * CloudEvents data, else in its payload (its attributes with metric and value).
 */
export function addEventsToMetersCtes(events: Prisma.Sql, meters: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    m_ev AS (${meterEventsSql(events, meters)}),
    ${rollupUpsertsSql}`;
}

/**
 * What each meter of `meters` reads of each event of `events` it matches: one row per (meter,
 * event) with its series, the event's id and time, subject ("" for none), group key (jsonb text
 * of the group-by values), its value as a number (`num`) and as text (`txt`), and whether the
 * meter counts it. The write path, the backfill and the check (check-meters.ts) all read events
 * through this.
 */
export function meterEventsSql(events: Prisma.Sql, meters: Prisma.Sql): Prisma.Sql {
  // The meters' JSONPaths are parsed once per statement (mm), each event's document built once
  // (ee), and only events some meter counts are read at all: with no meter, both are empty.
  return Prisma.sql`
      WITH mm AS MATERIALIZED (
        SELECT series, aggregation, event_type, event_from, value_path::jsonpath AS vp, group_names AS gn, group_paths::jsonpath[] AS gp FROM ${meters} m0),
      ee AS MATERIALIZED (
        SELECT id, metric, occurred_at, coalesce(subject, '') AS subject,
               coalesce(data, attributes || jsonb_build_object('metric', metric, 'value', value)) AS doc
        FROM (SELECT * FROM ${events}) e0 WHERE metric IN (SELECT event_type FROM mm))
      SELECT m.series, m.aggregation, e.id, e.occurred_at, e.subject, g.group_key, v.num, v.txt,
             CASE m.aggregation WHEN 'COUNT' THEN true WHEN 'UNIQUE_COUNT' THEN v.txt IS NOT NULL ELSE v.num IS NOT NULL END AS counted
      FROM ee e
      JOIN mm m ON m.event_type = e.metric AND (m.event_from IS NULL OR e.occurred_at >= m.event_from)
      CROSS JOIN LATERAL (
        SELECT CASE WHEN cardinality(m.gn) = 0 THEN '{}'
                    ELSE (SELECT jsonb_object_agg(u.n, jsonb_path_query_first(e.doc, u.p) #>> '{}') FROM unnest(m.gn, m.gp) AS u(n, p))::text
               END AS group_key) g
      CROSS JOIN LATERAL (SELECT CASE WHEN m.vp IS NOT NULL THEN jsonb_path_query_first(e.doc, m.vp) END AS raw) r
      CROSS JOIN LATERAL (
        SELECT CASE WHEN abs(n.num) < 1e20 THEN n.num END AS num,
               CASE WHEN jsonb_typeof(r.raw) IN ('string', 'number', 'boolean') THEN r.raw #>> '{}' END AS txt
        FROM (SELECT ${numericValueSql} AS num) n) v`;
}

/** The rollup upserts of the events in `m_ev` (meterEventsSql): per tier, bucket, subject and group; distinct values for UNIQUE_COUNT. */
const rollupUpsertsSql = Prisma.sql`
    m_roll AS (
      INSERT INTO meter_rollup AS a (series, tier, bucket, subject, group_key, count, skipped, sum, min, max, latest_at, latest_id, latest_value)
      SELECT series, t.tier, date_trunc(t.unit, occurred_at, 'UTC'), subject, group_key,
             count(*) FILTER (WHERE counted), count(*) FILTER (WHERE NOT counted),
             sum(num) FILTER (WHERE counted), min(num) FILTER (WHERE counted), max(num) FILTER (WHERE counted),
             (array_agg(occurred_at ORDER BY occurred_at DESC, id DESC) FILTER (WHERE aggregation = 'LATEST' AND counted))[1],
             (array_agg(id ORDER BY occurred_at DESC, id DESC) FILTER (WHERE aggregation = 'LATEST' AND counted))[1],
             (array_agg(num ORDER BY occurred_at DESC, id DESC) FILTER (WHERE aggregation = 'LATEST' AND counted))[1]
      FROM m_ev CROSS JOIN ${tiersSql}
      GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
      ON CONFLICT (series, tier, bucket, subject, group_key) DO UPDATE SET
        count = a.count + EXCLUDED.count,
        skipped = a.skipped + EXCLUDED.skipped,
        sum = CASE WHEN a.sum IS NULL THEN EXCLUDED.sum WHEN EXCLUDED.sum IS NULL THEN a.sum ELSE a.sum + EXCLUDED.sum END,
        min = LEAST(a.min, EXCLUDED.min),
        max = GREATEST(a.max, EXCLUDED.max),
        latest_at = CASE WHEN ${newerLatest} THEN EXCLUDED.latest_at ELSE a.latest_at END,
        latest_id = CASE WHEN ${newerLatest} THEN EXCLUDED.latest_id ELSE a.latest_id END,
        latest_value = CASE WHEN ${newerLatest} THEN EXCLUDED.latest_value ELSE a.latest_value END),
    m_dist AS (
      INSERT INTO meter_distinct (series, tier, bucket, subject, group_key, value)
      SELECT DISTINCT series, t.tier, date_trunc(t.unit, occurred_at, 'UTC'), subject, group_key, txt
      FROM m_ev CROSS JOIN ${tiersSql}
      WHERE aggregation = 'UNIQUE_COUNT' AND counted
      ORDER BY 1, 2, 3, 4, 5, 6
      ON CONFLICT DO NOTHING)`;

