// Meter windows: the MINUTE, HOUR, DAY and MONTH windows of a meter query in a time zone, and
// the rollup buckets (UTC minutes, hours, days) that add up to one window exactly. Pure: no
// database, no clock; only Intl (Node's full ICU) for the zones' offsets. Rules it keeps:
// - a window is [start, end); the windows of a query are contiguous and strictly increasing;
// - MINUTE is the UTC minute (every zone's offset today is a whole number of minutes, so a
//   UTC minute is a local minute everywhere);
// - HOUR is a local hour at one offset: it starts where the local hour changes or the offset
//   does, so the hour repeated when clocks go back is two windows (New York's 01:00 EDT and
//   01:00 EST), and India's hours start at :30 UTC, Nepal's at :15;
// - DAY is a local date, from its first instant to the next date's: local midnight, or where
//   midnight does not exist (clocks go forward at 00:00: Havana, Santiago, Cairo) the first
//   instant after the gap, 01:00; where midnight happens twice (clocks go back at 01:00:
//   Havana, Azores) the first of the two. So a day is 23, 24 or 25 hours (23.5 or 24.5 on Lord
//   Howe Island), and a day skipped altogether (Samoa, 30 December 2011) has no window;
// - MONTH is a local month, from the first instant of its first day, as DAY;
// - a local wall time is an instant by the zone's rules: one that does not exist (in a gap)
//   is the first instant after the gap, an ambiguous one (in an overlap) the earlier instant.
//   Offsets are assumed to change at most once within a window and within two days of a
//   wall time (true of every zone's rules in use);
// - a bucket cover partitions a window (whole UTC minutes) into at most 5 ranges of UTC
//   buckets: whole days inside, then whole hours, then minutes at the edges.
// Cost: windowsOf calls formatToParts never for MINUTE windows, about once a day for HOUR
// windows (and a bisection at each offset change), a few times per DAY or MONTH window;
// formatters are cached per zone. Instants are milliseconds since
// the epoch inside; Dates only at the edges.

import { WINDOW_SIZES, type WindowSize } from "./meters-schema";

// The sizes are the API's (meters-schema.ts): one definition.
export type { WindowSize };
export const windowSizes: readonly WindowSize[] = WINDOW_SIZES;

/** Most windows one query may have: past it windowsOf throws a RangeError (the API answers 400). */
export const MAX_WINDOWS = 100_000;

export interface TimeWindow {
  start: Date;
  end: Date;
}

/** Buckets of one rollup tier: those with from <= bucket start < to (both bucket starts). */
export interface BucketRange {
  tier: "day" | "hour" | "minute";
  from: Date;
  to: Date;
}

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** 400 Gregorian years are exactly 146,097 days (used to read years 0–99, which Date.UTC maps to 19xx). */
const FOUR_CENTURIES_MS = 146_097 * DAY_MS;

// ---------------------------------------------------------------------------------------------
// Zones and offsets

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Names are bounded by the zones Intl knows, but not their spellings (case): a cap keeps the cache small. */
const MAX_CACHED_ZONES = 1000;

/** The cached formatter of `timeZone`'s wall clock; throws a RangeError for a name Intl does not know. */
function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    // Intl in newer Node accepts offsets ("+05:30") as zones; they are not IANA names.
    if (timeZone === "" || /^[+\-\u2212]/.test(timeZone)) throw new RangeError(`unknown time zone: ${JSON.stringify(timeZone)}`);
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
    if (formatters.size >= MAX_CACHED_ZONES) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/** Date.UTC, also for years 0–99. Months and days may overflow, as in Date.UTC. */
function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  if (year >= 0 && year < 100) return Date.UTC(year + 400, month, day, hour, minute, second) - FOUR_CENTURIES_MS;
  return Date.UTC(year, month, day, hour, minute, second);
}

const mod = (a: number, b: number) => ((a % b) + b) % b;
const floorTo = (ms: number, unit: number) => ms - mod(ms, unit);
const ceilTo = (ms: number, unit: number) => ms + mod(-ms, unit);

/** How far `timeZone`'s wall clock is ahead of UTC at `ms` (whole seconds). One formatToParts. */
function offsetAt(ms: number, timeZone: string): number {
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatterOf(timeZone).formatToParts(ms)) {
    switch (part.type) {
      case "year":
        year = Number(part.value);
        break;
      case "month":
        month = Number(part.value);
        break;
      case "day":
        day = Number(part.value);
        break;
      case "hour":
        hour = Number(part.value);
        break;
      case "minute":
        minute = Number(part.value);
        break;
      case "second":
        second = Number(part.value);
        break;
    }
  }
  return utc(year, month - 1, day, hour, minute, second) - (ms - mod(ms, SECOND_MS));
}

/** An instant with the offset in force there. */
interface Zoned {
  ms: number;
  offset: number;
  /**
   * What a run of HOUR windows knows ahead (one formatToParts a day, not an hour): the offset
   * stays `offset` up to `steadyUntil`, inclusive, or up to `change`, where the next offset starts.
   */
  steadyUntil?: number;
  change?: Zoned;
}

/**
 * The instant of the local wall time `wall` (its fields read as UTC) in `timeZone`: the earlier
 * of two in an overlap, the first instant after the gap when it does not exist.
 */
function instantOf(wall: number, timeZone: string): Zoned {
  // The offsets on either side of any change near `wall` (every offset is within ±1 day).
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  let found: Zoned | undefined;
  for (const offset of before === after ? [before] : [before, after]) {
    const ms = wall - offset;
    if (offsetAt(ms, timeZone) === offset && (found === undefined || ms < found.ms)) found = { ms, offset };
  }
  if (found !== undefined) return found;
  if (before < after) {
    // A gap: clocks went forward at an instant T with T + before <= wall < T + after. T is the
    // first instant whose wall clock is past `wall`; bisect (whole seconds) for it.
    let lo = wall - after; // wall clock before `wall`
    let hi = wall - before; // wall clock after it
    while (hi - lo > SECOND_MS) {
      const mid = lo + Math.floor((hi - lo) / (2 * SECOND_MS)) * SECOND_MS;
      if (mid + offsetAt(mid, timeZone) > wall) hi = mid;
      else lo = mid;
    }
    return { ms: hi, offset: offsetAt(hi, timeZone) };
  }
  // Not reached by any zone's rules (two changes within two days): the usual two-pass guess.
  const guess = wall - offsetAt(wall - offsetAt(wall, timeZone), timeZone);
  return { ms: guess, offset: offsetAt(guess, timeZone) };
}

// The zone primitives the console shares with the windows (src/lib/time-range.ts, the Meters
// page): one implementation of "what the wall clock reads" and "when it reads that".

/** How far `timeZone`'s wall clock is ahead of UTC at `ms` (whole seconds); a RangeError for an unknown zone. */
export function zoneOffsetAt(ms: number, timeZone: string): number {
  return offsetAt(ms, timeZone);
}

/** What the wall clock of `timeZone` reads at `ms` (month 1–12). */
export function wallTimeAt(ms: number, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const d = new Date(ms - mod(ms, SECOND_MS) + offsetAt(ms, timeZone));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

/** The instant `timeZone`'s wall clock reads `wall` (its fields read as UTC): the earlier of two in an overlap, the first after a gap. */
export function instantOfWallTime(wall: number, timeZone: string): number {
  return instantOf(wall, timeZone).ms;
}

/** The first instant of the local date of `ms` in `timeZone`, `daysBack` local days before it (a day whose midnight does not exist starts when it does). */
export function localMidnightOf(ms: number, timeZone: string, daysBack = 0): number {
  const w = wallTimeAt(ms, timeZone);
  return instantOfWallTime(Date.UTC(w.year, w.month - 1, w.day - daysBack), timeZone);
}

/** The first instant in (lo, hi] whose offset is not `offset` (one exists: the offset at hi differs). */
function firstChange(lo: number, hi: number, offset: number, timeZone: string): Zoned {
  while (hi - lo > SECOND_MS) {
    const mid = lo + Math.floor((hi - lo) / (2 * SECOND_MS)) * SECOND_MS;
    if (offsetAt(mid, timeZone) === offset) lo = mid;
    else hi = mid;
  }
  return { ms: hi, offset: offsetAt(hi, timeZone) };
}

// ---------------------------------------------------------------------------------------------
// Windows

/** The start of the window after the one that starts at `start` (a window start, with its offset). */
function step(start: Zoned, size: WindowSize, timeZone: string): Zoned {
  const { ms, offset } = start;
  const wall = ms + offset;
  switch (size) {
    case "MINUTE":
      return { ms: ms + MINUTE_MS, offset };
    case "HOUR": {
      // The next local hour at this offset, unless the offset changes first. The offset a day
      // ahead is looked up once a day: the same there, it is the same all day (it changes at
      // most once in two days); not, the change is found (bisected) once.
      const next = ms - mod(wall, HOUR_MS) + HOUR_MS;
      let { steadyUntil, change } = start;
      if (change === undefined && (steadyUntil === undefined || next > steadyUntil)) {
        const ahead = ms + DAY_MS;
        if (offsetAt(ahead, timeZone) === offset) steadyUntil = ahead;
        else change = firstChange(ms, ahead, offset, timeZone);
      }
      if (change !== undefined && change.ms <= next) return { ms: change.ms, offset: change.offset };
      return { ms: next, offset, steadyUntil, change };
    }
    case "DAY": {
      // The next local midnight at this offset is the next day's start when the offset there
      // is the same (no change in between); otherwise resolve that midnight by the rules.
      const midnight = floorTo(wall, DAY_MS) + DAY_MS;
      if (offsetAt(midnight - offset, timeZone) === offset) return { ms: midnight - offset, offset };
      return laterStart(midnight, ms, "DAY", timeZone);
    }
    case "MONTH": {
      const d = new Date(wall);
      return laterStart(utc(d.getUTCFullYear(), d.getUTCMonth() + 1, 1), ms, "MONTH", timeZone);
    }
  }
}

/**
 * The first day (or month) from the local date `wall` on whose start is after `after`: the date
 * itself, except where clocks went back across midnight (Goose Bay and St. John's before 2011
 * went back at 00:01) and its midnight came before the repeated minutes of the day before.
 */
function laterStart(wall: number, after: number, size: "DAY" | "MONTH", timeZone: string): Zoned {
  for (;;) {
    const start = instantOf(wall, timeZone);
    if (start.ms > after) return start;
    const d = new Date(wall);
    wall = size === "DAY" ? wall + DAY_MS : utc(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
}

/** The start of the window containing `ms`, with its offset. */
function startOf(ms: number, size: WindowSize, timeZone: string): Zoned {
  formatterOf(timeZone); // an unknown zone is an error for every size, MINUTE too
  if (size === "MINUTE") return { ms: floorTo(ms, MINUTE_MS), offset: 0 };
  const offset = offsetAt(ms, timeZone);
  const wall = ms + offset;
  if (size === "HOUR") {
    // The local hour at this offset, or from the offset change inside it.
    const hour = ms - mod(wall, HOUR_MS);
    const hourOffset = offsetAt(hour, timeZone);
    return hourOffset === offset ? { ms: hour, offset } : firstChange(hour, ms, hourOffset, timeZone);
  }
  const d = new Date(wall);
  const first = size === "DAY" ? floorTo(wall, DAY_MS) : utc(d.getUTCFullYear(), d.getUTCMonth(), 1);
  let start = instantOf(first, timeZone);
  // Where clocks go back across midnight, an instant of the repeated minutes belongs to the next day.
  for (let next = step(start, size, timeZone); next.ms <= ms; next = step(next, size, timeZone)) start = next;
  return start;
}

function checkSize(size: WindowSize): void {
  if (!windowSizes.includes(size)) throw new RangeError(`unknown window size: ${String(size)}`);
}

function instantMs(name: string, instant: Date): number {
  const ms = instant instanceof Date ? instant.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`${name} is not a valid instant`);
  return ms;
}

/** The start of the `size` window of `timeZone` that contains `instant`. */
export function windowStartOf(instant: Date, size: WindowSize, timeZone: string): Date {
  checkSize(size);
  return new Date(startOf(instantMs("instant", instant), size, timeZone).ms);
}

/** The start of the window after the one containing `start` (normally a window start). */
export function nextWindowStart(start: Date, size: WindowSize, timeZone: string): Date {
  checkSize(size);
  return new Date(step(startOf(instantMs("start", start), size, timeZone), size, timeZone).ms);
}

/** True when `instant` is the start of a `size` window of `timeZone`. */
export function isAligned(instant: Date, size: WindowSize, timeZone: string): boolean {
  return windowStartOf(instant, size, timeZone).getTime() === instantMs("instant", instant);
}

/** The longest a window can be (for a cheap early refusal): clocks going back lengthen a day. */
const longestMs: Record<WindowSize, number> = { MINUTE: MINUTE_MS, HOUR: HOUR_MS, DAY: 2 * DAY_MS, MONTH: 32 * DAY_MS };
/** A window's usual length (for the count a refusal names). */
const usualMs: Record<WindowSize, number> = { MINUTE: MINUTE_MS, HOUR: HOUR_MS, DAY: DAY_MS, MONTH: 30.436875 * DAY_MS };

function tooMany(size: WindowSize, from: number, to: number): RangeError {
  const count =
    size === "MINUTE"
      ? `${(ceilTo(to, MINUTE_MS) - floorTo(from, MINUTE_MS)) / MINUTE_MS}`
      : `about ${Math.ceil((to - from) / usualMs[size])}`;
  return new RangeError(
    `${count} ${size} windows from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}: more than ${MAX_WINDOWS}`,
  );
}

/**
 * The `windowSize` windows of `timeZone` that overlap [from, to): the first starts at
 * windowStartOf(from), the last contains to - 1 ms; none when from = to. Throws a RangeError for
 * from after to, an unknown zone, or more than MAX_WINDOWS windows.
 */
export function windowsOf(query: { from: Date; to: Date; windowSize: WindowSize; timeZone: string }): TimeWindow[] {
  const { windowSize: size, timeZone } = query;
  checkSize(size);
  formatterOf(timeZone);
  const from = instantMs("from", query.from);
  const to = instantMs("to", query.to);
  if (from > to) throw new RangeError(`from (${query.from.toISOString()}) is after to (${query.to.toISOString()})`);
  if (from === to) return [];
  // At least this many: refused before building any.
  if (Math.ceil((to - from) / longestMs[size]) > MAX_WINDOWS) throw tooMany(size, from, to);
  const windows: TimeWindow[] = [];
  let start = startOf(from, size, timeZone);
  while (start.ms < to) {
    if (windows.length === MAX_WINDOWS) throw tooMany(size, from, to);
    const next = step(start, size, timeZone);
    windows.push({ start: new Date(start.ms), end: new Date(next.ms) });
    start = next;
  }
  return windows;
}

// ---------------------------------------------------------------------------------------------
// Bucket covers

/**
 * The rollup buckets that partition [start, end) exactly (both whole UTC minutes): whole UTC
 * days inside, whole UTC hours beside them, minutes at the edges; at most 5 ranges, in time
 * order, none empty. Throws a RangeError for a bound that is not a whole minute, or start after end.
 */
export function coverOf(start: Date, end: Date): BucketRange[] {
  const from = instantMs("start", start);
  const to = instantMs("end", end);
  if (mod(from, MINUTE_MS) !== 0 || mod(to, MINUTE_MS) !== 0) {
    throw new RangeError(`a bucket cover's bounds must be whole UTC minutes, got ${start.toISOString()} and ${end.toISOString()}`);
  }
  if (from > to) throw new RangeError(`start (${start.toISOString()}) is after end (${end.toISOString()})`);
  const ranges: BucketRange[] = [];
  const add = (tier: BucketRange["tier"], a: number, b: number) => {
    if (a < b) ranges.push({ tier, from: new Date(a), to: new Date(b) });
  };
  const hourFrom = ceilTo(from, HOUR_MS);
  const hourTo = floorTo(to, HOUR_MS);
  if (hourFrom >= hourTo) {
    add("minute", from, to); // no whole UTC hour inside
    return ranges;
  }
  const dayFrom = ceilTo(from, DAY_MS);
  const dayTo = floorTo(to, DAY_MS);
  add("minute", from, hourFrom);
  if (dayFrom < dayTo) {
    add("hour", hourFrom, dayFrom);
    add("day", dayFrom, dayTo);
    add("hour", dayTo, hourTo);
  } else {
    add("hour", hourFrom, hourTo);
  }
  add("minute", hourTo, to);
  return ranges;
}
