// The rollup check: every row of the three rollups — metric_aggregate, per (source, metric),
// metric_aggregate_day, per (source, metric, UTC day), and metric_aggregate_hour, per
// (source, metric, hour) — against a recomputation from processed_event. One statement, so one snapshot: the rollups and the processed events they
// are compared with are committed together by the write path (same transaction), and the
// check is exact while ingestion goes on. Values are compared in SQL (numeric(65,30), exact)
// and returned as text. `npm run aggregates:check`, `rollups.check` and every storage test's
// invariants (test/support/invariants.ts) use this one implementation. Meters' rollups are
// checked beside them (src/server/meters/check-meters.ts).
import { Prisma } from "../../generated/prisma/client";
import type { RollupCheck, RollupDifference, RollupValues } from "../../lib/rollups-schema";
import type { Database } from "../db/database";
import { isoTimeSql } from "../db/iso-time-sql";
import { rollupPeriods } from "../ingest/rollup";
import { rolledUpSql } from "./window-rows";
import { checkMeters } from "../meters/check-meters";

export { rollupPeriods };

type Side = "stored" | "recomputed";

/** A rollup table: all-time per (source, metric), or per (source, metric, day) or (source, metric, hour). */
export type RollupLevel = "all-time" | "day" | "hour";
export const rollupTable: Record<RollupLevel, Prisma.Sql> = {
  "all-time": Prisma.raw("metric_aggregate"),
  day: rollupPeriods.day.table,
  hour: rollupPeriods.hour.table,
};

/** Which rollup a difference is about: `day` set for a daily row, `hour` for an hourly one, neither for the all-time row. */
export function levelOf(d: Pick<RollupDifference, "day" | "hour">): RollupLevel {
  return d.day ? "day" : d.hour ? "hour" : "all-time";
}


/** Each value's SQL column on the rollup (stored) and in the recomputation, and how it reads as text. */
const columns: { field: keyof RollupValues; column: string; text: (expr: string) => string }[] = [
  { field: "count", column: "count", text: (e) => `${e}::text` },
  { field: "sum", column: "sum", text: (e) => `trim_scale(${e})::text` },
  { field: "min", column: "min", text: (e) => `trim_scale(${e})::text` },
  { field: "max", column: "max", text: (e) => `trim_scale(${e})::text` },
  { field: "firstSeenAt", column: "first_seen_at", text: isoTimeSql },
  { field: "lastSeenAt", column: "last_seen_at", text: isoTimeSql },
];
const alias = (side: Side, column: string) => `${side === "stored" ? "s" : "r"}_${column}`;

const aggregatesSql = Prisma.raw(
  "count(*) AS count, sum(p.value) AS sum, min(p.value) AS min, max(p.value) AS max, min(p.occurred_at) AS first_seen_at, max(p.occurred_at) AS last_seen_at",
);

/**
 * The groups of processed events, as rollup rows of `level` would hold them; `keys` (a relation
 * `k` of `(source, metric)`, or of `(source, metric, day)` / `(source, metric, hour)` for the
 * periodic levels) limits it to those rows, each read as a range of processed_event's
 * (source, metric, occurred_at) index. The write path's statements (ingest/rollup.ts) add
 * exactly these aggregates, so a correct rollup row equals this.
 */
export function recomputedRollupsSql(level: RollupLevel, keys?: Prisma.Sql): Prisma.Sql {
  if (level === "all-time") {
    return Prisma.sql`
      SELECT p.source, p.metric, ${aggregatesSql}
      FROM processed_event p ${keys ? Prisma.sql`JOIN ${keys} USING (source, metric)` : Prisma.empty}
      GROUP BY p.source, p.metric`;
  }
  const period = rollupPeriods[level];
  const column = Prisma.raw(period.column);
  if (!keys) {
    return Prisma.sql`
      SELECT p.source, p.metric, ${period.ofOccurrence} AS ${column}, ${aggregatesSql}
      FROM processed_event p GROUP BY 1, 2, 3`;
  }
  return Prisma.sql`
    SELECT k.source, k.metric, k.${column}, ${aggregatesSql}
    FROM ${keys} JOIN processed_event p
      ON p.source = k.source AND p.metric = k.metric AND p.occurred_at >= k.${column} AND p.occurred_at < k.${column} + ${period.length}
    GROUP BY k.source, k.metric, k.${column}`;
}

const differsSql = Prisma.raw(
  `array_remove(ARRAY[${columns.map((c) => `CASE WHEN a.${c.column} IS DISTINCT FROM r.${c.column} THEN '${c.field}' END`).join(", ")}], NULL)`,
);
const valuesSql = Prisma.raw(
  columns.flatMap((c) => [`${c.text(`a.${c.column}`)} AS ${alias("stored", c.column)}`, `${c.text(`r.${c.column}`)} AS ${alias("recomputed", c.column)}`]).join(", "),
);

type Row = {
  groups: number;
  days: number;
  hours: number;
  source: string | null;
  metric: string | null;
  day: string | null;
  hour: string | null;
  fields: (keyof RollupValues)[] | null;
  has_stored: boolean;
  has_recomputed: boolean;
} & Record<string, string | null>;

/**
 * Compares every rollup row, of the three levels, with its recomputation; the rows that differ,
 * in key order. processed_event is read once: the daily recomputation adds up the hourly one
 * (per UTC day), and the all-time one adds up the daily one.
 */
export async function checkRollups(db: Database): Promise<RollupCheck> {
  const rows = await db.prisma.$queryRaw<Row[]>`
    WITH rh AS (${recomputedRollupsSql("hour")}),
    rd AS (SELECT source, metric, date_trunc('day', hour, 'UTC') AS day, ${rolledUpSql} FROM rh GROUP BY 1, 2, 3),
    r AS (SELECT source, metric, ${rolledUpSql} FROM rd GROUP BY source, metric),
    j AS (
      SELECT coalesce(a.source, r.source) AS source, coalesce(a.metric, r.metric) AS metric,
             NULL::timestamptz AS day, NULL::timestamptz AS hour,
             a.source IS NOT NULL AS has_stored, r.source IS NOT NULL AS has_recomputed,
             ${differsSql} AS fields, ${valuesSql}
      FROM metric_aggregate a FULL JOIN r ON a.source = r.source AND a.metric = r.metric
      UNION ALL
      SELECT coalesce(a.source, r.source), coalesce(a.metric, r.metric), coalesce(a.day, r.day), NULL::timestamptz,
             a.source IS NOT NULL, r.source IS NOT NULL,
             ${differsSql}, ${valuesSql}
      FROM metric_aggregate_day a FULL JOIN rd r ON a.source = r.source AND a.metric = r.metric AND a.day = r.day
      UNION ALL
      SELECT coalesce(a.source, r.source), coalesce(a.metric, r.metric), NULL::timestamptz, coalesce(a.hour, r.hour),
             a.source IS NOT NULL, r.source IS NOT NULL,
             ${differsSql}, ${valuesSql}
      FROM metric_aggregate_hour a FULL JOIN rh r ON a.source = r.source AND a.metric = r.metric AND a.hour = r.hour)
    SELECT (SELECT count(*) FROM j WHERE day IS NULL AND hour IS NULL)::int AS groups,
           (SELECT count(*) FROM j WHERE day IS NOT NULL)::int AS days, (SELECT count(*) FROM j WHERE hour IS NOT NULL)::int AS hours,
           d.source, d.metric, ${Prisma.raw(isoTimeSql("d.day"))} AS day, ${Prisma.raw(isoTimeSql("d.hour"))} AS hour, d.fields, d.has_stored, d.has_recomputed,
           ${Prisma.raw(columns.flatMap((c) => [alias("stored", c.column), alias("recomputed", c.column)].map((a) => `d.${a}`)).join(", "))}
    FROM (SELECT 1) AS one LEFT JOIN (SELECT * FROM j WHERE cardinality(fields) > 0) AS d ON true
    ORDER BY d.source, d.metric, coalesce(d.day, d.hour) NULLS FIRST, d.hour NULLS FIRST`;
  const differences = rows
    .filter((r) => r.source !== null && r.metric !== null)
    .map((r): RollupDifference => ({
      source: r.source!,
      metric: r.metric!,
      day: r.day,
      hour: r.hour,
      fields: r.fields ?? [],
      stored: r.has_stored ? valuesOf(r, "stored") : null,
      recomputed: r.has_recomputed ? valuesOf(r, "recomputed") : null,
    }));
  // The meters' rollups are checked too, in a statement of their own (one snapshot each: both exact).
  return { groups: Number(rows[0]?.groups ?? 0), days: Number(rows[0]?.days ?? 0), hours: Number(rows[0]?.hours ?? 0), differences, meters: await checkMeters(db) };
}

function valuesOf(row: Row, side: Side): RollupValues {
  return Object.fromEntries(columns.map((c) => [c.field, String(row[alias(side, c.column)])])) as RollupValues;
}

/**
 * One line per difference: `shop/orders: count stored 3, recomputed 2; sum …`, for a daily row
 * `shop/orders, day 2026-11-24T00:00:00.000Z: …`, for an hourly row
 * `shop/orders, hour 2026-11-24T10:00:00.000Z: …` (the CLI's and the tests' wording).
 */
export function describeRollupDifference(d: RollupDifference): string {
  const level = levelOf(d);
  const name = `${d.source}/${d.metric}${level === "all-time" ? "" : `, ${level} ${d[level]}`}`;
  if (!d.stored) return `${name}: rollup row missing; recomputed ${formatValues(d.recomputed!)}`;
  if (!d.recomputed) return `${name}: rollup row without any processed event (stored ${formatValues(d.stored)})`;
  return `${name}: ${d.fields.map((f) => `${f} stored ${d.stored![f]}, recomputed ${d.recomputed![f]}`).join("; ")}`;
}

const formatValues = (v: RollupValues) => columns.map((c) => `${c.field}=${v[c.field]}`).join(" ");
