// The rollup check: every (source, metric) row of metric_aggregate against a recomputation
// from processed_event. One statement, so one snapshot: the rollup and the processed events
// it is compared with are committed together by the write path (same transaction), and the
// check is exact while ingestion goes on. Values are compared in SQL (numeric(65,30), exact)
// and returned as text. `npm run aggregates:check`, `rollups.check` and every storage test's
// invariants (test/support/invariants.ts) use this one implementation.
import { Prisma } from "../../generated/prisma/client";
import type { RollupCheck, RollupDifference, RollupValues } from "../../lib/rollups-schema";
import type { Database } from "../db/database";

type Side = "stored" | "recomputed";

/** Each value's SQL column on the rollup (stored) and in the recomputation, and how it reads as text. */
const columns: { field: keyof RollupValues; column: string; text: (expr: string) => string }[] = [
  { field: "count", column: "count", text: (e) => `${e}::text` },
  { field: "sum", column: "sum", text: (e) => `trim_scale(${e})::text` },
  { field: "min", column: "min", text: (e) => `trim_scale(${e})::text` },
  { field: "max", column: "max", text: (e) => `trim_scale(${e})::text` },
  { field: "firstSeenAt", column: "first_seen_at", text: (e) => `to_char(${e} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` },
  { field: "lastSeenAt", column: "last_seen_at", text: (e) => `to_char(${e} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` },
];
const alias = (side: Side, column: string) => `${side === "stored" ? "s" : "r"}_${column}`;

/**
 * The groups of processed events, as rollup rows would hold them; `keys` (a `(source, metric)`
 * relation) limits it to those groups. The write path's rollup statement (ingest/rollup.ts)
 * adds exactly these aggregates, so a correct rollup row equals this.
 */
export function recomputedRollupsSql(keys?: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    SELECT p.source, p.metric, count(*) AS count, sum(p.value) AS sum, min(p.value) AS min, max(p.value) AS max,
           min(p.occurred_at) AS first_seen_at, max(p.occurred_at) AS last_seen_at
    FROM processed_event p ${keys ? Prisma.sql`JOIN ${keys} USING (source, metric)` : Prisma.empty}
    GROUP BY p.source, p.metric`;
}

const differsSql = Prisma.raw(
  `array_remove(ARRAY[${columns.map((c) => `CASE WHEN a.${c.column} IS DISTINCT FROM r.${c.column} THEN '${c.field}' END`).join(", ")}], NULL)`,
);
const valuesSql = Prisma.raw(
  columns.flatMap((c) => [`${c.text(`a.${c.column}`)} AS ${alias("stored", c.column)}`, `${c.text(`r.${c.column}`)} AS ${alias("recomputed", c.column)}`]).join(", "),
);

type Row = { groups: number; source: string | null; metric: string | null; fields: (keyof RollupValues)[] | null; has_stored: boolean; has_recomputed: boolean } & Record<string, string | null>;

/** Compares every rollup row with its recomputation; the groups that differ, in key order. */
export async function checkRollups(db: Database): Promise<RollupCheck> {
  const rows = await db.prisma.$queryRaw<Row[]>`
    WITH r AS (${recomputedRollupsSql()}),
    j AS (
      SELECT coalesce(a.source, r.source) AS source, coalesce(a.metric, r.metric) AS metric,
             a.source IS NOT NULL AS has_stored, r.source IS NOT NULL AS has_recomputed,
             ${differsSql} AS fields, ${valuesSql}
      FROM metric_aggregate a FULL JOIN r ON a.source = r.source AND a.metric = r.metric)
    SELECT (SELECT count(*) FROM j)::int AS groups, d.*
    FROM (SELECT 1) AS one LEFT JOIN (SELECT * FROM j WHERE cardinality(fields) > 0) AS d ON true
    ORDER BY d.source, d.metric`;
  const groups = Number(rows[0]?.groups ?? 0);
  const differences = rows
    .filter((r) => r.source !== null && r.metric !== null)
    .map((r): RollupDifference => ({
      source: r.source!,
      metric: r.metric!,
      fields: r.fields ?? [],
      stored: r.has_stored ? valuesOf(r, "stored") : null,
      recomputed: r.has_recomputed ? valuesOf(r, "recomputed") : null,
    }));
  return { groups, differences };
}

function valuesOf(row: Row, side: Side): RollupValues {
  return Object.fromEntries(columns.map((c) => [c.field, String(row[alias(side, c.column)])])) as RollupValues;
}

/** One line per difference: `shop/orders: count stored 3, recomputed 2; sum …` (the CLI's and the tests' wording). */
export function describeRollupDifference(d: RollupDifference): string {
  const name = `${d.source}/${d.metric}`;
  if (!d.stored) return `${name}: rollup row missing; recomputed ${formatValues(d.recomputed!)}`;
  if (!d.recomputed) return `${name}: rollup row without any processed event (stored ${formatValues(d.stored)})`;
  return `${name}: ${d.fields.map((f) => `${f} stored ${d.stored![f]}, recomputed ${d.recomputed![f]}`).join("; ")}`;
}

const formatValues = (v: RollupValues) => columns.map((c) => `${c.field}=${v[c.field]}`).join(" ");
