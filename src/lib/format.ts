// Number and time formatting for the console, in the reader's locale and time zone. Only
// ever called on data fetched in the browser, so server and client never disagree.
const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });

/**
 * A date formatter made once, on first use: `toLocaleString` with options builds a new
 * Intl.DateTimeFormat on every call, and a chart formats each of its points twice.
 */
function dateFormat(options: Intl.DateTimeFormatOptions): (iso: string) => string {
  let format: Intl.DateTimeFormat | undefined;
  return (iso) => (format ??= new Intl.DateTimeFormat(undefined, options)).format(new Date(iso));
}

export function formatNumber(n: number): string {
  return numberFormat.format(n);
}

export const formatDateTime = dateFormat({ dateStyle: "medium", timeStyle: "medium" });

export const formatDayHour = dateFormat({ weekday: "short", hour: "2-digit", minute: "2-digit" });

export const formatShortDateTime = dateFormat({ month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });

export const formatDay = dateFormat({ weekday: "short", day: "numeric", month: "short" });

/** A window's start as the reader reads it: "00:00, Mon 24 Nov". */
export const formatDayAndTime = dateFormat({ weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
