// The rollup rows of a window (src/server/aggregates/window-rows.ts): whole UTC days from the
// daily rollup, the partial days at either edge from the hourly one, and added up they equal a
// recomputation from the processed events, exactly, per (source, metric) and per series bucket.
// Windows aligned on UTC days, unaligned at either end, shorter than a day, exactly one day,
// open at one end. Both databases; the rollups are written by the write path itself.
import { beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "../src/generated/prisma/client";
import { createCaller } from "../src/server/api/root";
import { windowRowsSql, type RollupWindow, type WindowRowsOptions } from "../src/server/aggregates/window-rows";
import { backends, testContext } from "./support/test-db";
import { useTestDatabase } from "./support/use-test-database";
import { isoTimeSql } from "../src/server/db/iso-time-sql";


/** Totals per (source, metric), and per bucket when `bucket` is an expression; every value as exact text. */
function totalsSql(relation: Prisma.Sql, values: { count: string; sum: string; min: string; max: string; first: string; last: string }, bucket: string): Prisma.Sql {
  return Prisma.sql`
    SELECT source, metric, ${Prisma.raw(bucket)} AS bucket, ${Prisma.raw(values.count)}::text AS count, trim_scale(${Prisma.raw(values.sum)})::text AS sum,
           trim_scale(${Prisma.raw(values.min)})::text AS min, trim_scale(${Prisma.raw(values.max)})::text AS max,
           ${Prisma.raw(isoTimeSql(values.first))} AS first_seen_at, ${Prisma.raw(isoTimeSql(values.last))} AS last_seen_at
    FROM ${relation} AS w GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
}
const fromRollup = { count: "sum(count)", sum: "sum(sum)", min: "min(min)", max: "max(max)", first: "min(first_seen_at)", last: "max(last_seen_at)" };
const fromEvents = { count: "count(*)", sum: "sum(value)", min: "min(value)", max: "max(value)", first: "min(occurred_at)", last: "max(occurred_at)" };

const bound = (v: string | undefined) => Prisma.sql`${v ?? null}::timestamptz`;
/** The processed events of the window (and of the conditions), as the relation `w` with a column `t` = their own time. */
function eventsIn(window: RollupWindow, conditions: Prisma.Sql[] = []): Prisma.Sql {
  return Prisma.sql`(
    SELECT source, metric, value, occurred_at, occurred_at AS t FROM processed_event
    WHERE (${bound(window.from)} IS NULL OR occurred_at >= ${bound(window.from)}) AND (${bound(window.to)} IS NULL OR occurred_at < ${bound(window.to)})
      ${conditions.length > 0 ? Prisma.sql`AND ${Prisma.join(conditions, " AND ")}` : Prisma.empty})`;
}

/** A series bucket of `t` as an index from `from`. */
const bucketOf = (from: string | undefined, hours: number | undefined) =>
  hours === undefined ? "0" : `floor((extract(epoch FROM t) - extract(epoch FROM '${from}'::timestamptz)) / ${hours * 3600})::int`;

interface Case {
  name: string;
  window: RollupWindow;
  /** The UTC days read from the daily rollup, [first, last) (an end null where the window is open), or null: hourly rows only. */
  days: [string | null, string | null] | null;
}

const cases: Case[] = [
  { name: "aligned on UTC days at both ends", window: { from: "2026-11-21T00:00:00.000Z", to: "2026-11-24T00:00:00.000Z" }, days: ["2026-11-21T00:00:00Z", "2026-11-24T00:00:00Z"] },
  { name: "unaligned at the start", window: { from: "2026-11-21T05:00:00.000Z", to: "2026-11-24T00:00:00.000Z" }, days: ["2026-11-22T00:00:00Z", "2026-11-24T00:00:00Z"] },
  { name: "unaligned at the end", window: { from: "2026-11-21T00:00:00.000Z", to: "2026-11-24T07:00:00.000Z" }, days: ["2026-11-21T00:00:00Z", "2026-11-24T00:00:00Z"] },
  { name: "unaligned at both ends", window: { from: "2026-11-20T13:00:00.000Z", to: "2026-11-25T09:00:00.000Z" }, days: ["2026-11-21T00:00:00Z", "2026-11-25T00:00:00Z"] },
  { name: "shorter than a day, inside one day", window: { from: "2026-11-22T03:00:00.000Z", to: "2026-11-22T20:00:00.000Z" }, days: null },
  { name: "shorter than a day, across a midnight", window: { from: "2026-11-21T20:00:00.000Z", to: "2026-11-22T06:00:00.000Z" }, days: null },
  { name: "exactly one UTC day", window: { from: "2026-11-22T00:00:00.000Z", to: "2026-11-23T00:00:00.000Z" }, days: ["2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z"] },
  { name: "24 hours, not a UTC day", window: { from: "2026-11-22T06:00:00.000Z", to: "2026-11-23T06:00:00.000Z" }, days: null },
  { name: "open at the start", window: { to: "2026-11-23T05:00:00.000Z" }, days: [null, "2026-11-23T00:00:00Z"] },
  { name: "open at the end", window: { from: "2026-11-21T05:00:00.000Z" }, days: ["2026-11-22T00:00:00Z", null] },
];

describe.each(backends)("rollup rows of a window on %s", (kind) => {
  const t = useTestDatabase(kind);

  beforeAll(async () => {
    // Events every 23 min 49 s (plus a few ms) over a week from 2026-11-20, three sources, two
    // metrics, values with decimals and signs; and events on the edges of UTC days.
    const start = Date.parse("2026-11-20T00:00:00.000Z");
    const spread = Array.from({ length: 420 }, (_, i) => ({
      source: `s${i % 3}`,
      payload: { metric: `m${(i >> 1) % 2}`, value: ((i * 37) % 201) / 8 - 12.5 + (i % 5 === 0 ? 0.001 : 0), eventId: `e-${i}`, timestamp: new Date(start + i * 1429_000 + (i % 7)).toISOString() },
    }));
    const edges = ["2026-11-21T23:59:59.999Z", "2026-11-22T00:00:00.000Z", "2026-11-23T23:59:59.999Z", "2026-11-24T00:00:00.000Z"].map((timestamp, i) => ({
      source: "s0",
      payload: { metric: "m0", value: 1000 + i, eventId: `edge-${i}`, timestamp },
    }));
    const out = await createCaller(testContext(t.db)).ingestBatch({ events: [...spread, ...edges] });
    expect(out.counted).toBe(424);
  });

  async function expectExact(window: RollupWindow, days: Case["days"], opts: WindowRowsOptions = {}, conditions: Prisma.Sql[] = []) {
    const relation = windowRowsSql(window, conditions, opts);
    const bucket = bucketOf(window.from, opts.bucketHours);
    const [read, recomputed] = await Promise.all([
      t.db.prisma.$queryRaw<unknown[]>(totalsSql(relation, fromRollup, bucket)),
      t.db.prisma.$queryRaw<unknown[]>(totalsSql(eventsIn(window, conditions), fromEvents, bucket)),
    ]);
    expect(recomputed.length).toBeGreaterThan(0);
    expect(read).toEqual(recomputed);

    // Which rows were read: the events' UTC days inside `days`, their hours elsewhere; each once.
    const inDays = days === null ? Prisma.sql`false` : Prisma.sql`(${bound(days[0] ?? undefined)} IS NULL OR t >= ${bound(days[0] ?? undefined)}) AND (${bound(days[1] ?? undefined)} IS NULL OR t < ${bound(days[1] ?? undefined)})`;
    const [rows, expected] = await Promise.all([
      t.db.prisma.$queryRaw<{ source: string; metric: string; t: string }[]>`SELECT source, metric, ${Prisma.raw(isoTimeSql("t"))} AS t FROM ${relation} AS w ORDER BY 1, 2, 3`,
      t.db.prisma.$queryRaw<{ source: string; metric: string; t: string }[]>`
        SELECT DISTINCT source, metric, ${Prisma.raw(isoTimeSql("CASE WHEN inside THEN date_trunc('day', t, 'UTC') ELSE date_trunc('hour', t, 'UTC') END"))} AS t
        FROM (SELECT source, metric, t, ${inDays} AS inside FROM ${eventsIn(window, conditions)} AS e) AS w ORDER BY 1, 2, 3`,
    ]);
    expect(rows).toEqual(expected);
  }

  it.each(cases)("a window $name: the rows add up to the processed events exactly, whole UTC days read from the daily rollup", async ({ window, days }) => {
    await expectExact(window, days);
  });

  it("the conditions apply to every part of the window", async () => {
    await expectExact({ from: "2026-11-20T13:00:00.000Z", to: "2026-11-25T09:00:00.000Z" }, ["2026-11-21T00:00:00Z", "2026-11-25T00:00:00Z"], {}, [
      Prisma.sql`source = ${"s1"}`,
      Prisma.sql`metric = ${"m0"}`,
    ]);
  });

  it("a series of days starting on a UTC midnight reads daily rows, and each bucket adds up exactly", async () => {
    await expectExact({ from: "2026-11-21T00:00:00.000Z", to: "2026-11-24T07:00:00.000Z" }, ["2026-11-21T00:00:00Z", "2026-11-24T00:00:00Z"], { bucketHours: 24 });
    await expectExact({ from: "2026-11-20T00:00:00.000Z", to: "2026-11-26T00:00:00.000Z" }, ["2026-11-20T00:00:00Z", "2026-11-26T00:00:00Z"], { bucketHours: 48 });
  });

  it("a series whose buckets a UTC day would straddle reads hourly rows only, and each bucket adds up exactly", async () => {
    // Days of 24 hours from 05:00, and hours: a daily row would fall into two buckets, or be wider than one.
    await expectExact({ from: "2026-11-21T05:00:00.000Z", to: "2026-11-24T05:00:00.000Z" }, null, { bucketHours: 24 });
    await expectExact({ from: "2026-11-21T00:00:00.000Z", to: "2026-11-24T00:00:00.000Z" }, null, { bucketHours: 1 });
    await expectExact({ from: "2026-11-21T00:00:00.000Z", to: "2026-11-24T00:00:00.000Z" }, null, { bucketHours: 36 });
  });

  it("refuses bounds off a whole UTC hour and an empty window", () => {
    expect(() => windowRowsSql({ from: "2026-11-21T00:30:00.000Z", to: "2026-11-22T00:00:00.000Z" }, [])).toThrow(
      new RangeError("window from must be a whole UTC hour, got 2026-11-21T00:30:00.000Z"),
    );
    expect(() => windowRowsSql({ from: "2026-11-22T00:00:00.000Z", to: "2026-11-22T00:00:00.000Z" }, [])).toThrow(
      new RangeError("window to (2026-11-22T00:00:00.000Z) must be after from (2026-11-22T00:00:00.000Z)"),
    );
  });
});
