"use client";
// What the Meters page shows of the selected meter, asked in one HTTP request per poll: the rows
// by window (tRPC meters.query with the window size) and, beside them, the value per group over
// the whole range (the same query without a window size: the server's own total, right for
// every aggregation, where adding up the windows would be wrong for AVG, MIN, MAX, LATEST and
// UNIQUE_COUNT). The calls leave together, so the batch link sends them as one request.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { MeterQueryRequest, MeterQueryResult, WindowSize } from "@/lib/meters-schema";
import { trpc } from "@/lib/trpc/react";

export interface MeterViewQuery {
  /** The meter's id. */
  meter: string;
  /** Whole minutes, ISO-8601 UTC; absent: from the first event. */
  from?: string;
  /** Exclusive; absent: up to the last event. */
  to?: string;
  /** Absent: one row per group over the whole range. */
  windowSize?: WindowSize;
  windowTimeZone: string;
  /** "subject" and/or the meter's group-by keys. */
  groupBy: string[];
}

export interface MeterViewData {
  /** The query this answers: rows of another one are another table (and are read in its zone). */
  key: string;
  query: MeterViewQuery;
  rows: MeterQueryResult;
  /** The value per group over the range; the rows themselves when they have no window size. */
  totals: MeterQueryResult;
}

export const meterViewKey = (q: MeterViewQuery) => JSON.stringify(q);

export function useMeterView(query: MeterViewQuery | null, opts: { refetchInterval: number }) {
  const { client } = trpc.useUtils();
  return useQuery({
    queryKey: ["meterView", query],
    queryFn: async ({ signal }): Promise<MeterViewData> => {
      if (query === null) throw new Error("no query yet");
      const { meter, windowSize, ...rest } = query;
      const base: MeterQueryRequest = { from: rest.from, to: rest.to, windowTimeZone: rest.windowTimeZone, groupBy: rest.groupBy };
      const [rows, totals] = await Promise.all([
        client.meters.query.query({ meter, query: windowSize ? { ...base, windowSize } : base }, { signal }),
        windowSize ? client.meters.query.query({ meter, query: base }, { signal }) : null,
      ]);
      return { key: meterViewKey(query), query, rows, totals: totals ?? rows };
    },
    enabled: query !== null,
    refetchInterval: opts.refetchInterval,
    // Another window size, zone, range or grouping keeps the last answer on screen (marked as
    // updating) until its own arrives, instead of flashing skeletons.
    placeholderData: keepPreviousData,
  });
}
