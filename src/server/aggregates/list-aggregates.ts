// GET /aggregates and the tRPC aggregates* procedures: pages of the rollups, never of the
// processed events, so the cost follows the number of groups (and hours) read, whatever the
// number of events; the numbers are exact (numeric columns, converted to the nearest double
// only on the way out).
// - All time: the rows of metric_aggregate, one per (source, metric).
// - A window [from, to): the rows of metric_aggregate_hour in it, added up per (source, metric);
//   both bounds are whole UTC hours (the schema refuses others), so those rows hold exactly the
//   events whose own time is in the window.
// - A series (bucket): for each row of the page, its hourly rows in the window added up per
//   bucket (an hour, or 24 hours counted from `from`), read in the same statement as the page, so
//   a row's totals are always the sum of its series.
// Filters and sorting run in SQL; pages are keyset-paginated (aggregates-cursor.ts).
import { Prisma } from "../../generated/prisma/client";
import {
  AGGREGATES_PAGE,
  bucketMs,
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

/** The conditions the filters put on a rollup row's source and metric (either table). */
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
  if (s.from !== undefined) where.push(Prisma.sql`hour >= ${s.from}::timestamptz`);
  if (s.to !== undefined) where.push(Prisma.sql`hour < ${s.to}::timestamptz`);
  return Prisma.sql`
    SELECT source, metric, sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max,
           min(first_seen_at) AS first_seen_at, max(last_seen_at) AS last_seen_at
    FROM metric_aggregate_hour WHERE ${Prisma.join(where, " AND ")}
    GROUP BY source, metric`;
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
  if (kind === "time") return Prisma.raw(`to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
  return Prisma.raw(`${expr}::text`);
}

interface SeriesWindow {
  from: string;
  to: string;
  /** Bucket size, ms. */
  size: number;
}

/**
 * The hourly rows `which` picks (one page row's, or every selected group's) in the window, added
 * up per bucket (its index from `from`), as a JSON array of the buckets that have events.
 */
function seriesSql(w: SeriesWindow, which: Prisma.Sql[]): Prisma.Sql {
  return Prisma.sql`(
    SELECT coalesce(json_agg(json_build_object('i', b.i, 'count', b.count, 'sum', b.sum, 'avg', b.avg, 'min', b.min, 'max', b.max) ORDER BY b.i), '[]'::json)
    FROM (SELECT (extract(epoch FROM hour - ${w.from}::timestamptz)::bigint / ${w.size / 1000}::bigint) AS i,
                 sum(count)::float8 AS count, sum(sum)::float8 AS sum, (sum(sum) / sum(count))::float8 AS avg,
                 min(min)::float8 AS min, max(max)::float8 AS max
          FROM metric_aggregate_hour
          WHERE ${Prisma.join([...which, Prisma.sql`hour >= ${w.from}::timestamptz`, Prisma.sql`hour < ${w.to}::timestamptz`], " AND ")}
          GROUP BY 1) AS b)`;
}

/** The window and bucket size of a series, when `bucket` asks for one. */
function seriesWindow(q: { bucket?: Bucket; from?: string; to?: string }): SeriesWindow | null {
  return q.bucket && q.from && q.to ? { from: q.from, to: q.to, size: bucketMs[q.bucket] } : null;
}

interface Row {
  source: string;
  metric: string;
  count: number;
  sum: number;
  avg: number;
  min: number;
  max: number;
  first_seen_at: Date;
  last_seen_at: Date;
  sort_value: string | null;
  series?: SeriesBucket[];
}

/** A bucket with events, as seriesSql reads it. */
interface SeriesBucket {
  i: number;
  count: number;
  sum: number;
  avg: number;
  min: number;
  max: number;
}

/** One page of aggregates, and the cursor of the next one. `source` is the read key's, if bound. */
export async function listAggregates(db: Database, q: AggregatesQuery): Promise<AggregatesPage> {
  const sort = q.sort ?? "source";
  const limit = q.limit ?? (q.bucket ? AGGREGATES_PAGE.seriesDefaultLimit : AGGREGATES_PAGE.defaultLimit);
  const { kind } = sortColumns[parseSort(sort).column];
  const at = decodeCursor(q, q.source, sort, kind === "text" ? "none" : kind);
  const series = seriesWindow(q);
  // One statement, one snapshot: a row and its series always agree.
  const rows = await db.prisma.$queryRaw<Row[]>`
    WITH g AS (${groupsSql(q)}),
    page AS (
      SELECT * FROM g ${at ? Prisma.sql`WHERE ${afterSql(sort, at)}` : Prisma.empty}
      ORDER BY ${orderSql(sort)} LIMIT ${limit + 1})
    SELECT source, metric, count::float8 AS count, sum::float8 AS sum, (sum / count)::float8 AS avg,
           min::float8 AS min, max::float8 AS max, first_seen_at, last_seen_at, ${sortValueSql(sort)} AS sort_value
           ${series ? Prisma.sql`, ${seriesSql(series, [Prisma.sql`source = page.source`, Prisma.sql`metric = page.metric`])} AS series` : Prisma.empty}
    FROM page ORDER BY ${orderSql(sort)}`;
  const items = rows.slice(0, limit).map((r) => toAggregate(r, series));
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return {
    items,
    nextCursor: last ? encodeCursor(q, q.source, sort, { value: last.sort_value, source: last.source, metric: last.metric }) : null,
  };
}

function toAggregate(r: Row, series: SeriesWindow | null): Aggregate {
  const row: Aggregate = {
    source: r.source,
    metric: r.metric,
    count: r.count,
    sum: r.sum,
    avg: r.avg,
    min: r.min,
    max: r.max,
    firstSeenAt: new Date(r.first_seen_at).toISOString(),
    lastSeenAt: new Date(r.last_seen_at).toISOString(),
  };
  if (series) row.series = densePoints(r.series ?? [], series);
  return row;
}

/** Every bucket of [from, to), oldest first; a bucket with no event counts 0 and has no avg/min/max. */
function densePoints(buckets: SeriesBucket[], s: SeriesWindow): AggregatePoint[] {
  const from = Date.parse(s.from);
  const n = Math.ceil((Date.parse(s.to) - from) / s.size);
  const byIndex = new Map(buckets.map((b) => [Number(b.i), b]));
  return Array.from({ length: n }, (_, i) => {
    const b = byIndex.get(i);
    const start = new Date(from + i * s.size).toISOString();
    return b ? { start, count: b.count, sum: b.sum, avg: b.avg, min: b.min, max: b.max } : { start, count: 0, sum: 0, avg: null, min: null, max: null };
  });
}

/**
 * How many groups the filters and window select, of how many sources, with how many events; with
 * `bucket`, those events per bucket too, read in the same statement, so the series adds up to
 * the count.
 */
export async function summarizeAggregates(db: Database, q: AggregatesSummaryQuery): Promise<AggregatesSummary> {
  const series = seriesWindow(q);
  const [row] = await db.prisma.$queryRaw<{ groups: number; sources: number; count: number; last_seen_at: Date | null; series?: SeriesBucket[] }[]>`
    WITH g AS (${groupsSql(q)}),
    -- Per source first: one hashed pass, where count(DISTINCT source) would sort every group.
    s AS (SELECT source, count(*) AS groups, sum(count) AS count, max(last_seen_at) AS last_seen_at FROM g GROUP BY source)
    SELECT coalesce(sum(groups), 0)::int AS groups, count(*)::int AS sources, coalesce(sum(count), 0)::float8 AS count, max(last_seen_at) AS last_seen_at
           ${series ? Prisma.sql`, ${seriesSql(series, filterConditions(q))} AS series` : Prisma.empty}
    FROM s`;
  const summary: AggregatesSummary = {
    groups: Number(row?.groups ?? 0),
    sources: Number(row?.sources ?? 0),
    count: Number(row?.count ?? 0),
    lastSeenAt: row?.last_seen_at ? new Date(row.last_seen_at).toISOString() : null,
  };
  if (series) summary.series = densePoints(row?.series ?? [], series);
  return summary;
}
