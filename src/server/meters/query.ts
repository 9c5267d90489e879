// A meter query (GET/POST /api/v1/meters/{meterIdOrSlug}/query), answered from the meter's
// rollups: each window of the query (windows.ts, aligned in its time zone) is split into at most
// five ranges of whole UTC days, hours and minutes (coverOf), and PostgreSQL adds up the rollup
// rows of those ranges per window, subject and group. The cost follows windows × subjects ×
// groups, never the number of events. Semantics are OpenMeter's (docs/openmeter-api.md §5):
// `to` is exclusive, windows without data are left out, and without windowSize there is one row
// per group over the whole period.
import { Prisma, type Meter as MeterRow } from "../../generated/prisma/client";
import type { MeterQuery, MeterQueryResult, MeterQueryRow } from "../../lib/meters-schema";
import type { Database } from "../db/database";
import { AppError } from "../errors";
import { coverOf, windowsOf, type TimeWindow } from "../../lib/meter-windows";

const MINUTE_MS = 60_000;

/** The value of each aggregation over a window's rollup rows `r` (SQL). */
const valueSql: Record<Exclude<MeterRow["aggregation"], "UNIQUE_COUNT">, string> = {
  COUNT: "sum(r.count)",
  SUM: "sum(r.sum)",
  AVG: "sum(r.sum) / nullif(sum(r.count), 0)",
  MIN: "min(r.min)",
  MAX: "max(r.max)",
  LATEST: "(array_agg(r.latest_value ORDER BY r.latest_at DESC, r.latest_id DESC) FILTER (WHERE r.latest_at IS NOT NULL))[1]",
};

function badQuery(field: string, message: string): AppError {
  return new AppError("INVALID_QUERY", message, { field });
}

/** A bound of the query as an instant on a whole minute (the finest rollup), or a 400 naming it. */
function minuteOf(field: "from" | "to", text: string): Date {
  const ms = Date.parse(text);
  if (ms % MINUTE_MS !== 0) {
    throw badQuery(field, `${field} must be a whole minute (meters are kept per minute), e.g. ${new Date(ms - (ms % MINUTE_MS)).toISOString()}`);
  }
  return new Date(ms);
}

export async function queryMeter(db: Database, meter: MeterRow, q: MeterQuery): Promise<MeterQueryResult> {
  const echo = { ...(q.from !== undefined && { from: q.from }), ...(q.to !== undefined && { to: q.to }), ...(q.windowSize !== undefined && { windowSize: q.windowSize }) };
  let from = q.from !== undefined ? minuteOf("from", q.from) : undefined;
  let to = q.to !== undefined ? minuteOf("to", q.to) : undefined;
  if (from === undefined || to === undefined) {
    // Absent bounds: the meter's first and last minute with data.
    const [span] = await db.prisma.$queryRaw<{ first: Date | null; last: Date | null }[]>`
      SELECT min(bucket) AS first, max(bucket) AS last FROM meter_rollup WHERE series = ${meter.series} AND tier = 'minute'`;
    if (!span?.first || !span.last) return { ...echo, data: [] };
    from ??= span.first;
    to ??= new Date(span.last.getTime() + MINUTE_MS);
  }
  if (from >= to) return { ...echo, data: [] };

  let windows: TimeWindow[];
  try {
    windows = q.windowSize ? windowsOf({ from, to, windowSize: q.windowSize, timeZone: q.windowTimeZone }) : [{ start: from, end: to }];
  } catch (err) {
    if (err instanceof RangeError) throw badQuery("windowSize", err.message);
    throw err;
  }
  // Each window's part inside [from, to), in rollup ranges.
  const w: number[] = [];
  const tiers: string[] = [];
  const starts: string[] = [];
  const ends: string[] = [];
  windows.forEach((win, i) => {
    const a = win.start < from ? from : win.start;
    const b = win.end > to ? to : win.end;
    let ranges;
    try {
      ranges = coverOf(a, b);
    } catch (err) {
      if (err instanceof RangeError) throw badQuery("windowTimeZone", `windows of ${q.windowTimeZone} there do not start on whole minutes: ${err.message}`);
      throw err;
    }
    for (const r of ranges) {
      w.push(i);
      tiers.push(r.tier);
      starts.push(r.from.toISOString());
      ends.push(r.to.toISOString());
    }
  });

  const bySubject = q.groupBy.includes("subject");
  const keys = q.groupBy.filter((k) => k !== "subject");
  const filters = Object.entries(q.filterGroupBy);
  const table = meter.aggregation === "UNIQUE_COUNT" ? Prisma.raw("meter_distinct") : Prisma.raw("meter_rollup");
  const value = meter.aggregation === "UNIQUE_COUNT" ? Prisma.raw("count(DISTINCT r.value)") : Prisma.raw(valueSql[meter.aggregation]);
  const where: Prisma.Sql[] = [];
  if (q.subject.length > 0) where.push(Prisma.sql`r.subject = ANY(${q.subject}::text[])`);
  for (const [key, values] of filters) where.push(Prisma.sql`(r.group_key::jsonb ->> ${key}) = ANY(${values}::text[])`);
  const rows = await db.prisma.$queryRaw<{ w: number; subject: string | null; groups: (string | null)[] | null; value: string | null }[]>`
    WITH g AS (
      SELECT * FROM unnest(${w}::int[], ${tiers}::text[]::"MeterTier"[], ${starts}::timestamptz[], ${ends}::timestamptz[]) AS g(w, tier, f, t))
    SELECT g.w, ${bySubject ? Prisma.raw("r.subject") : Prisma.raw("NULL::text")} AS subject,
           ${keys.length > 0 ? Prisma.sql`ARRAY(SELECT r.group_key::jsonb ->> k FROM unnest(${keys}::text[]) WITH ORDINALITY AS u(k, n) ORDER BY n)` : Prisma.raw("NULL::text[]")} AS groups,
           (${value})::text AS value
    -- One index range scan per bucket range (OFFSET 0 keeps the planner from flattening it into a
    -- hash join on tier alone, which read every row of the meter for every range).
    FROM g CROSS JOIN LATERAL (
      SELECT * FROM ${table} r WHERE r.series = ${meter.series} AND r.tier = g.tier AND r.bucket >= g.f AND r.bucket < g.t
      ${where.length > 0 ? Prisma.sql`AND ${Prisma.join(where, " AND ")}` : Prisma.empty}
      OFFSET 0) r
    GROUP BY 1, 2, 3
    ${meter.aggregation === "COUNT" || meter.aggregation === "UNIQUE_COUNT" ? Prisma.empty : Prisma.raw("HAVING sum(r.count) > 0")}
    ORDER BY 1, 2, 3`;

  const data: MeterQueryRow[] = [];
  for (const row of rows) {
    if (row.value === null) continue;
    const count = Number(row.value);
    if (meter.aggregation === "COUNT" && count === 0) continue;
    const win = windows[row.w]!;
    data.push({
      value: count,
      windowStart: win.start.toISOString(),
      windowEnd: win.end.toISOString(),
      subject: bySubject ? (row.subject === "" ? null : row.subject) : null,
      groupBy: Object.fromEntries(keys.map((k, i) => [k, row.groups?.[i] ?? null])),
    });
  }
  return { ...echo, data };
}
