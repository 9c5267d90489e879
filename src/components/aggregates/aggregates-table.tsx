"use client";
// The aggregates table: one page of rows per (source, metric), sorted by the server by any
// column. Sort buttons live in the headers and the header carries aria-sort, so screen readers
// announce order.
import { AnimatePresence, motion } from "motion/react";
import { TableContainer } from "@/components/ui/table-container";
import { formatDateTime, formatNumber } from "@/lib/format";
import { sortableColumns, type SortColumn, type SortState } from "@/lib/aggregate-table";
import type { Aggregate } from "@/lib/aggregates-schema";
import { cn } from "@/lib/utils";

const headings: Record<SortColumn, string> = {
  source: "Source",
  metric: "Metric",
  count: "Count",
  sum: "Sum",
  avg: "Avg",
  min: "Min",
  max: "Max",
  lastSeenAt: "Last seen",
};

const numeric = new Set<SortColumn>(["count", "sum", "avg", "min", "max"]);

interface Props {
  rows: Aggregate[];
  /**
   * Which page of which query the rows are: a poll of the same page animates rows that come, go
   * or move; another page, sort, search or range replaces the rows at once (fading 50 rows out
   * and 50 in would only blur the change).
   */
  pageKey: string;
  sort: SortState;
  onSort: (c: SortColumn) => void;
  /** The rows are the previous answer's while the one for a new sort, page or search loads. */
  busy: boolean;
}

export function AggregatesTable({ rows, pageKey, sort, onSort, busy }: Props) {
  return (
    <TableContainer>
      <table className={cn("w-full text-sm transition-opacity", busy && "opacity-60")} aria-label="Aggregates by source and metric" aria-busy={busy || undefined}>
        <thead>
          <tr className="border-b border-border text-left text-muted-foreground">
            {sortableColumns.map((c) => {
              const active = sort.column === c;
              return (
                <th
                  key={c}
                  scope="col"
                  aria-sort={active ? (sort.direction === "asc" ? "ascending" : "descending") : "none"}
                  className={cn("px-3 py-2 font-medium", numeric.has(c) && "text-right")}
                >
                  <button
                    type="button"
                    onClick={() => onSort(c)}
                    className={cn("inline-flex items-center gap-1 rounded px-1 hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring", active && "text-foreground")}
                  >
                    {headings[c]}
                    <span aria-hidden className="w-3 text-xs">
                      {active ? (sort.direction === "asc" ? "▲" : "▼") : ""}
                    </span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody key={pageKey}>
          <AnimatePresence initial={false}>
            {rows.map((r) => (
              <motion.tr
                key={`${r.source}\u0000${r.metric}`}
                layout="position"
                initial={{ opacity: 0 }}
                animate={{ opacity: 1 }}
                exit={{ opacity: 0 }}
                className="border-b border-border/60 last:border-0 hover:bg-muted/50"
                data-testid="aggregate-row"
                data-source={r.source}
                data-metric={r.metric}
                data-count={r.count}
                data-sum={r.sum}
              >
                <td className="px-3 py-2 font-medium">{r.source}</td>
                <td className="px-3 py-2">{r.metric}</td>
                <td className="px-3 py-2 text-right tabular-nums" data-col="count">
                  {formatNumber(r.count)}
                </td>
                <td className="px-3 py-2 text-right tabular-nums">{formatNumber(r.sum)}</td>
                <td className="px-3 py-2 text-right tabular-nums">{formatNumber(r.avg)}</td>
                <td className="px-3 py-2 text-right tabular-nums">{formatNumber(r.min)}</td>
                <td className="px-3 py-2 text-right tabular-nums">{formatNumber(r.max)}</td>
                <td className="px-3 py-2 whitespace-nowrap text-muted-foreground">{formatDateTime(r.lastSeenAt)}</td>
              </motion.tr>
            ))}
          </AnimatePresence>
        </tbody>
      </table>
    </TableContainer>
  );
}
