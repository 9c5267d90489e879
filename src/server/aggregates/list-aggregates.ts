// GET /aggregates and the tRPC aggregates* procedures: pages of the rollups, never of the
// processed events, so the cost follows the number of groups (and hours) read, whatever the
// number of events; the numbers are exact (numeric columns, converted to the nearest double
// only on the way out).
// - All time: the rows of metric_aggregate, one per (source, metric).
// - A window [from, to): the rollup rows covering it (window-rows.ts: whole UTC days from the
//   daily rollup, the edge hours from the hourly one), added up per (source, metric); both
//   bounds are whole UTC hours (the schema refuses others), so those rows hold exactly the
//   events whose own time is in the window.
// - A series (bucket): for each row of the page, its rollup rows in the window (daily ones only
//   where each falls inside one bucket) added up per bucket (an hour, or 24 hours counted from `from`), read in the same statement as the page, so
//   a row's totals are always the sum of its series; for the summary, every selected group's.
// Filters and sorting run in SQL; pages are keyset-paginated (aggregates-cursor.ts).
import { Prisma } from "../../generated/prisma/client";
import {
  AGGREGATES_PAGE,
  bucketMs,
  HOUR_MS,
  type Aggregate,
  type AggregatePoint,
  type AggregatesPage,
  type AggregatesQuery,
  type AggregatesSummary,
  type AggregatesSummaryQuery,
  type AggregateSort,
  type AggregateSortColumn,
  type Bucket,
} from "../../lib/aggregates-schema";
import type { Database } from "../db/database";
import { decodeCursor, encodeCursor, type CursorPosition } from "./aggregates-cursor";
import { rolledUpSql, windowRowsSql } from "./window-rows";
import { isoTimeSql } from "../db/iso-time-sql";

/** The filters and window of a query, with the source a read key is bound to already applied. */
type Selection = Pick<AggregatesQuery, "source" | "metric" | "q" | "from" | "to">;

const sortColumns: Record<AggregateSortColumn, { expr: string; kind: "text" | "number" | "time" }> = {
  source: { expr: "source", kind: "text" },
  metric: { expr: "metric", kind: "text" },
  count: { expr: "count", kind: "number" },
  sum: { expr: "sum", kind: "number" },
  avg: { expr: "(sum / count)", kind: "number" },
  min: { expr: "min", kind: "number" },
  max: { expr: "max", kind: "number" },
  firstSeenAt: { expr: "first_seen_at", kind: "time" },
  lastSeenAt: { expr: "last_seen_at", kind: "time" },
};

function parseSort(sort: AggregateSort): { column: AggregateSortColumn; desc: boolean } {
  return sort.startsWith("-") ? { column: sort.slice(1) as AggregateSortColumn, desc: true } : { column: sort as AggregateSortColumn, desc: false };
}

/** The conditions the filters put on a rollup row's source and metric (any rollup table). */
function filterConditions(s: Selection): Prisma.Sql[] {
  const where: Prisma.Sql[] = [];
  if (s.source !== undefined) where.push(Prisma.sql`source = ${s.source}`);
  if (s.metric !== undefined) where.push(Prisma.sql`metric = ${s.metric}`);
  for (const word of (s.q ?? "").split(/\s+/).filter(Boolean)) {
    where.push(Prisma.sql`(strpos(lower(source), lower(${word})) > 0 OR strpos(lower(metric), lower(${word})) > 0)`);
  }
  return where;
}

/** The (source, metric) groups selected, with their totals: all time, or over the window. */
function groupsSql(s: Selection): Prisma.Sql {
  const where = filterConditions(s);
  if (s.from === undefined && s.to === undefined) {
    return Prisma.sql`
      SELECT source, metric, count, sum, min, max, first_seen_at, last_seen_at FROM metric_aggregate
      ${where.length > 0 ? Prisma.sql`WHERE ${Prisma.join(where, " AND ")}` : Prisma.empty}`;
  }
  return Prisma.sql`
    SELECT source, metric, ${rolledUpSql} FROM ${windowRowsSql({ from: s.from, to: s.to }, where)} AS w GROUP BY source, metric`;
}

/** The rows after the cursor's position, in the sort's order. */
function afterSql(sort: AggregateSort, at: CursorPosition): Prisma.Sql {
  const { column, desc } = parseSort(sort);
  const cmp = Prisma.raw(desc ? "<" : ">");
  if (column === "source") return Prisma.sql`(source, metric) ${cmp} (${at.source}, ${at.metric})`;
  if (column === "metric") return Prisma.sql`(metric, source) ${cmp} (${at.metric}, ${at.source})`;
  const { expr, kind } = sortColumns[column];
  const value = Prisma.sql`${at.value}::${Prisma.raw(kind === "time" ? "timestamptz" : "numeric")}`;
  return Prisma.sql`(${Prisma.raw(expr)} ${cmp} ${value} OR (${Prisma.raw(expr)} = ${value} AND (source, metric) > (${at.source}, ${at.metric})))`;
}

function orderSql(sort: AggregateSort): Prisma.Sql {
  const { column, desc } = parseSort(sort);
  const dir = desc ? "DESC" : "ASC";
  if (column === "source") return Prisma.raw(`source ${dir}, metric ${dir}`);
  if (column === "metric") return Prisma.raw(`metric ${dir}, source ${dir}`);
  return Prisma.raw(`${sortColumns[column].expr} ${dir}, source, metric`);
}

/** The sort column's value as exact text, for the next page's cursor. */
function sortValueSql(sort: AggregateSort): Prisma.Sql {
  const { expr, kind } = sortColumns[parseSort(sort).column];
  if (kind === "text") return Prisma.sql`NULL::text`;
  if (kind === "time") return Prisma.raw(isoTimeSql(expr));
  return Prisma.raw(`${expr}::text`);
}

/** How a value is written into JSON: a string, a number (null when SQL NULL), a time (a column's name), or JSON text as it is. */
type JsonField = readonly [key: string, expr: Prisma.Sql, kind: "text" | "number" | "json"] | readonly [key: string, column: string, kind: "time"];

/**
 * A JSON object as text, written by PostgreSQL by concatenation: keys in this order, compact.
 * (Measured at 200 rows: about half the CPU of row_to_json or json_build_object, and a
 * fraction of what parsing and re-encoding the rows in Node cost.) Numbers are written as
 * float8 (shortest exact text), times as ISO-8601 UTC with milliseconds. Keys are constants.
 */
function jsonObjectSql(fields: readonly JsonField[]): Prisma.Sql {
  const valueSql = (f: JsonField): Prisma.Sql => {
    if (f[2] === "time") return Prisma.raw(`'"' || ${isoTimeSql(f[1])} || '"'`);
    if (f[2] === "text") return Prisma.sql`to_json(${f[1]})::text`;
    return f[2] === "number" ? Prisma.sql`coalesce((${f[1]})::float8::text, 'null')` : f[1];
  };
  const parts = fields.map((f, i) => Prisma.sql`${Prisma.raw(`'${i === 0 ? "{" : ","}"${f[0]}":'`)} || ${valueSql(f)}`);
  return Prisma.sql`(${Prisma.join(parts, " || ")} || '}')`;
}

/**
 * The series `q.bucket` asks for, as compact JSON text: every bucket of [from, to), oldest first,
 * the rollup rows in the window that `which` picks (one page row's, or every selected group's:
 * conditions on `source` and `metric`, with `acrossGroups`) added up (count and sum 0,
 * avg/min/max null when it has none). Null without a bucket.
 */
function seriesSql(q: { bucket?: Bucket; from?: string; to?: string }, which: Prisma.Sql[], opts: { acrossGroups?: boolean } = {}): Prisma.Sql | null {
  if (!q.bucket || !q.from || !q.to) return null;
  const { from, to } = q;
  const size = bucketMs[q.bucket];
  const start = Date.parse(from);
  // Each bucket's start as JSON text, made once here rather than by PostgreSQL for every row.
  const starts = Array.from({ length: Math.ceil((Date.parse(to) - start) / size) }, (_, i) => JSON.stringify(new Date(start + i * size).toISOString()));
  const windowRows = windowRowsSql({ from, to }, which, { bucketHours: size / HOUR_MS });
  // Across groups, added up per rollup period first (hashed), then per bucket: PostgreSQL then
  // sorts one row per period for the buckets, not every group's (the summary of 30 days from
  // 05:00 UTC over 200 groups: 59 → 42 ms). For one group each period is one row already, and
  // the extra step only costs (a page of 100 such series: 95 → 141 ms).
  const rows = opts.acrossGroups
    ? Prisma.sql`(SELECT t, sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max FROM ${windowRows} AS w GROUP BY t)`
    : windowRows;
  const point = jsonObjectSql([
    ["start", Prisma.sql`s.start`, "json"],
    ["count", Prisma.sql`coalesce(b.count, 0)`, "number"],
    ["sum", Prisma.sql`coalesce(b.sum, 0)`, "number"],
    ["avg", Prisma.sql`b.sum / b.count`, "number"],
    ["min", Prisma.sql`b.min`, "number"],
    ["max", Prisma.sql`b.max`, "number"],
  ]);
  return Prisma.sql`(
    SELECT '[' || string_agg(${point}, ',' ORDER BY s.i) || ']'
    FROM unnest(${starts}::text[]) WITH ORDINALITY AS s(start, i)
    LEFT JOIN (SELECT 1 + (extract(epoch FROM h.t - ${from}::timestamptz)::bigint / ${size / 1000}::bigint)::int AS i,
                      sum(h.count)::bigint AS count, sum(h.sum) AS sum, min(h.min) AS min, max(h.max) AS max
               FROM ${rows} AS h
               GROUP BY 1) AS b ON b.i = s.i)`;
}

/** A page of aggregates as the JSON text of its rows (what GET /aggregates sends as it is), and the next page's cursor. */
export interface AggregatesPageJson {
  itemsJson: string;
  nextCursor: string | null;
}

/**
 * One page of aggregates, and the cursor of the next one. `source` is the read key's, if
 * bound. PostgreSQL writes the rows' JSON itself (numbers as float8, times as ISO-8601 UTC):
 * one text value crosses the wire instead of a row of typed columns per group, which is what
 * kept GET /aggregates' CPU per request high (bench: parsing, mapping and re-encoding 200 rows).
 */
export async function listAggregatesJson(db: Database, q: AggregatesQuery): Promise<AggregatesPageJson> {
  const sort = q.sort ?? "source";
  const limit = q.limit ?? (q.bucket ? AGGREGATES_PAGE.seriesDefaultLimit : AGGREGATES_PAGE.defaultLimit);
  const { kind } = sortColumns[parseSort(sort).column];
  const at = decodeCursor(q, q.source, sort, kind === "text" ? "none" : kind);
  const series = seriesSql(q, [Prisma.sql`source = page.source`, Prisma.sql`metric = page.metric`]);
  // One statement, one snapshot: a row and its series always agree. `n` is the row's place in the sort.
  const [row] = await db.prisma.$queryRaw<{ items: string; last_source: string | null; last_metric: string | null; last_value: string | null }[]>`
    WITH g AS (${groupsSql(q)}),
    page AS (
      SELECT *, ${sortValueSql(sort)} AS sort_value, row_number() OVER (ORDER BY ${orderSql(sort)}) AS n
      FROM (SELECT * FROM g ${at ? Prisma.sql`WHERE ${afterSql(sort, at)}` : Prisma.empty} ORDER BY ${orderSql(sort)} LIMIT ${limit + 1}) AS p),
    out AS (
      SELECT n, source, metric, sort_value, ${jsonObjectSql([
        ["source", Prisma.sql`source`, "text"],
        ["metric", Prisma.sql`metric`, "text"],
        ["count", Prisma.sql`count`, "number"],
        ["sum", Prisma.sql`sum`, "number"],
        ["avg", Prisma.sql`sum / count`, "number"],
        ["min", Prisma.sql`min`, "number"],
        ["max", Prisma.sql`max`, "number"],
        ["firstSeenAt", "first_seen_at", "time"],
        ["lastSeenAt", "last_seen_at", "time"],
        ...(series ? ([["series", series, "json"]] as const) : []),
      ])} AS json
      FROM page)
    SELECT '[' || coalesce((SELECT string_agg(out.json, ',' ORDER BY n) FROM out WHERE n <= ${limit}), '') || ']' AS items,
           last.source AS last_source, last.metric AS last_metric, last.sort_value AS last_value
    FROM (SELECT 1) AS one
    -- The page's last row, when a row follows it (the page asked for one more than it shows).
    LEFT JOIN out AS last ON last.n = ${limit} AND EXISTS (SELECT 1 FROM out WHERE n > ${limit})`;
  return {
    itemsJson: row?.items ?? "[]",
    nextCursor: row?.last_source != null && row.last_metric != null ? encodeCursor(q, q.source, sort, { value: row.last_value, source: row.last_source, metric: row.last_metric }) : null,
  };
}

/** The same page as values (tRPC; its output schema checks them). */
export async function listAggregates(db: Database, q: AggregatesQuery): Promise<AggregatesPage> {
  const { itemsJson, nextCursor } = await listAggregatesJson(db, q);
  return { items: JSON.parse(itemsJson) as Aggregate[], nextCursor };
}

/**
 * How many groups the filters and window select, of how many sources, with how many events; with
 * `bucket`, those events per bucket too, read in the same statement, so the series adds up to
 * the count.
 */
export async function summarizeAggregates(db: Database, q: AggregatesSummaryQuery): Promise<AggregatesSummary> {
  const series = seriesSql(q, filterConditions(q), { acrossGroups: true });
  const [row] = await db.prisma.$queryRaw<{ groups: number; sources: number; count: number; last_seen_at: Date | null; series?: string }[]>`
    WITH g AS (${groupsSql(q)}),
    -- Per source first: one hashed pass, where count(DISTINCT source) would sort every group.
    per_source AS (SELECT source, count(*) AS groups, sum(count) AS count, max(last_seen_at) AS last_seen_at FROM g GROUP BY source)
    SELECT coalesce(sum(groups), 0)::int AS groups, count(*)::int AS sources, coalesce(sum(count), 0)::float8 AS count, max(last_seen_at) AS last_seen_at
           ${series ? Prisma.sql`, ${series} AS series` : Prisma.empty}
    FROM per_source`;
  const summary: AggregatesSummary = {
    groups: Number(row?.groups ?? 0),
    sources: Number(row?.sources ?? 0),
    count: Number(row?.count ?? 0),
    lastSeenAt: row?.last_seen_at ? new Date(row.last_seen_at).toISOString() : null,
  };
  if (row?.series !== undefined) summary.series = JSON.parse(row.series) as AggregatePoint[];
  return summary;
}
