// The SQL that reads a window's rollup rows (src/server/aggregates/window-rows.ts), pure: which
// rollup table each part reads and between which bounds, in order — the whole UTC days from the
// daily rollup, the partial days at the edges from the hourly one, hourly only where no whole
// day fits (or a series' buckets would split a day) — and the parameters it binds. That the rows
// add up to the events is checked on the databases (test/window-rows.test.ts).
import { describe, expect, it } from "vitest";
import { Prisma } from "../src/generated/prisma/client";
import { windowRowsSql, type RollupWindow, type WindowRowsOptions } from "../src/server/aggregates/window-rows";

/** `2026-11-20T13` → `2026-11-20T13:00:00.000Z`. */
const at = (hour: string) => `${hour}:00:00.000Z`;

/** The SQL text with each parameter written in place as a quoted literal, whitespace collapsed (none before the closing parenthesis): readable, exact. */
function rendered(sql: Prisma.Sql): string {
  return sql.text
    .replace(/\$(\d+)/g, (_m, n: string) => `'${String(sql.values[Number(n) - 1])}'`)
    .replace(/\s+/g, " ")
    .replace(/ \)$/, ")")
    .trim();
}

/** One part: the rows of one rollup table whose period starts in [from, to) (null: open). */
type Part = ["hour" | "day", string | null, string | null];

/** The relation windowRowsSql should produce for these parts, rendered. */
function expected(parts: Part[], conditions: string[] = []): string {
  const selects = parts.map(([level, from, to]) => {
    const where = [...conditions, ...(from ? [`${level} >= '${at(from)}'::timestamptz`] : []), ...(to ? [`${level} < '${at(to)}'::timestamptz`] : [])];
    const select = `SELECT source, metric, ${level} AS t, count, sum, min, max, first_seen_at, last_seen_at FROM metric_aggregate_${level}`;
    return where.length > 0 ? `${select} WHERE ${where.join(" AND ")}` : select;
  });
  return `(${selects.join(" UNION ALL ")})`;
}

describe("windowRowsSql: the rollup tables and bounds a window reads", () => {
  it.each<[string, RollupWindow, Part[]]>([
    ["whole UTC days: the daily rollup only", { from: at("2026-11-21T00"), to: at("2026-11-24T00") }, [["day", "2026-11-21T00", "2026-11-24T00"]]],
    ["exactly one UTC day", { from: at("2026-11-22T00"), to: at("2026-11-23T00") }, [["day", "2026-11-22T00", "2026-11-23T00"]]],
    [
      "unaligned at the start: the first day's hours, then the days",
      { from: at("2026-11-21T05"), to: at("2026-11-24T00") },
      [
        ["hour", "2026-11-21T05", "2026-11-22T00"],
        ["day", "2026-11-22T00", "2026-11-24T00"],
      ],
    ],
    [
      "unaligned at the end: the days, then the last day's hours",
      { from: at("2026-11-21T00"), to: at("2026-11-24T07") },
      [
        ["day", "2026-11-21T00", "2026-11-24T00"],
        ["hour", "2026-11-24T00", "2026-11-24T07"],
      ],
    ],
    [
      "unaligned at both ends: hours, days, hours",
      { from: at("2026-11-20T13"), to: at("2026-11-25T09") },
      [
        ["hour", "2026-11-20T13", "2026-11-21T00"],
        ["day", "2026-11-21T00", "2026-11-25T00"],
        ["hour", "2026-11-25T00", "2026-11-25T09"],
      ],
    ],
    [
      "one whole day between two partial ones",
      { from: at("2026-11-21T23"), to: at("2026-11-23T01") },
      [
        ["hour", "2026-11-21T23", "2026-11-22T00"],
        ["day", "2026-11-22T00", "2026-11-23T00"],
        ["hour", "2026-11-23T00", "2026-11-23T01"],
      ],
    ],
    ["inside one day: hourly only", { from: at("2026-11-22T03"), to: at("2026-11-22T20") }, [["hour", "2026-11-22T03", "2026-11-22T20"]]],
    ["one hour", { from: at("2026-11-22T03"), to: at("2026-11-22T04") }, [["hour", "2026-11-22T03", "2026-11-22T04"]]],
    ["across a midnight, shorter than a day: hourly only", { from: at("2026-11-21T20"), to: at("2026-11-22T06") }, [["hour", "2026-11-21T20", "2026-11-22T06"]]],
    ["24 hours that are not a UTC day: hourly only", { from: at("2026-11-22T06"), to: at("2026-11-23T06") }, [["hour", "2026-11-22T06", "2026-11-23T06"]]],
    [
      "open at the start: every day before the last one, then its hours",
      { to: at("2026-11-23T05") },
      [
        ["day", null, "2026-11-23T00"],
        ["hour", "2026-11-23T00", "2026-11-23T05"],
      ],
    ],
    ["open at the start, ending on a midnight", { to: at("2026-11-23T00") }, [["day", null, "2026-11-23T00"]]],
    [
      "open at the end: the first day's hours, then every day after",
      { from: at("2026-11-21T05") },
      [
        ["hour", "2026-11-21T05", "2026-11-22T00"],
        ["day", "2026-11-22T00", null],
      ],
    ],
    ["open at both ends: every day", {}, [["day", null, null]]],
    ["bounds with an offset are read as the instants they are", { from: "2026-11-21T01:00:00+01:00", to: "2026-11-23T01:00:00+01:00" }, [["day", "2026-11-21T00", "2026-11-23T00"]]],
  ])("%s", (_name, window, parts) => {
    expect(rendered(windowRowsSql(window, []))).toBe(expected(parts));
  });
});

describe("windowRowsSql for a series: daily rows only where each falls in one bucket", () => {
  it.each<[string, RollupWindow, WindowRowsOptions, Part[]]>([
    [
      "buckets of a day from a UTC midnight: days, and the last day's hours",
      { from: at("2026-11-21T00"), to: at("2026-11-24T07") },
      { bucketHours: 24 },
      [
        ["day", "2026-11-21T00", "2026-11-24T00"],
        ["hour", "2026-11-24T00", "2026-11-24T07"],
      ],
    ],
    ["buckets of two days from a UTC midnight", { from: at("2026-11-20T00"), to: at("2026-11-26T00") }, { bucketHours: 48 }, [["day", "2026-11-20T00", "2026-11-26T00"]]],
    ["buckets of a day from 05:00: hourly only", { from: at("2026-11-21T05"), to: at("2026-11-24T05") }, { bucketHours: 24 }, [["hour", "2026-11-21T05", "2026-11-24T05"]]],
    ["buckets of an hour: hourly only", { from: at("2026-11-21T00"), to: at("2026-11-24T00") }, { bucketHours: 1 }, [["hour", "2026-11-21T00", "2026-11-24T00"]]],
    ["buckets of 36 hours: hourly only", { from: at("2026-11-21T00"), to: at("2026-11-24T00") }, { bucketHours: 36 }, [["hour", "2026-11-21T00", "2026-11-24T00"]]],
    ["buckets counted from an open start: hourly only", { to: at("2026-11-24T00") }, { bucketHours: 24 }, [["hour", null, "2026-11-24T00"]]],
  ])("%s", (_name, window, opts, parts) => {
    expect(rendered(windowRowsSql(window, [], opts))).toBe(expected(parts));
  });
});

describe("windowRowsSql: conditions and parameters", () => {
  it("ANDs the conditions into every part, before the bounds, each value a parameter", () => {
    const sql = windowRowsSql({ from: at("2026-11-20T13"), to: at("2026-11-25T09") }, [Prisma.sql`source = ${"s1"}`, Prisma.sql`metric = ${"m0"}`]);
    expect(rendered(sql)).toBe(
      expected(
        [
          ["hour", "2026-11-20T13", "2026-11-21T00"],
          ["day", "2026-11-21T00", "2026-11-25T00"],
          ["hour", "2026-11-25T00", "2026-11-25T09"],
        ],
        ["source = 's1'", "metric = 'm0'"],
      ),
    );
  });

  it("binds every bound and value as a parameter ($n), never in the text", () => {
    const sql = windowRowsSql({ from: at("2026-11-21T05"), to: at("2026-11-24T00") }, [Prisma.sql`source = ${"s'1"}`]);
    expect(sql.text.replace(/\s+/g, " ")).toBe(
      "(SELECT source, metric, hour AS t, count, sum, min, max, first_seen_at, last_seen_at FROM metric_aggregate_hour " +
        "WHERE source = $1 AND hour >= $2::timestamptz AND hour < $3::timestamptz " +
        "UNION ALL SELECT source, metric, day AS t, count, sum, min, max, first_seen_at, last_seen_at FROM metric_aggregate_day " +
        "WHERE source = $4 AND day >= $5::timestamptz AND day < $6::timestamptz)",
    );
    expect(sql.values).toEqual(["s'1", at("2026-11-21T05"), at("2026-11-22T00"), "s'1", at("2026-11-22T00"), at("2026-11-24T00")]);
  });

  it("a window open at both ends with no conditions has no WHERE and no parameters", () => {
    const sql = windowRowsSql({}, []);
    expect(sql.values).toEqual([]);
    expect(rendered(sql)).toBe("(SELECT source, metric, day AS t, count, sum, min, max, first_seen_at, last_seen_at FROM metric_aggregate_day)");
  });
});

describe("windowRowsSql refuses a window it cannot read exactly", () => {
  it.each<[string, RollupWindow, string]>([
    ["from off a whole hour", { from: "2026-11-21T00:30:00.000Z", to: at("2026-11-22T00") }, "window from must be a whole UTC hour, got 2026-11-21T00:30:00.000Z"],
    ["to off a whole hour", { to: "2026-11-22T00:00:00.001Z" }, "window to must be a whole UTC hour, got 2026-11-22T00:00:00.001Z"],
    ["an offset off a whole hour", { from: "2026-11-21T00:00:00+05:30" }, "window from must be a whole UTC hour, got 2026-11-21T00:00:00+05:30"],
    ["from that is no date", { from: "yesterday" }, "window from must be a whole UTC hour, got yesterday"],
    ["an empty window", { from: at("2026-11-22T00"), to: at("2026-11-22T00") }, "window to (2026-11-22T00:00:00.000Z) must be after from (2026-11-22T00:00:00.000Z)"],
    ["to before from", { from: at("2026-11-22T01"), to: at("2026-11-22T00") }, "window to (2026-11-22T00:00:00.000Z) must be after from (2026-11-22T01:00:00.000Z)"],
  ])("%s: RangeError", (_name, window, message) => {
    expect(() => windowRowsSql(window, [])).toThrow(new RangeError(message));
  });
});
