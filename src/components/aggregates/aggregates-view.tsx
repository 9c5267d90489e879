"use client";
// The Aggregates page: the rollup per (source, metric) over a time range, with summary numbers,
// charts and a table a page at a time. The server does the work: search, sort and paging
// (keyset cursors; the page keeps the cursors it went through for Previous), the totals over
// every selected group and the events over time (both from the hourly rollup). Polls every
// second with one request that carries one page, so the cost of an open tab does not grow
// with the number of groups (use-aggregates-view.ts). Until the first answer every number is
// "—" and every panel a skeleton (never a 0 or "no data"); a failed refresh keeps the last data
// on screen and says so.
import { useMemo, useState } from "react";
import { LiveIndicator } from "@/components/live-indicator";
import { BarListChart } from "@/components/charts/bar-list-chart";
import { TimeSeriesChart } from "@/components/charts/time-series-chart";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { LoadError } from "@/components/ui/load-error";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { LoadingBlock, Skeleton } from "@/components/ui/skeleton";
import {
  AGGREGATES_TABLE_PAGE,
  apiSort,
  cursorsOf,
  nextSort,
  pageBack,
  pagedWindow,
  pageForward,
  type Paging,
  type SortState,
} from "@/lib/aggregate-table";
import { formatDateTime, formatDay, formatDayAndTime, formatDayHour, formatNumber } from "@/lib/format";
import { toIngestClientError } from "@/lib/ingest-client-error";
import { rangeWindow, timeRangeLabels, type TimeRange } from "@/lib/time-range";
import { useDebouncedValue } from "@/lib/use-debounced-value";
import { useShownDataAt } from "@/lib/use-shown-data-at";
import { useClock } from "@/lib/use-clock";
import { cn } from "@/lib/utils";
import { AggregatesTable } from "./aggregates-table";
import { RangePicker } from "./range-picker";
import { TOP_GROUPS, useAggregatesView } from "./use-aggregates-view";

export const liveRefreshMs = 1000;

const measures = { count: "Events counted", sum: "Sum of values", avg: "Average value" } as const;
type Measure = keyof typeof measures;
const isMeasure = (v: string): v is Measure => v in measures;

export function AggregatesView() {
  const now = useClock();
  const [range, setRange] = useState<TimeRange>("all");
  const [search, setSearch] = useState("");
  const q = useDebouncedValue(search.trim(), 250) || undefined;
  const [sort, setSort] = useState<SortState>({ column: "count", direction: "desc" });
  const [measure, setMeasure] = useState<Measure>("count");
  const [paging, setPaging] = useState<Paging>({ key: "", cursors: [] });

  const windows = useMemo(() => (now === null ? null : rangeWindow(range, now)), [range, now]);
  // The query the page cursors belong to: another search, range or sort starts at its first page.
  const pagingKey = JSON.stringify([q ?? null, range, apiSort(sort)]);
  const cursors = cursorsOf(paging, pagingKey);
  // Past the first page, the window the cursors were made over, which the hour may have moved on from.
  const tableWindow = pagedWindow(paging, pagingKey, windows?.window);
  const heldWindow =
    tableWindow && windows?.window && (tableWindow.from !== windows.window.from || tableWindow.to !== windows.window.to)
      ? tableWindow
      : undefined;
  const view = useAggregatesView(
    windows && {
      q,
      window: tableWindow,
      chart: tableWindow ?? windows.chart,
      sort: apiSort(sort),
      cursor: cursors.at(-1),
      firstRow: cursors.length * AGGREGATES_TABLE_PAGE + 1,
      topSort: `-${measure}`,
    },
    { refetchInterval: liveRefreshMs },
  );

  const data = view.data;
  const summary = data?.summary;
  const loadError = view.error ? toIngestClientError(view.error).message : undefined;
  // The answer on screen is for the previous search, sort, page or range while the new one
  // loads (or while the search typed is not asked yet).
  const updating = view.isPlaceholderData || search.trim() !== (q ?? "");
  const shownAt = useShownDataAt(view);
  const chartBucket = windows?.chart.bucket ?? "day";
  const bars = useMemo(() => (data?.top ?? []).map((r) => ({ label: `${r.source} · ${r.metric}`, value: r[measure] })), [data, measure]);
  // The rows on screen say which they are, also while another page loads (they are the last answer's).
  const firstRow = data?.firstRow ?? 1;

  return (
    <div className="grid gap-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Aggregates</h1>
          <p className="mt-1 text-sm text-muted-foreground">
            Count, sum, average, min and max per client and metric, always equal to the processed events.
          </p>
        </div>
        <LiveIndicator fetching={view.isFetching} error={loadError} updatedAt={shownAt} />
      </div>

      <RangePicker range={range} onChange={setRange} windows={windows} />

      <dl
        className={cn("grid grid-cols-2 gap-4 md:grid-cols-4 transition-opacity", updating && "opacity-60")}
        aria-busy={updating || undefined}
      >
        <Stat label="Events counted" value={summary && formatNumber(summary.count)} testId="stat-events" />
        <Stat label="Source · metric groups" value={summary && formatNumber(summary.groups)} testId="stat-groups" />
        <Stat label="Sources" value={summary && formatNumber(summary.sources)} testId="stat-sources" />
        <Stat
          label="Last event"
          value={summary && (summary.lastSeenAt ? formatDateTime(summary.lastSeenAt) : "none yet")}
          small
          testId="stat-last"
        />
      </dl>

      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader className="flex-row items-start justify-between gap-4">
            <div className="grid gap-1">
              <CardTitle>Largest groups</CardTitle>
              <CardDescription>
                The {TOP_GROUPS} largest source · metric groups {range === "all" ? "of all time" : "in the range"}.
              </CardDescription>
            </div>
            <Select value={measure} onValueChange={(v) => isMeasure(v) && setMeasure(v)}>
              <SelectTrigger className="w-44" aria-label="Measure shown in the chart">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                {Object.entries(measures).map(([k, label]) => (
                  <SelectItem key={k} value={k}>
                    {label}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
          </CardHeader>
          <CardContent data-testid="metric-chart" aria-busy={updating || undefined} className={cn(updating && "opacity-60")}>
            {data ? (
              <BarListChart data={bars} title={`${measures[measure]} per source and metric`} format={formatNumber} />
            ) : loadError ? (
              <LoadError what="the aggregates" message={loadError} />
            ) : (
              <LoadingBlock what="the totals per metric" rows={5} />
            )}
          </CardContent>
        </Card>
        <Card>
          <CardHeader className="gap-1">
            <CardTitle>Events over time</CardTitle>
            <CardDescription>
              Events counted per {chartBucket}, by their own time,{" "}
              {range === "all" ? "over the last 30 days" : timeRangeLabels[range].toLowerCase()}.
            </CardDescription>
          </CardHeader>
          <CardContent data-testid="time-chart" aria-busy={updating || undefined} className={cn(updating && "opacity-60")}>
            {data ? (
              <TimeSeriesChart
                points={data.series}
                title={`Events counted per ${chartBucket}`}
                formatTime={chartBucket === "hour" ? formatDayHour : formatDay}
              />
            ) : loadError ? (
              <LoadError what="the events over time" message={loadError} />
            ) : (
              <LoadingBlock what="the events over time">
                <Skeleton className="h-44 w-full" />
              </LoadingBlock>
            )}
          </CardContent>
        </Card>
      </div>

      {/* data-state: "current" once the rows shown answer the search, sort, page and range chosen. */}
      <Card data-testid="aggregates-table-card" data-state={!data ? "loading" : updating ? "updating" : "current"}>
        <CardHeader className="gap-4 sm:flex-row sm:items-end sm:justify-between">
          <div className="grid gap-1">
            <CardTitle>By source and metric</CardTitle>
            <CardDescription>Click a column heading to sort. {AGGREGATES_TABLE_PAGE} groups a page.</CardDescription>
          </div>
          <div role="search" aria-label="Search aggregates">
            <Field id="aggregates-search" label="Search source or metric" className="w-72">
              <Input value={search} onChange={(e) => setSearch(e.target.value)} autoComplete="off" placeholder="words, e.g. shop orders" />
            </Field>
          </div>
        </CardHeader>
        <CardContent className="grid gap-4">
          {!data ? (
            loadError ? (
              <LoadError what="the aggregates" message={loadError} />
            ) : (
              <LoadingBlock what="the aggregates" rows={6} />
            )
          ) : data.page.items.length === 0 ? (
            <p className="py-6 text-center text-sm text-muted-foreground" data-testid="no-rows">
              {cursors.length > 0
                ? "No rows on this page any more."
                : q
                  ? "No group matches the search."
                  : windows?.window
                    ? "No events counted in this range."
                    : "No events counted yet. Send one from the Submit page."}
            </p>
          ) : (
            <AggregatesTable
              rows={data.page.items}
              pageKey={data.key}
              sort={sort}
              onSort={(c) => setSort((s) => nextSort(s, c))}
              busy={updating}
            />
          )}
          {/* Hidden until the first answer: "Rows 1–0 of 0" would be a made-up number. */}
          <nav className="flex flex-wrap items-center gap-3" aria-label="Pages of aggregates" hidden={!data}>
            <Button
              variant="outline"
              size="sm"
              disabled={cursors.length === 0 || updating}
              onClick={() => setPaging((p) => pageBack(p, pagingKey))}
            >
              Previous
            </Button>
            <Button
              variant="outline"
              size="sm"
              disabled={!data?.page.nextCursor || updating}
              onClick={() => data?.page.nextCursor && setPaging((p) => pageForward(p, pagingKey, data.page.nextCursor!, tableWindow))}
            >
              Next
            </Button>
            <span className="text-xs text-muted-foreground tabular-nums" aria-live="polite" data-testid="page-info">
              {data && data.page.items.length > 0
                ? `Rows ${formatNumber(firstRow)}–${formatNumber(firstRow + data.page.items.length - 1)} of ${formatNumber(data.summary.groups)}`
                : `Page ${cursors.length + 1}`}
            </span>
            {heldWindow && (
              <span className="text-xs text-muted-foreground" data-testid="held-window">
                Counted until {formatDayAndTime(heldWindow.to)}, the range when you left the first page; the first page has the latest.
              </span>
            )}
          </nav>
        </CardContent>
      </Card>
    </div>
  );
}

/** A summary number; `undefined` while it is not known yet: "—", never a 0. */
function Stat({ label, value, small, testId }: { label: string; value: string | undefined; small?: boolean; testId?: string }) {
  return (
    <div className="rounded-xl border border-border bg-card p-4 shadow-sm">
      <dt className="text-xs font-medium uppercase tracking-wide text-muted-foreground">{label}</dt>
      <dd
        className={small ? "mt-1 text-sm font-medium" : "mt-1 text-2xl font-semibold tabular-nums"}
        data-testid={testId}
        data-state={value === undefined ? "loading" : "loaded"}
        aria-busy={value === undefined ? true : undefined}
      >
        {value ?? (
          <>
            <span aria-hidden>—</span>
            <span className="sr-only">not loaded yet</span>
          </>
        )}
      </dd>
    </div>
  );
}
