// The rollup rows that cover a time window [from, to) exactly, read as cheaply as the rollups
// allow: the whole UTC days inside the window from the daily rollup (one row per group and day),
// and only the partial days at either edge from the hourly rollup. A month costs about
// groups × (30 days + 2 × 23 edge hours) rows instead of groups × 720 hours.
//
// Why nothing is counted twice or missed: both bounds are whole UTC hours, so the window is
// exactly [from, firstDay) + [firstDay, lastDay) + [lastDay, to), the middle made of whole UTC
// days; an hourly row lies in one UTC day and a daily row is the sum of that day's hourly rows
// (the write path keeps both in the same statement, ingest/rollup.ts). Each part is read from
// one table only.
import { Prisma } from "../../generated/prisma/client";
import { HOUR_MS } from "../../lib/aggregates-schema";
import { rollupPeriods, type RollupPeriod } from "../ingest/rollup";

const DAY_MS = 24 * HOUR_MS;

/** A window's bounds: ISO-8601 instants on whole UTC hours, `from` inclusive, `to` exclusive; either may be open. */
export interface RollupWindow {
  from?: string;
  to?: string;
}

export interface WindowRowsOptions {
  /**
   * For a series: the length of its buckets in hours, counted from `from`. Daily rows are then
   * read only where each one falls inside a single bucket (buckets of whole days starting on a
   * UTC midnight); otherwise every row is hourly, so that each row belongs to one bucket.
   */
  bucketHours?: number;
}

/** An instant of the window as milliseconds, checked to be on a whole hour. */
function hourBound(name: "from" | "to", value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || ms % HOUR_MS !== 0) throw new RangeError(`window ${name} must be a whole UTC hour, got ${value}`);
  return ms;
}

/** Adds up rollup rows (a relation with the rollups' columns) into coarser ones: per group, per day, over a window. */
export const rolledUpSql = Prisma.raw(
  "sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max, min(first_seen_at) AS first_seen_at, max(last_seen_at) AS last_seen_at",
);

const instant = (ms: number) => Prisma.sql`${new Date(ms).toISOString()}::timestamptz`;

/** The rows of one rollup table whose period starts in [from, to) (open bounds unchecked) and that meet the conditions. */
function periodRowsSql(level: RollupPeriod, from: number | undefined, to: number | undefined, conditions: Prisma.Sql[]): Prisma.Sql {
  const { table } = rollupPeriods[level];
  const column = Prisma.raw(rollupPeriods[level].column);
  const where = [...conditions];
  if (from !== undefined) where.push(Prisma.sql`${column} >= ${instant(from)}`);
  if (to !== undefined) where.push(Prisma.sql`${column} < ${instant(to)}`);
  return Prisma.sql`SELECT source, metric, ${column} AS t, count, sum, min, max, first_seen_at, last_seen_at FROM ${table}
      ${where.length > 0 ? Prisma.sql`WHERE ${Prisma.join(where, " AND ")}` : Prisma.empty}`;
}

/**
 * The rollup rows covering the window, as a parenthesized relation to alias
 * (`FROM ${windowRowsSql(…)} AS w`), with the columns
 * `(source, metric, t, count, sum, min, max, first_seen_at, last_seen_at)`: `t` is the start of the
 * row's period (an hour, or a UTC day). Adding them up per (source, metric) gives exactly the
 * events whose own time is in the window; per bucket too, when `opts.bucketHours` is given.
 *
 * `conditions` are ANDed into every part; they may name `source` and `metric` (unqualified, or
 * an outer query's columns: the parts are plain subqueries of one table each).
 */
export function windowRowsSql(window: RollupWindow, conditions: Prisma.Sql[], opts: WindowRowsOptions = {}): Prisma.Sql {
  const from = hourBound("from", window.from);
  const to = hourBound("to", window.to);
  if (from !== undefined && to !== undefined && to <= from) throw new RangeError(`window to (${window.to}) must be after from (${window.from})`);

  const { bucketHours } = opts;
  const daysFitBuckets = bucketHours === undefined || (from !== undefined && bucketHours % 24 === 0 && from % DAY_MS === 0);
  // The whole UTC days inside the window: [firstDay, lastDay), open where the window is.
  const firstDay = from === undefined ? undefined : Math.ceil(from / DAY_MS) * DAY_MS;
  const lastDay = to === undefined ? undefined : Math.floor(to / DAY_MS) * DAY_MS;
  const wholeDays = daysFitBuckets && (firstDay === undefined || lastDay === undefined || firstDay < lastDay);
  if (!wholeDays) return Prisma.sql`(${periodRowsSql("hour", from, to, conditions)})`;

  const parts: Prisma.Sql[] = [];
  if (from !== undefined && firstDay !== undefined && from < firstDay) parts.push(periodRowsSql("hour", from, firstDay, conditions));
  parts.push(periodRowsSql("day", firstDay, lastDay, conditions));
  if (to !== undefined && lastDay !== undefined && lastDay < to) parts.push(periodRowsSql("hour", lastDay, to, conditions));
  return Prisma.sql`(${Prisma.join(parts, "\n      UNION ALL\n      ")})`;
}
