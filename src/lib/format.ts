// Number and time formatting for the console, in the reader's locale and time zone. Only
// ever called on data fetched in the browser, so server and client never disagree.
const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });

export function formatNumber(n: number): string {
  return numberFormat.format(n);
}

export function formatDateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

export function formatClock(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

export function formatDayHour(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });
}

export function formatShortDateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}
