// The Events page's list: the first page (the newest events), polled every second, followed by
// the older events loaded with "Load older events", which are not asked for again. While new
// events arrive, the first page moves down: a row it no longer holds because newer rows pushed
// it past its end stays on screen (as last seen) among the older rows, so the list keeps no
// gap. A row that left the first page for another reason (its status no longer matches the
// filter) is not kept. Order: newest first by (receivedAt, id), as the server pages.

export interface ListedRow {
  id: string;
  receivedAt: string;
}

/** Whether `a` comes after `b` in the list (it is older). */
function isAfter(a: ListedRow, b: ListedRow): boolean {
  return a.receivedAt < b.receivedAt || (a.receivedAt === b.receivedAt && a.id < b.id);
}

/** What the list shows: the first page, then the older rows that come after its last row. */
export function visibleRows<T extends ListedRow>(firstPage: T[], older: T[]): T[] {
  const last = firstPage.at(-1);
  // No row on the first page: nothing matches any more, however old.
  if (!last) return [];
  const onFirstPage = new Set(firstPage.map((r) => r.id));
  return [...firstPage, ...older.filter((r) => !onFirstPage.has(r.id) && isAfter(r, last))];
}

/**
 * The older rows once the first page was polled again: the rows the previous first page held
 * that newer rows pushed past the new one's end join them (they are newer than every older row).
 */
export function keepPushedDown<T extends ListedRow>(previousFirstPage: T[], firstPage: T[], older: T[]): T[] {
  const last = firstPage.at(-1);
  if (!last) return [];
  const kept = new Set([...firstPage, ...older].map((r) => r.id));
  const pushed = previousFirstPage.filter((r) => !kept.has(r.id) && isAfter(r, last));
  return pushed.length === 0 ? older : [...pushed, ...older];
}
