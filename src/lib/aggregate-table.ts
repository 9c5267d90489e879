// The aggregates table's sort and paging, as the server does them: a click on a column asks
// for that sort (the API's `sort`), and Previous/Next walk keyset pages. The server's cursor
// only goes forward, so the table keeps the cursor of every page it went through: Previous
// pops one. The stack belongs to one query (filters, window, sort): another query starts again
// at its first page, as the server would refuse the old cursors anyway.
import type { AggregateSort } from "./aggregates-schema";

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
}

/** The current page's cursors: none when the query changed since (its first page). */
export function cursorsOf(paging: Paging, key: string): string[] {
  return paging.key === key ? paging.cursors : [];
}

/** The page after the current one, which `nextCursor` (the current page's) opens. */
export function pageForward(paging: Paging, key: string, nextCursor: string): Paging {
  return { key, cursors: [...cursorsOf(paging, key), nextCursor] };
}

/** The page before the current one. */
export function pageBack(paging: Paging, key: string): Paging {
  return { key, cursors: cursorsOf(paging, key).slice(0, -1) };
}
