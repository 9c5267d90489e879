// The Aggregates page's ranges as API windows: bounds on whole UTC hours, chosen outward from
// the reader's local midnight (a zone a whole number of hours from UTC starts at its midnight;
// India's +05:30 at 23:30 the day before, and says so), across daylight-saving changes too.
import { describe, expect, it } from "vitest";
import { localMidnight, rangeWindow } from "../src/lib/time-range";

const at = (s: string) => Date.parse(s);

describe("time ranges as whole-hour windows", () => {
  it("in India (+05:30, 16:00 local): local days start at 23:30 the day before, 30 minutes early; the end is the end of the current hour", () => {
    const now = at("2026-01-15T10:30:00Z");
    const tz = "Asia/Kolkata";
    expect(rangeWindow("today", now, tz)).toEqual({
      window: { from: "2026-01-14T18:00:00.000Z", to: "2026-01-15T11:00:00.000Z", bucket: "hour" },
      chart: { from: "2026-01-14T18:00:00.000Z", to: "2026-01-15T11:00:00.000Z", bucket: "hour" },
      earlyMinutes: 30,
    });
    expect(rangeWindow("24h", now, tz)).toMatchObject({ window: { from: "2026-01-14T10:00:00.000Z", to: "2026-01-15T11:00:00.000Z", bucket: "hour" }, earlyMinutes: 0 });
    expect(rangeWindow("7d", now, tz)).toMatchObject({ window: { from: "2026-01-08T18:00:00.000Z", to: "2026-01-15T11:00:00.000Z", bucket: "day" }, earlyMinutes: 30 });
    expect(rangeWindow("30d", now, tz)).toMatchObject({ window: { from: "2025-12-16T18:00:00.000Z", to: "2026-01-15T11:00:00.000Z", bucket: "day" }, earlyMinutes: 30 });
    // All time has no window; its chart shows the last 30 days.
    expect(rangeWindow("all", now, tz)).toEqual({ window: undefined, chart: rangeWindow("30d", now, tz).window, earlyMinutes: 30 });
  });

  it("in a whole-hour zone (Tokyo, +09:00) days start at local midnight exactly; just past midnight 'today' is its first hour", () => {
    expect(rangeWindow("today", at("2026-01-15T10:30:00Z"), "Asia/Tokyo")).toMatchObject({
      window: { from: "2026-01-14T15:00:00.000Z", to: "2026-01-15T11:00:00.000Z" },
      earlyMinutes: 0,
    });
    // 00:15 on the 16th in India: today began 15 minutes ago, at 18:30 UTC; from the whole hour before.
    expect(rangeWindow("today", at("2026-01-15T18:45:00Z"), "Asia/Kolkata").window).toEqual({ from: "2026-01-15T18:00:00.000Z", to: "2026-01-15T19:00:00.000Z", bucket: "hour" });
  });

  it("west of UTC with a half-hour offset (Newfoundland, -03:30) and with 45 minutes (Chatham, +13:45 in summer)", () => {
    expect(rangeWindow("today", at("2026-01-15T12:00:00Z"), "America/St_Johns")).toMatchObject({ window: { from: "2026-01-15T03:00:00.000Z" }, earlyMinutes: 30 });
    expect(rangeWindow("today", at("2026-01-15T12:00:00Z"), "Pacific/Chatham")).toMatchObject({ window: { from: "2026-01-15T10:00:00.000Z" }, earlyMinutes: 15 });
  });

  it("across a daylight-saving change, each day starts at that day's own midnight", () => {
    // Paris moved from +01:00 to +02:00 on 29 March 2026.
    expect(localMidnight(at("2026-03-31T10:30:00Z"), 0, "Europe/Paris")).toBe(at("2026-03-30T22:00:00Z"));
    expect(localMidnight(at("2026-03-31T10:30:00Z"), 6, "Europe/Paris")).toBe(at("2026-03-24T23:00:00Z"));
    // New York moved back from -04:00 to -05:00 at 02:00 on 1 November 2026: its midnight was still -04:00.
    expect(localMidnight(at("2026-11-02T03:30:00Z"), 0, "America/New_York")).toBe(at("2026-11-01T04:00:00Z"));
    expect(localMidnight(at("2026-11-02T05:30:00Z"), 0, "America/New_York")).toBe(at("2026-11-02T05:00:00Z"));
    expect(localMidnight(at("2026-01-15T10:30:00Z"), 0, "UTC")).toBe(at("2026-01-15T00:00:00Z"));
  });
});
