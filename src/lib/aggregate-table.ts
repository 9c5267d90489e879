// Filtering and sorting of the aggregates table, kept out of the component so the rules
// (case-insensitive substring filters; numeric, textual and date columns; stable ties by
// source then metric) are plain functions.
import type { Aggregate } from "./aggregates-schema";

export const sortableColumns = ["source", "metric", "count", "sum", "avg", "min", "max", "lastSeenAt"] as const;
export type SortColumn = (typeof sortableColumns)[number];
export interface SortState {
  column: SortColumn;
  direction: "asc" | "desc";
}

export interface AggregateFilter {
  source: string;
  metric: string;
}

export function filterAggregates(rows: Aggregate[], filter: AggregateFilter): Aggregate[] {
  const s = filter.source.trim().toLowerCase();
  const m = filter.metric.trim().toLowerCase();
  return rows.filter((r) => (!s || r.source.toLowerCase().includes(s)) && (!m || r.metric.toLowerCase().includes(m)));
}

export function sortAggregates(rows: Aggregate[], sort: SortState): Aggregate[] {
  const dir = sort.direction === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const av = a[sort.column];
    const bv = b[sort.column];
    const primary = typeof av === "number" && typeof bv === "number" ? av - bv : String(av).localeCompare(String(bv));
    return primary * dir || a.source.localeCompare(b.source) || a.metric.localeCompare(b.metric);
  });
}

/** Clicking the sorted column flips it; another column starts descending for numbers. */
export function nextSort(current: SortState, column: SortColumn): SortState {
  if (current.column === column) return { column, direction: current.direction === "asc" ? "desc" : "asc" };
  return { column, direction: column === "source" || column === "metric" ? "asc" : "desc" };
}
