// The aggregates table's sort and paging, as the server does them: a click on a column asks
// for that sort (the API's `sort`), and Previous/Next walk keyset pages. The server's cursor
// only goes forward, so the table keeps the cursor of every page it went through: Previous
// pops one. The stack belongs to one query (search, range, sort): another query starts again
// at its first page. A cursor also belongs to the window it was made over, and a range's window
// moves at each whole hour (its end, and for "last 24 h" its start): past the first page the
// table keeps asking over the window its first page had, so the hour turning does not throw
// the reader back to page 1 (the server would refuse the old cursors), and the first page asks
// over the live window again.
import type { AggregateSort } from "./aggregates-schema";
import type { TimeWindow } from "./time-range";

/** Rows per page: one page is all a poll of the Aggregates page transfers. */
export const AGGREGATES_TABLE_PAGE = 50;

export const sortableColumns = ["source", "metric", "count", "sum", "avg", "min", "max", "lastSeenAt"] as const;
export type SortColumn = (typeof sortableColumns)[number];
export interface SortState {
  column: SortColumn;
  direction: "asc" | "desc";
}

/** The API's `sort` for a table sort: `-count` for count descending. */
export function apiSort(sort: SortState): AggregateSort {
  return sort.direction === "desc" ? `-${sort.column}` : sort.column;
}

/** Clicking the sorted column flips it; another column starts descending for numbers. */
export function nextSort(current: SortState, column: SortColumn): SortState {
  if (current.column === column) return { column, direction: current.direction === "asc" ? "desc" : "asc" };
  return { column, direction: column === "source" || column === "metric" ? "asc" : "desc" };
}

/** The cursors of the pages before the current one, for the query named `key`. */
export interface Paging {
  key: string;
  /** cursors[i] opens page i + 2; empty on the first page. */
  cursors: string[];
  /** The window the cursors were made over (the first page's), while there are any. */
  window?: TimeWindow;
}

/** The current page's cursors: none when the query changed since (its first page). */
export function cursorsOf(paging: Paging, key: string): string[] {
  return paging.key === key ? paging.cursors : [];
}

/** The window the table asks over: the live one on the first page, the first page's after it. */
export function pagedWindow(paging: Paging, key: string, live: TimeWindow | undefined): TimeWindow | undefined {
  return cursorsOf(paging, key).length > 0 ? paging.window : live;
}

/** The page after the current one, which `nextCursor` (the current page's, asked over `window`) opens. */
export function pageForward(paging: Paging, key: string, nextCursor: string, window: TimeWindow | undefined): Paging {
  const cursors = cursorsOf(paging, key);
  return { key, cursors: [...cursors, nextCursor], window: cursors.length > 0 ? paging.window : window };
}

/** The page before the current one. */
export function pageBack(paging: Paging, key: string): Paging {
  const cursors = cursorsOf(paging, key).slice(0, -1);
  return { key, cursors, window: cursors.length > 0 ? paging.window : undefined };
}
