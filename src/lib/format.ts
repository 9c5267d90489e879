// Number and time formatting for the console, in the reader's locale and time zone. Only
// ever called on data fetched in the browser, so server and client never disagree.
const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });

export function formatNumber(n: number): string {
  return numberFormat.format(n);
}

export function formatDateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

export function formatDayHour(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });
}

export function formatShortDateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function formatDay(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short" });
}

/** A window's start as the reader reads it: "00:00, Mon 24 Nov". */
export function formatDayAndTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}
