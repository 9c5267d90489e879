// Meter windows in time zones and their rollup bucket covers (src/lib/meter-windows.ts):
// half- and quarter-hour zones, daylight-saving days of 23, 23.5, 24.5 and 25 hours, the
// repeated hour, days whose midnight does not exist (Havana, Santiago, Cairo) or happens
// twice, a day skipped (Samoa 2011), and covers of at most 5 ranges of UTC buckets. Then a
// property over random queries in 14 zones, checked against Intl read independently.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  coverOf,
  isAligned,
  MAX_WINDOWS,
  nextWindowStart,
  windowStartOf,
  windowsOf,
  type BucketRange,
  type WindowSize,
} from "../src/lib/meter-windows";

const at = (s: string) => new Date(s);

/** The windows of a query as [start, end] ISO strings. */
function windows(from: string, to: string, windowSize: WindowSize, timeZone: string): [string, string][] {
  return windowsOf({ from: at(from), to: at(to), windowSize, timeZone }).map((w) => [w.start.toISOString(), w.end.toISOString()]);
}

/** A cover as [tier, from, to] ISO strings. */
function cover(start: string, end: string): [string, string, string][] {
  return coverOf(at(start), at(end)).map((r) => [r.tier, r.from.toISOString(), r.to.toISOString()]);
}

// Intl read here on its own, not through the module: the local wall clock and offset at an instant.
const clocks = new Map<string, Intl.DateTimeFormat>();
function local(ms: number, timeZone: string) {
  let f = clocks.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    clocks.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  const date = `${p.year}-${p.month}-${p.day}`;
  return {
    date,
    month: `${p.year}-${p.month}`,
    day: p.day,
    time: `${p.hour}:${p.minute}:${p.second}`,
    hour: `${date}T${p.hour}`,
    minute: Number(p.minute),
    second: Number(p.second),
    offsetMinutes: (wall - Math.floor(ms / 1000) * 1000) / 60_000,
  };
}

describe("unknown zones", () => {
  it("an unknown zone is a RangeError for every function, MINUTE windows too", () => {
    expect(() =>
      windowsOf({ from: at("2026-01-01T00:00:00Z"), to: at("2026-01-02T00:00:00Z"), windowSize: "MINUTE", timeZone: "Nope/Zone" }),
    ).toThrow(RangeError);
    expect(() => windowStartOf(at("2026-01-01T00:00:00Z"), "DAY", "")).toThrow(RangeError);
    expect(() => nextWindowStart(at("2026-01-01T00:00:00Z"), "HOUR", "+05:30")).toThrow(RangeError);
  });
});

describe("windows in zones a fraction of an hour from UTC", () => {
  it("Asia/Kolkata (+05:30): days start at 18:30 UTC the day before, hours at :30", () => {
    expect(windows("2026-03-09T18:30:00Z", "2026-03-11T18:30:00Z", "DAY", "Asia/Kolkata")).toEqual([
      ["2026-03-09T18:30:00.000Z", "2026-03-10T18:30:00.000Z"],
      ["2026-03-10T18:30:00.000Z", "2026-03-11T18:30:00.000Z"],
    ]);
    expect(windows("2026-03-10T00:00:00Z", "2026-03-10T02:00:00Z", "HOUR", "Asia/Kolkata")).toEqual([
      ["2026-03-09T23:30:00.000Z", "2026-03-10T00:30:00.000Z"],
      ["2026-03-10T00:30:00.000Z", "2026-03-10T01:30:00.000Z"],
      ["2026-03-10T01:30:00.000Z", "2026-03-10T02:30:00.000Z"],
    ]);
    expect(windows("2026-01-15T00:00:00Z", "2026-03-01T00:00:00Z", "MONTH", "Asia/Kolkata")).toEqual([
      ["2025-12-31T18:30:00.000Z", "2026-01-31T18:30:00.000Z"],
      ["2026-01-31T18:30:00.000Z", "2026-02-28T18:30:00.000Z"],
      ["2026-02-28T18:30:00.000Z", "2026-03-31T18:30:00.000Z"],
    ]);
  });

  it("Asia/Kathmandu (+05:45): days start at 18:15 UTC, hours at :15", () => {
    expect(windows("2026-03-10T00:00:00Z", "2026-03-10T12:00:00Z", "DAY", "Asia/Kathmandu")).toEqual([
      ["2026-03-09T18:15:00.000Z", "2026-03-10T18:15:00.000Z"],
    ]);
    expect(windows("2026-03-10T00:00:00Z", "2026-03-10T01:15:00Z", "HOUR", "Asia/Kathmandu")).toEqual([
      ["2026-03-09T23:15:00.000Z", "2026-03-10T00:15:00.000Z"],
      ["2026-03-10T00:15:00.000Z", "2026-03-10T01:15:00.000Z"],
    ]);
  });

  it("Australia/Adelaide (+10:30 → +09:30 on 5 April 2026, back on 4 October): days of 25 and 23 hours, hours at :30 throughout", () => {
    expect(windows("2026-04-04T00:00:00Z", "2026-04-06T00:00:00Z", "DAY", "Australia/Adelaide")).toEqual([
      ["2026-04-03T13:30:00.000Z", "2026-04-04T13:30:00.000Z"],
      ["2026-04-04T13:30:00.000Z", "2026-04-05T14:30:00.000Z"], // 25 h
      ["2026-04-05T14:30:00.000Z", "2026-04-06T14:30:00.000Z"],
    ]);
    expect(windows("2026-10-03T00:00:00Z", "2026-10-05T00:00:00Z", "DAY", "Australia/Adelaide")).toEqual([
      ["2026-10-02T14:30:00.000Z", "2026-10-03T14:30:00.000Z"],
      ["2026-10-03T14:30:00.000Z", "2026-10-04T13:30:00.000Z"], // 23 h
      ["2026-10-04T13:30:00.000Z", "2026-10-05T13:30:00.000Z"],
    ]);
    // 03:00 local went back to 02:00 at 16:30 UTC: the repeated hour is two windows.
    expect(windows("2026-04-04T15:00:00Z", "2026-04-04T18:00:00Z", "HOUR", "Australia/Adelaide")).toEqual([
      ["2026-04-04T14:30:00.000Z", "2026-04-04T15:30:00.000Z"],
      ["2026-04-04T15:30:00.000Z", "2026-04-04T16:30:00.000Z"],
      ["2026-04-04T16:30:00.000Z", "2026-04-04T17:30:00.000Z"],
      ["2026-04-04T17:30:00.000Z", "2026-04-04T18:30:00.000Z"],
    ]);
  });

  it("Australia/Lord_Howe (+11 ↔ +10:30 at 02:00 local): days of 24.5 and 23.5 hours, half-hour windows at the changes", () => {
    expect(windows("2026-04-04T13:00:00Z", "2026-04-05T14:00:00Z", "DAY", "Australia/Lord_Howe")).toEqual([
      ["2026-04-04T13:00:00.000Z", "2026-04-05T13:30:00.000Z"], // 5 April: 24.5 h
      ["2026-04-05T13:30:00.000Z", "2026-04-06T13:30:00.000Z"],
    ]);
    expect(windows("2026-10-03T13:30:00Z", "2026-10-04T13:00:00Z", "DAY", "Australia/Lord_Howe")).toEqual([
      ["2026-10-03T13:30:00.000Z", "2026-10-04T13:00:00.000Z"], // 4 October: 23.5 h
    ]);
    // Back: 02:00 +11 (15:00 UTC) became 01:30 +10:30; the repeated half hour is a window of its own.
    expect(windows("2026-04-04T14:00:00Z", "2026-04-04T16:30:00Z", "HOUR", "Australia/Lord_Howe")).toEqual([
      ["2026-04-04T14:00:00.000Z", "2026-04-04T15:00:00.000Z"],
      ["2026-04-04T15:00:00.000Z", "2026-04-04T15:30:00.000Z"],
      ["2026-04-04T15:30:00.000Z", "2026-04-04T16:30:00.000Z"],
    ]);
    // Forward: 02:00 +10:30 (15:30 UTC) became 02:30 +11; local hour 02 is half an hour long.
    expect(windows("2026-10-03T14:30:00Z", "2026-10-03T17:00:00Z", "HOUR", "Australia/Lord_Howe")).toEqual([
      ["2026-10-03T14:30:00.000Z", "2026-10-03T15:30:00.000Z"],
      ["2026-10-03T15:30:00.000Z", "2026-10-03T16:00:00.000Z"],
      ["2026-10-03T16:00:00.000Z", "2026-10-03T17:00:00.000Z"],
    ]);
  });
});

describe("windows across daylight-saving changes", () => {
  it("America/New_York: 8 March 2026 has 23 hours, 1 November 25", () => {
    expect(windows("2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z", "DAY", "America/New_York")).toEqual([
      ["2026-03-07T05:00:00.000Z", "2026-03-08T05:00:00.000Z"],
      ["2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z"],
      ["2026-03-09T04:00:00.000Z", "2026-03-10T04:00:00.000Z"],
    ]);
    expect(windows("2026-10-31T12:00:00Z", "2026-11-02T12:00:00Z", "DAY", "America/New_York")).toEqual([
      ["2026-10-31T04:00:00.000Z", "2026-11-01T04:00:00.000Z"],
      ["2026-11-01T04:00:00.000Z", "2026-11-02T05:00:00.000Z"],
      ["2026-11-02T05:00:00.000Z", "2026-11-03T05:00:00.000Z"],
    ]);
  });

  it("America/New_York HOUR windows: 02:00 does not exist on 8 March; 01:00–02:00 on 1 November is two windows (EDT, then EST)", () => {
    expect(windows("2026-03-08T05:00:00Z", "2026-03-08T09:00:00Z", "HOUR", "America/New_York")).toEqual([
      ["2026-03-08T05:00:00.000Z", "2026-03-08T06:00:00.000Z"], // 00:00 EST
      ["2026-03-08T06:00:00.000Z", "2026-03-08T07:00:00.000Z"], // 01:00 EST
      ["2026-03-08T07:00:00.000Z", "2026-03-08T08:00:00.000Z"], // 03:00 EDT
      ["2026-03-08T08:00:00.000Z", "2026-03-08T09:00:00.000Z"],
    ]);
    expect(windows("2026-11-01T04:00:00Z", "2026-11-01T08:00:00Z", "HOUR", "America/New_York")).toEqual([
      ["2026-11-01T04:00:00.000Z", "2026-11-01T05:00:00.000Z"], // 00:00 EDT
      ["2026-11-01T05:00:00.000Z", "2026-11-01T06:00:00.000Z"], // 01:00 EDT
      ["2026-11-01T06:00:00.000Z", "2026-11-01T07:00:00.000Z"], // 01:00 EST
      ["2026-11-01T07:00:00.000Z", "2026-11-01T08:00:00.000Z"], // 02:00 EST
    ]);
    expect(windowStartOf(at("2026-11-01T05:59:59.999Z"), "HOUR", "America/New_York").toISOString()).toBe("2026-11-01T05:00:00.000Z");
    expect(windowStartOf(at("2026-11-01T06:30:00Z"), "HOUR", "America/New_York").toISOString()).toBe("2026-11-01T06:00:00.000Z");
  });

  it("Europe/London MONTH windows: March is 743 hours (ends at 23:00 UTC), April starts at BST's midnight", () => {
    expect(windows("2026-02-10T00:00:00Z", "2026-05-01T00:00:00Z", "MONTH", "Europe/London")).toEqual([
      ["2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"],
      ["2026-03-01T00:00:00.000Z", "2026-03-31T23:00:00.000Z"],
      ["2026-03-31T23:00:00.000Z", "2026-04-30T23:00:00.000Z"],
      ["2026-04-30T23:00:00.000Z", "2026-05-31T23:00:00.000Z"],
    ]);
  });

  it("days whose midnight does not exist start at 01:00: Havana 8 March 2026, Santiago 6 September 2026, Cairo 24 April 2026", () => {
    expect(windows("2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z", "DAY", "America/Havana")).toEqual([
      ["2026-03-07T05:00:00.000Z", "2026-03-08T05:00:00.000Z"],
      ["2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z"], // 01:00 CDT; 23 h
      ["2026-03-09T04:00:00.000Z", "2026-03-10T04:00:00.000Z"],
    ]);
    expect(local(at("2026-03-08T05:00:00Z").getTime(), "America/Havana")).toMatchObject({ date: "2026-03-08", time: "01:00:00" });
    expect(windows("2026-09-05T12:00:00Z", "2026-09-07T12:00:00Z", "DAY", "America/Santiago")).toEqual([
      ["2026-09-05T04:00:00.000Z", "2026-09-06T04:00:00.000Z"],
      ["2026-09-06T04:00:00.000Z", "2026-09-07T03:00:00.000Z"], // 01:00 -03; 23 h
      ["2026-09-07T03:00:00.000Z", "2026-09-08T03:00:00.000Z"],
    ]);
    expect(local(at("2026-09-06T04:00:00Z").getTime(), "America/Santiago")).toMatchObject({ date: "2026-09-06", time: "01:00:00" });
    expect(windows("2026-04-24T12:00:00Z", "2026-04-24T13:00:00Z", "DAY", "Africa/Cairo")).toEqual([
      ["2026-04-23T22:00:00.000Z", "2026-04-24T21:00:00.000Z"],
    ]);
    // The month that starts on such a day starts at 01:00 too (Santiago's DST never starts on the 1st; Havana's neither): MONTH of March in Havana is unaffected.
    expect(windowStartOf(at("2026-03-20T00:00:00Z"), "MONTH", "America/Havana").toISOString()).toBe("2026-03-01T05:00:00.000Z");
  });

  it("a midnight that happens twice (Havana goes back from 01:00 to 00:00 on 1 November 2026): the day starts at the first", () => {
    expect(windows("2026-11-01T04:00:00Z", "2026-11-01T05:30:00Z", "DAY", "America/Havana")).toEqual([
      ["2026-11-01T04:00:00.000Z", "2026-11-02T05:00:00.000Z"],
    ]);
    expect(windowStartOf(at("2026-11-01T05:15:00Z"), "DAY", "America/Havana").toISOString()).toBe("2026-11-01T04:00:00.000Z");
  });

  it("clocks going back across midnight (St. John's went back at 00:01 until 2011): the repeated minutes of 6 November belong to 7 November's window", () => {
    expect(windows("2010-11-06T12:00:00Z", "2010-11-08T12:00:00Z", "DAY", "America/St_Johns")).toEqual([
      ["2010-11-06T02:30:00.000Z", "2010-11-07T02:30:00.000Z"],
      ["2010-11-07T02:30:00.000Z", "2010-11-08T03:30:00.000Z"], // 25 h
      ["2010-11-08T03:30:00.000Z", "2010-11-09T03:30:00.000Z"],
    ]);
    // 03:00 UTC reads 6 November 23:29 (NST), after 7 November began at 00:00 NDT.
    expect(local(at("2010-11-07T03:00:00Z").getTime(), "America/St_Johns").date).toBe("2010-11-06");
    expect(windowStartOf(at("2010-11-07T03:00:00Z"), "DAY", "America/St_Johns").toISOString()).toBe("2010-11-07T02:30:00.000Z");
    expect(nextWindowStart(at("2010-11-07T03:00:00Z"), "DAY", "America/St_Johns").toISOString()).toBe("2010-11-08T03:30:00.000Z");
    // Its hours: 00:00 NDT lasted one minute, then 23:01 NST.
    expect(windows("2010-11-07T02:30:00Z", "2010-11-07T04:00:00Z", "HOUR", "America/St_Johns")).toEqual([
      ["2010-11-07T02:30:00.000Z", "2010-11-07T02:31:00.000Z"],
      ["2010-11-07T02:31:00.000Z", "2010-11-07T03:30:00.000Z"],
      ["2010-11-07T03:30:00.000Z", "2010-11-07T04:30:00.000Z"],
    ]);
  });

  it("a skipped day has no window: Pacific/Apia went from 29 to 31 December 2011", () => {
    expect(windows("2011-12-29T12:00:00Z", "2011-12-31T09:00:00Z", "DAY", "Pacific/Apia")).toEqual([
      ["2011-12-29T10:00:00.000Z", "2011-12-30T10:00:00.000Z"], // 29 December (-10)
      ["2011-12-30T10:00:00.000Z", "2011-12-31T10:00:00.000Z"], // 31 December (+14)
    ]);
  });
});

describe("windowsOf bounds", () => {
  it("UTC MINUTE windows: the first contains from, the last contains to - 1 ms", () => {
    expect(windows("2026-01-15T12:00:30Z", "2026-01-15T12:03:00.001Z", "MINUTE", "UTC")).toEqual([
      ["2026-01-15T12:00:00.000Z", "2026-01-15T12:01:00.000Z"],
      ["2026-01-15T12:01:00.000Z", "2026-01-15T12:02:00.000Z"],
      ["2026-01-15T12:02:00.000Z", "2026-01-15T12:03:00.000Z"],
      ["2026-01-15T12:03:00.000Z", "2026-01-15T12:04:00.000Z"],
    ]);
    expect(windows("2026-01-15T12:00:00Z", "2026-01-15T12:02:00Z", "MINUTE", "Asia/Kathmandu")).toEqual([
      ["2026-01-15T12:00:00.000Z", "2026-01-15T12:01:00.000Z"],
      ["2026-01-15T12:01:00.000Z", "2026-01-15T12:02:00.000Z"],
    ]);
  });

  it.each([
    // [from, to, first start, last end, count]
    ["2026-03-10T05:00:00Z", "2026-03-11T19:00:00Z", "2026-03-09T18:30:00.000Z", "2026-03-12T18:30:00.000Z", 3],
    ["2026-03-10T05:00:00Z", "2026-03-11T18:30:00Z", "2026-03-09T18:30:00.000Z", "2026-03-11T18:30:00.000Z", 2],
    ["2026-03-10T18:30:00Z", "2026-03-10T18:30:00.001Z", "2026-03-10T18:30:00.000Z", "2026-03-11T18:30:00.000Z", 1],
    ["2026-03-10T18:29:59.999Z", "2026-03-10T18:30:00.001Z", "2026-03-09T18:30:00.000Z", "2026-03-11T18:30:00.000Z", 2],
  ])("Kolkata DAY windows of [%s, %s): %s … %s", (from, to, first, last, count) => {
    const w = windows(from, to, "DAY", "Asia/Kolkata");
    expect(w).toHaveLength(count);
    expect(w[0]?.[0]).toBe(first);
    expect(w.at(-1)?.[1]).toBe(last);
  });

  it("from = to has no window; from after to is a RangeError", () => {
    expect(windows("2026-01-15T12:00:00Z", "2026-01-15T12:00:00Z", "HOUR", "UTC")).toEqual([]);
    expect(() => windows("2026-01-15T12:00:00Z", "2026-01-15T11:00:00Z", "HOUR", "UTC")).toThrow(RangeError);
    expect(() => windowsOf({ from: new Date(NaN), to: at("2026-01-15T11:00:00Z"), windowSize: "HOUR", timeZone: "UTC" })).toThrow(
      RangeError,
    );
  });

  it(`refuses more than MAX_WINDOWS (${MAX_WINDOWS}) windows with a RangeError naming the count`, () => {
    const from = Date.parse("2026-01-01T00:00:00Z");
    const query = (minutes: number, windowSize: WindowSize = "MINUTE") => ({
      from: new Date(from),
      to: new Date(from + minutes * 60_000),
      windowSize,
      timeZone: "UTC",
    });
    expect(windowsOf(query(MAX_WINDOWS))).toHaveLength(MAX_WINDOWS);
    expect(() => windowsOf(query(MAX_WINDOWS + 1))).toThrow(
      new RangeError(`100001 MINUTE windows from 2026-01-01T00:00:00.000Z to 2026-03-11T10:41:00.000Z: more than 100000`),
    );
    expect(() => windowsOf(query(MAX_WINDOWS * 60 + 60, "HOUR"))).toThrow(/^about 100001 HOUR windows .*: more than 100000$/);
    expect(() =>
      windowsOf({ from: at("1800-01-01T00:00:00Z"), to: at("2200-01-01T00:00:00Z"), windowSize: "DAY", timeZone: "Europe/London" }),
    ).toThrow(/about 146097 DAY windows/);
  });

  it("a 30-day DAY query and a 50,000-window MINUTE query are cheap", () => {
    const t0 = performance.now();
    expect(windows("2026-03-01T05:00:00Z", "2026-03-31T04:00:00Z", "DAY", "America/New_York")).toHaveLength(30);
    expect(windows("2026-03-01T00:00:00Z", "2026-04-04T17:20:00Z", "MINUTE", "America/New_York")).toHaveLength(50_000);
    expect(performance.now() - t0).toBeLessThan(2000); // generous: shared machines
  });
});

describe("windowStartOf, nextWindowStart, isAligned", () => {
  it.each([
    ["2026-03-10T12:34:56.789Z", "MINUTE", "Asia/Kolkata", "2026-03-10T12:34:00.000Z", "2026-03-10T12:35:00.000Z"],
    ["2026-03-10T12:34:56.789Z", "HOUR", "UTC", "2026-03-10T12:00:00.000Z", "2026-03-10T13:00:00.000Z"],
    ["2026-03-10T12:34:56.789Z", "HOUR", "Asia/Kolkata", "2026-03-10T12:30:00.000Z", "2026-03-10T13:30:00.000Z"],
    ["2026-03-10T12:14:56.789Z", "HOUR", "Asia/Kathmandu", "2026-03-10T11:15:00.000Z", "2026-03-10T12:15:00.000Z"],
    ["2026-03-10T12:34:56.789Z", "DAY", "Asia/Kolkata", "2026-03-09T18:30:00.000Z", "2026-03-10T18:30:00.000Z"],
    ["2026-03-10T18:30:00.000Z", "DAY", "Asia/Kolkata", "2026-03-10T18:30:00.000Z", "2026-03-11T18:30:00.000Z"],
    ["2026-03-08T12:00:00.000Z", "DAY", "America/New_York", "2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z"],
    ["2026-03-15T12:00:00.000Z", "MONTH", "Europe/London", "2026-03-01T00:00:00.000Z", "2026-03-31T23:00:00.000Z"],
    ["2026-03-31T22:59:59.999Z", "MONTH", "Europe/London", "2026-03-01T00:00:00.000Z", "2026-03-31T23:00:00.000Z"],
    ["2026-03-31T23:00:00.000Z", "MONTH", "Europe/London", "2026-03-31T23:00:00.000Z", "2026-04-30T23:00:00.000Z"],
  ] as const)("%s %s in %s starts at %s, next at %s", (instant, size, zone, start, next) => {
    expect(windowStartOf(at(instant), size, zone).toISOString()).toBe(start);
    expect(nextWindowStart(at(instant), size, zone).toISOString()).toBe(next);
    expect(isAligned(at(start), size, zone)).toBe(true);
    expect(isAligned(at(next), size, zone)).toBe(true);
    expect(isAligned(at(instant), size, zone)).toBe(instant === start);
  });
});

describe("bucket covers", () => {
  it("a Kolkata day: minutes to the hour, the hours, minutes after the last whole hour", () => {
    expect(cover("2026-03-09T18:30:00Z", "2026-03-10T18:30:00Z")).toEqual([
      ["minute", "2026-03-09T18:30:00.000Z", "2026-03-09T19:00:00.000Z"],
      ["hour", "2026-03-09T19:00:00.000Z", "2026-03-10T18:00:00.000Z"],
      ["minute", "2026-03-10T18:00:00.000Z", "2026-03-10T18:30:00.000Z"],
    ]);
  });

  it("a Kathmandu day, a UTC day, a UTC month, a London month across its change, an Adelaide hour", () => {
    expect(cover("2026-03-09T18:15:00Z", "2026-03-10T18:15:00Z")).toEqual([
      ["minute", "2026-03-09T18:15:00.000Z", "2026-03-09T19:00:00.000Z"],
      ["hour", "2026-03-09T19:00:00.000Z", "2026-03-10T18:00:00.000Z"],
      ["minute", "2026-03-10T18:00:00.000Z", "2026-03-10T18:15:00.000Z"],
    ]);
    expect(cover("2026-03-10T00:00:00Z", "2026-03-11T00:00:00Z")).toEqual([
      ["day", "2026-03-10T00:00:00.000Z", "2026-03-11T00:00:00.000Z"],
    ]);
    expect(cover("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")).toEqual([
      ["day", "2026-03-01T00:00:00.000Z", "2026-04-01T00:00:00.000Z"],
    ]);
    expect(cover("2026-03-01T00:00:00Z", "2026-03-31T23:00:00Z")).toEqual([
      ["day", "2026-03-01T00:00:00.000Z", "2026-03-31T00:00:00.000Z"],
      ["hour", "2026-03-31T00:00:00.000Z", "2026-03-31T23:00:00.000Z"],
    ]);
    expect(cover("2026-04-04T14:30:00Z", "2026-04-04T15:30:00Z")).toEqual([
      ["minute", "2026-04-04T14:30:00.000Z", "2026-04-04T15:30:00.000Z"],
    ]);
  });

  it("30 Kolkata days: the whole range is 5 ranges, each day window 3", () => {
    expect(cover("2026-03-09T18:30:00Z", "2026-04-08T18:30:00Z")).toEqual([
      ["minute", "2026-03-09T18:30:00.000Z", "2026-03-09T19:00:00.000Z"],
      ["hour", "2026-03-09T19:00:00.000Z", "2026-03-10T00:00:00.000Z"],
      ["day", "2026-03-10T00:00:00.000Z", "2026-04-08T00:00:00.000Z"],
      ["hour", "2026-04-08T00:00:00.000Z", "2026-04-08T18:00:00.000Z"],
      ["minute", "2026-04-08T18:00:00.000Z", "2026-04-08T18:30:00.000Z"],
    ]);
    const days = windowsOf({
      from: at("2026-03-09T18:30:00Z"),
      to: at("2026-04-08T18:30:00Z"),
      windowSize: "DAY",
      timeZone: "Asia/Kolkata",
    });
    expect(days).toHaveLength(30);
    for (const [i, w] of days.entries()) {
      const day = new Date(Date.parse("2026-03-09T18:30:00Z") + i * 86_400_000);
      const next = new Date(day.getTime() + 86_400_000);
      const iso = (ms: number) => new Date(ms).toISOString();
      expect(w.start.toISOString()).toBe(day.toISOString());
      expect(cover(w.start.toISOString(), w.end.toISOString())).toEqual([
        ["minute", day.toISOString(), iso(day.getTime() + 30 * 60_000)],
        ["hour", iso(day.getTime() + 30 * 60_000), iso(next.getTime() - 30 * 60_000)],
        ["minute", iso(next.getTime() - 30 * 60_000), next.toISOString()],
      ]);
    }
  });

  it.each([
    ["2026-03-10T12:10:00Z", "2026-03-10T12:50:00Z", [["minute", "2026-03-10T12:10:00.000Z", "2026-03-10T12:50:00.000Z"]]],
    ["2026-03-10T12:10:00Z", "2026-03-10T13:50:00Z", [["minute", "2026-03-10T12:10:00.000Z", "2026-03-10T13:50:00.000Z"]]],
    [
      "2026-03-10T12:10:00Z",
      "2026-03-10T14:50:00Z",
      [
        ["minute", "2026-03-10T12:10:00.000Z", "2026-03-10T13:00:00.000Z"],
        ["hour", "2026-03-10T13:00:00.000Z", "2026-03-10T14:00:00.000Z"],
        ["minute", "2026-03-10T14:00:00.000Z", "2026-03-10T14:50:00.000Z"],
      ],
    ],
    ["2026-03-10T12:00:00Z", "2026-03-10T15:00:00Z", [["hour", "2026-03-10T12:00:00.000Z", "2026-03-10T15:00:00.000Z"]]],
    [
      "2026-03-09T23:00:00Z",
      "2026-03-11T00:15:00Z",
      [
        ["hour", "2026-03-09T23:00:00.000Z", "2026-03-10T00:00:00.000Z"],
        ["day", "2026-03-10T00:00:00.000Z", "2026-03-11T00:00:00.000Z"],
        ["minute", "2026-03-11T00:00:00.000Z", "2026-03-11T00:15:00.000Z"],
      ],
    ],
    ["2026-03-10T12:00:00Z", "2026-03-10T12:00:00Z", []],
  ])("[%s, %s)", (start, end, expected) => {
    expect(cover(start, end)).toEqual(expected);
  });

  it.each([
    ["2026-03-10T12:00:30Z", "2026-03-10T13:00:00Z"],
    ["2026-03-10T12:00:00Z", "2026-03-10T13:00:00.001Z"],
    ["2026-03-10T13:00:00Z", "2026-03-10T12:00:00Z"],
  ])("[%s, %s) is a RangeError", (start, end) => {
    expect(() => coverOf(at(start), at(end))).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Property

const zones = [
  "UTC",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Asia/Tehran", // +03:30, with DST until 2022
  "Australia/Adelaide",
  "Australia/Lord_Howe",
  "Pacific/Chatham", // +12:45 / +13:45
  "Pacific/Apia", // skipped 30 December 2011
  "America/New_York",
  "America/St_Johns", // -03:30; went back at 00:01 until 2011
  "America/Santiago",
  "America/Havana",
  "Africa/Cairo",
  "Europe/London",
];

/** Offset changes of the zones above, where windows go wrong if anywhere: queries start near them half the time. */
const changes: [string, string][] = [
  ["2026-03-08T07:00:00Z", "America/New_York"],
  ["2026-11-01T06:00:00Z", "America/New_York"],
  ["2010-03-14T03:31:00Z", "America/St_Johns"], // 00:01 → 01:01
  ["2010-11-07T02:31:00Z", "America/St_Johns"], // 00:01 → 23:01 the day before
  ["2011-12-30T10:00:00Z", "Pacific/Apia"],
  ["2026-04-04T15:00:00Z", "Australia/Lord_Howe"],
  ["2026-10-03T15:30:00Z", "Australia/Lord_Howe"],
  ["2026-04-04T16:30:00Z", "Australia/Adelaide"],
  ["2026-03-08T05:00:00Z", "America/Havana"],
  ["2026-11-01T05:00:00Z", "America/Havana"],
  ["2026-09-06T04:00:00Z", "America/Santiago"],
  ["2026-04-05T03:00:00Z", "America/Santiago"],
  ["2026-04-23T22:00:00Z", "Africa/Cairo"],
  ["2026-03-29T01:00:00Z", "Europe/London"],
  ["2021-09-21T19:30:00Z", "Asia/Tehran"],
  ["2026-09-26T14:00:00Z", "Pacific/Chatham"],
];

const spanMs: Record<WindowSize, number> = { MINUTE: 3 * 3_600_000, HOUR: 3 * 86_400_000, DAY: 40 * 86_400_000, MONTH: 400 * 86_400_000 };
const MINUTE = 60_000;
const unit: Record<BucketRange["tier"], number> = { minute: MINUTE, hour: 3_600_000, day: 86_400_000 };

function checkCover(start: Date, end: Date): void {
  const ranges = coverOf(start, end);
  expect(ranges.length).toBeLessThanOrEqual(5);
  expect(ranges.map((r) => r.tier).join(" ")).toMatch(/^(minute ?)?(hour ?)?(day ?)?(hour ?)?(minute)?$/);
  let at = start.getTime();
  for (const r of ranges) {
    expect(r.from.getTime()).toBe(at);
    expect(r.to.getTime()).toBeGreaterThan(r.from.getTime());
    expect(r.from.getTime() % unit[r.tier]).toBe(0);
    expect(r.to.getTime() % unit[r.tier]).toBe(0);
    at = r.to.getTime();
  }
  expect(at).toBe(end.getTime());
}

describe("property: windows in 14 zones, 2000–2040", () => {
  it.each(["MINUTE", "HOUR", "DAY", "MONTH"] as const)(
    "%s windows are contiguous, aligned, local, and their covers partition them",
    (size) => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.tuple(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.constantFrom(...zones)),
            fc
              .constantFrom(...changes)
              .chain(([change, zone]) =>
                fc.tuple(fc.integer({ min: Date.parse(change) - spanMs[size], max: Date.parse(change) }), fc.constant(zone)),
              ),
          ),
          fc.integer({ min: 1, max: spanMs[size] }),
          ([from, zone], span) => {
            const to = from + span;
            const ws = windowsOf({ from: new Date(from), to: new Date(to), windowSize: size, timeZone: zone });
            expect(ws.length).toBeGreaterThan(0);
            expect(ws[0]?.start.getTime()).toBe(windowStartOf(new Date(from), size, zone).getTime());
            expect(ws[0]?.start.getTime()).toBeLessThanOrEqual(from);
            const last = ws.at(-1);
            expect(last?.start.getTime()).toBeLessThanOrEqual(to - 1);
            expect(last?.end.getTime()).toBeGreaterThan(to - 1);
            for (const [i, w] of ws.entries()) {
              const s = w.start.getTime();
              const e = w.end.getTime();
              expect(e).toBeGreaterThan(s);
              if (i > 0) expect(s).toBe(ws[i - 1]?.end.getTime());
              // Every instant of the window (here: its first, last and middle ms) is in it, and the
              // stepped end is what nextWindowStart computes afresh.
              expect(isAligned(w.start, size, zone)).toBe(true);
              expect(nextWindowStart(w.start, size, zone).getTime()).toBe(e);
              for (const x of [e - 1, Math.floor((s + e) / 2)]) expect(windowStartOf(new Date(x), size, zone).getTime()).toBe(s);

              const first = local(s, zone);
              const before = local(s - MINUTE, zone);
              const lastMinute = local(e - MINUTE, zone);
              const atChange = before.offsetMinutes !== first.offsetMinutes;
              if (size === "MINUTE") {
                expect(s % MINUTE).toBe(0);
                expect(e - s).toBe(MINUTE);
              } else if (size === "HOUR") {
                // Local minute 0, except where the window starts at an offset change (Lord Howe's
                // 02:30, St. John's 23:01); a UTC hour where the offset is whole hours.
                if (!atChange) expect([first.minute, first.second]).toEqual([0, 0]);
                if (!atChange && first.offsetMinutes % 60 === 0) expect(s % 3_600_000).toBe(0);
                expect([lastMinute.hour, lastMinute.offsetMinutes]).toEqual([first.hour, first.offsetMinutes]);
                expect(e - s).toBeLessThanOrEqual(3_600_000);
              } else {
                // The first minute of its local date (of the month's first day): 00:00 unless
                // that does not exist, and the minute before is another date.
                expect(before.date).not.toBe(first.date);
                if (!atChange) expect(first.time).toBe("00:00:00");
                if (size === "DAY") expect(lastMinute.date).toBe(first.date);
                else {
                  expect(first.day).toBe("01");
                  expect(lastMinute.month).toBe(first.month);
                }
              }
              checkCover(w.start, w.end);
            }
            checkCover(ws[0]!.start, last!.end);
          },
        ),
        { numRuns: size === "MINUTE" ? 100 : 150 },
      );
    },
  );
});
