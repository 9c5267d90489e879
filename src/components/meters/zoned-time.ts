// Wall-clock time in a named time zone, for the Meters page: the bounds a person picks (a
// preset, or From/To read in the chosen zone), the windows the server splits them into (to
// draw the windows without data too, which the API leaves out), and a window's start as the
// zone's own wall time ("2025-03-10 00:00"). Intl only; no dependency.
//
// The windows themselves are the server's (src/lib/meter-windows.ts, shared): the chart draws
// exactly the windows a query has, including those without data.
import { instantOfWallTime, localMidnightOf, wallTimeAt, windowsOf } from "@/lib/meter-windows";
import type { WindowSize } from "@/lib/meters-schema";

export const MINUTE_MS = 60_000;

export interface WallTime {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** What the wall clock of `timeZone` reads at `instant`. */
export const wallTimeOf = (instant: number, timeZone: string): WallTime => wallTimeAt(instant, timeZone);

/** The instant at which `timeZone`'s wall clock reads `wall` (fields read as UTC): the earlier of two in an overlap, the first after a gap. */
export const instantOfWall = (wall: number, timeZone: string): number => instantOfWallTime(wall, timeZone);

export const floorMinute = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** The first instant of the local date of `instant`, `daysBack` days before it. */
export const localDayStart = (instant: number, timeZone: string, daysBack = 0): number => localMidnightOf(instant, timeZone, daysBack);

/**
 * Every window start from the window holding `from` to the one holding `to - 1` — the server's
 * own windows (src/lib/meter-windows.ts, one implementation for both) — or null when there would
 * be more than `max` (a chart of them would be unreadable) or `answered` holds a start that is
 * not one of them.
 */
export function windowStarts(
  from: number,
  to: number,
  size: WindowSize,
  timeZone: string,
  answered: readonly number[],
  max: number,
): number[] | null {
  let windows;
  try {
    windows = windowsOf({ from: new Date(from), to: new Date(to), windowSize: size, timeZone });
  } catch {
    return null; // an unknown zone, or more windows than a query may have
  }
  if (windows.length > max) return null;
  const starts = windows.map((w) => w.start.getTime());
  const known = new Set(starts);
  return answered.every((s) => known.has(s)) ? starts : null;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `instant` as `timeZone`'s wall clock reads it, to the minute: "2025-03-10 00:00". */
export function formatWall(instant: number, timeZone: string): string {
  const w = wallTimeOf(instant, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}`;
}

/** The value of a `datetime-local` input for `instant` in `timeZone`: "2025-03-10T00:00". */
export function toDateTimeLocal(instant: number, timeZone: string): string {
  return formatWall(instant, timeZone).replace(" ", "T");
}

/** A `datetime-local` value ("2025-03-10T00:00", seconds optional) read in `timeZone`, or null when it is not one. */
export function fromDateTimeLocal(value: string, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((p) => Number(p ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(wall);
  // Date.UTC rolls 2025-02-30 over to March: refuse a date that is not one.
  if (back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  return instantOfWall(wall, timeZone);
}

const axisFormats = new Map<string, Intl.DateTimeFormat>();

/** A window start as a chart's axis reads it, in `timeZone` and the reader's locale: "Mar 10", "14:00". */
export function formatAxis(instant: number, size: WindowSize | undefined, timeZone: string): string {
  const key = `${size ?? "TOTAL"} ${timeZone}`;
  let f = axisFormats.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions =
      size === "MINUTE" || size === "HOUR"
        ? { hour: "2-digit", minute: "2-digit" }
        : size === "MONTH"
          ? { month: "short", year: "numeric" }
          : { month: "short", day: "numeric" };
    f = new Intl.DateTimeFormat(undefined, { ...options, timeZone });
    axisFormats.set(key, f);
  }
  return f.format(instant);
}
