// The Aggregates page's time ranges as the API's windows. The API counts whole UTC hours (the
// hourly rollup), so every bound is a whole UTC hour, chosen outward so the window never leaves
// out an event of the range:
// - the end is the end of the current hour (the rest of it holds no event yet);
// - "today", "last 7 days", "last 30 days" start at the reader's local midnight (today, 6 or 29
//   days before). In a zone a whole number of hours from UTC that is a whole UTC hour; in one
//   that is not (India, +05:30) it is the whole hour before (23:30 local), so those ranges also
//   count the half hour before midnight, and the page says so;
// - "last 24 h" starts at the start of the hour 24 hours ago (24 to 25 hours of events).
// Days in a chart are 24 hours from the start (the API's bucket=day), so they are the reader's
// days; across a daylight-saving change they are an hour off.
// "All time" has no window; its chart shows the last 30 days.
import type { Bucket } from "./aggregates-schema";
import { HOUR_MS } from "./time-units";
import { localMidnightOf } from "./meter-windows";

export const timeRanges = ["all", "today", "24h", "7d", "30d"] as const;
export type TimeRange = (typeof timeRanges)[number];
export const timeRangeLabels: Record<TimeRange, string> = {
  all: "All time",
  today: "Today",
  "24h": "Last 24 h",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
};

export interface TimeWindow {
  /** ISO-8601 UTC, on whole hours. */
  from: string;
  to: string;
  bucket: Bucket;
}

export interface RangeWindow {
  /** What the table and the summary count: undefined for all time. */
  window: TimeWindow | undefined;
  /** What the chart of events over time draws (all time: the last 30 days). */
  chart: TimeWindow;
  /**
   * Minutes the window starts before the reader's local midnight (0 in a zone a whole number of
   * hours from UTC; 30 in India): the half hour the rollup cannot leave out.
   */
  earlyMinutes: number;
}

const floorHour = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
const iso = (ms: number) => new Date(ms).toISOString();

/** The window of `range` at `now`, for a reader in `timeZone` (an IANA name; the browser's by default). */
export function rangeWindow(range: TimeRange, now: number, timeZone?: string): RangeWindow {
  const to = floorHour(now) + HOUR_MS;
  const fromMidnight = (daysBack: number, bucket: Bucket) => {
    const midnight = localMidnight(now, daysBack, timeZone);
    const from = floorHour(midnight);
    return { window: { from: iso(from), to: iso(to), bucket }, earlyMinutes: (midnight - from) / 60_000 };
  };
  const last30 = fromMidnight(29, "day");
  const chosen: Omit<RangeWindow, "chart"> =
    range === "all"
      ? { window: undefined, earlyMinutes: last30.earlyMinutes }
      : range === "today"
        ? fromMidnight(0, "hour")
        : range === "24h"
          ? { window: { from: iso(floorHour(now) - 24 * HOUR_MS), to: iso(to), bucket: "hour" }, earlyMinutes: 0 }
          : range === "7d"
            ? fromMidnight(6, "day")
            : last30;
  return { ...chosen, chart: chosen.window ?? last30.window };
}

/** The instant of local midnight `daysBack` days before the local day of `now`, in `timeZone` (default: this runtime's). */
export function localMidnight(now: number, daysBack: number, timeZone?: string): number {
  return localMidnightOf(now, timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone, daysBack);
}
