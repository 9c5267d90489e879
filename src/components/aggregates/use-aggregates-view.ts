"use client";
// Everything the Aggregates page shows, asked in one HTTP request per poll: the table's page
// (`aggregatesPage`, one page of rows), the chart's largest groups (`aggregatesPage`, 12 rows;
// taken from the table's page when that is the same sort's first page), and the summary with
// the totals over time (`aggregatesSummary` with a bucket; over the last 30 days in a second
// call when the table counts all time). The calls leave together, so the batch link sends them
// as one request, and one answer (or one error) updates the whole page at once. Whatever the
// number of groups, a poll transfers at most a page, 12 rows, two summaries and their buckets.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { AggregateSort, AggregatesPage, AggregatePoint, AggregatesSummary } from "@/lib/aggregates-schema";
import { AGGREGATES_TABLE_PAGE } from "@/lib/aggregate-table";
import type { TimeWindow } from "@/lib/time-range";
import { trpc } from "@/lib/trpc/react";

/** Groups in the "largest groups" chart. */
export const TOP_GROUPS = 12;

export interface AggregatesViewQuery {
  /** Search words (the API's `q`), or undefined for every group. */
  q: string | undefined;
  /** The table's and the summary's window; undefined for all time. */
  window: TimeWindow | undefined;
  /** The chart's window (the same as `window` when there is one). */
  chart: TimeWindow;
  sort: AggregateSort;
  /** The table page's cursor; undefined for the first page. */
  cursor: string | undefined;
  /** The table page's first row number (1 on the first page), echoed in the answer. */
  firstRow: number;
  /** The order of the largest groups chart, e.g. `-count`. */
  topSort: AggregateSort;
}

export interface AggregatesViewData {
  /** The query this answers (its search, range, sort and page): rows of another one are another table. */
  key: string;
  /** The number of the page's first row: the answer's own, not the page being asked for. */
  firstRow: number;
  page: AggregatesPage;
  top: AggregatesPage["items"];
  summary: AggregatesSummary;
  series: AggregatePoint[];
}

/** The page's data for `query`; nothing is asked while `query` is null (the browser's clock not read yet). */
export function useAggregatesView(query: AggregatesViewQuery | null, opts: { refetchInterval: number }) {
  const { client } = trpc.useUtils();
  return useQuery({
    queryKey: ["aggregatesView", query],
    queryFn: async ({ signal }): Promise<AggregatesViewData> => {
      if (query === null) throw new Error("no query yet");
      const { q, window, chart, sort, cursor, firstRow, topSort } = query;
      const selection = { q, from: window?.from, to: window?.to };
      const topFromPage = topSort === sort && cursor === undefined;
      const [page, top, summary, chartSummary] = await Promise.all([
        client.aggregatesPage.query({ ...selection, sort, cursor, limit: AGGREGATES_TABLE_PAGE }, { signal }),
        topFromPage ? null : client.aggregatesPage.query({ ...selection, sort: topSort, limit: TOP_GROUPS }, { signal }),
        client.aggregatesSummary.query({ ...selection, bucket: window?.bucket }, { signal }),
        window ? null : client.aggregatesSummary.query({ q, from: chart.from, to: chart.to, bucket: chart.bucket }, { signal }),
      ]);
      return {
        key: JSON.stringify([q, window, sort, cursor]),
        firstRow,
        page,
        top: (top ?? page).items.slice(0, TOP_GROUPS),
        summary,
        series: (chartSummary ?? summary).series ?? [],
      };
    },
    enabled: query !== null,
    refetchInterval: opts.refetchInterval,
    // A new search, sort, page or range keeps the last answer on screen (marked as updating)
    // until its own arrives, instead of flashing skeletons.
    placeholderData: keepPreviousData,
  });
}
