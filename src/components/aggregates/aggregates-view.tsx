"use client";
// The Aggregates page: live rollup per (source, metric) with summary numbers, charts and
// a sortable, filterable table. Polls every second, so an event sent anywhere shows up
// here within about a second without reloading. Until the first answer every number is
// "—" and every panel a skeleton (never a 0 or "no data"); a failed refresh keeps the last
// data on screen and says so.
import { useMemo, useState } from "react";
import { LiveIndicator } from "@/components/live-indicator";
import { BarListChart } from "@/components/charts/bar-list-chart";
import { TimeSeriesChart } from "@/components/charts/time-series-chart";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { LoadError } from "@/components/ui/load-error";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { LoadingBlock, Skeleton } from "@/components/ui/skeleton";
import { filterAggregates, nextSort, sortAggregates, type SortState } from "@/lib/aggregate-table";
import { bucketSizeSchema, type BucketSize } from "@/lib/events-schema";
import { formatClock, formatDateTime, formatDayHour, formatNumber } from "@/lib/format";
import { toIngestClientError } from "@/lib/ingest-client-error";
import { trpc } from "@/lib/trpc/react";
import { AggregatesTable } from "./aggregates-table";

export const liveRefreshMs = 1000;

const measures = { count: "Events counted", sum: "Sum of values", avg: "Average value" } as const;
type Measure = keyof typeof measures;
const isMeasure = (v: string): v is Measure => v in measures;

export function AggregatesView() {
  const aggregates = trpc.aggregates.useQuery(undefined, { refetchInterval: liveRefreshMs });
  const [bucket, setBucket] = useState<BucketSize>("minute");
  const series = trpc.events.series.useQuery({ bucket }, { refetchInterval: liveRefreshMs });
  const [filter, setFilter] = useState({ source: "", metric: "" });
  const [sort, setSort] = useState<SortState>({ column: "count", direction: "desc" });
  const [measure, setMeasure] = useState<Measure>("count");

  const rows = useMemo(() => sortAggregates(filterAggregates(aggregates.data ?? [], filter), sort), [aggregates.data, filter, sort]);
  const totals = useMemo(() => {
    const events = rows.reduce((s, r) => s + r.count, 0);
    const last = rows.reduce<string | undefined>((m, r) => (!m || r.lastSeenAt > m ? r.lastSeenAt : m), undefined);
    return { events, groups: rows.length, sources: new Set(rows.map((r) => r.source)).size, last };
  }, [rows]);
  const loaded = aggregates.data !== undefined;
  const loadError = aggregates.error ? toIngestClientError(aggregates.error).message : undefined;
  const seriesError = series.error ? toIngestClientError(series.error).message : undefined;
  const bars = useMemo(
    () =>
      [...rows]
        .sort((a, b) => b[measure] - a[measure])
        .slice(0, 12)
        .map((r) => ({ label: `${r.source} · ${r.metric}`, value: r[measure] })),
    [rows, measure],
  );

  return (
    <div className="grid gap-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Aggregates</h1>
          <p className="mt-1 text-sm text-muted-foreground">Count, sum, average, min and max per client and metric, always equal to the processed events.</p>
        </div>
        <LiveIndicator fetching={aggregates.isFetching} error={loadError ?? seriesError} updatedAt={aggregates.dataUpdatedAt} />
      </div>

      <dl className="grid grid-cols-2 gap-4 md:grid-cols-4">
        <Stat label="Events counted" value={loaded ? formatNumber(totals.events) : undefined} testId="stat-events" />
        <Stat label="Source · metric groups" value={loaded ? formatNumber(totals.groups) : undefined} testId="stat-groups" />
        <Stat label="Sources" value={loaded ? formatNumber(totals.sources) : undefined} testId="stat-sources" />
        <Stat label="Last event" value={loaded ? (totals.last ? formatDateTime(totals.last) : "none yet") : undefined} small testId="stat-last" />
      </dl>

      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader className="flex-row items-start justify-between gap-4">
            <div className="grid gap-1">
              <CardTitle>Totals per metric</CardTitle>
              <CardDescription>The largest groups of the table below (up to 12).</CardDescription>
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
          <CardContent data-testid="metric-chart">
            {loaded ? (
              <BarListChart data={bars} title={`${measures[measure]} per source and metric`} format={formatNumber} />
            ) : loadError ? (
              <LoadError what="the aggregates" message={loadError} />
            ) : (
              <LoadingBlock what="the totals per metric" rows={5} />
            )}
          </CardContent>
        </Card>
        <Card>
          <CardHeader className="flex-row items-start justify-between gap-4">
            <div className="grid gap-1">
              <CardTitle>Events over time</CardTitle>
              <CardDescription>Processed events per {bucket}, {bucket === "minute" ? "last hour" : "last two days"}.</CardDescription>
            </div>
            <Select value={bucket} onValueChange={(v) => setBucket(bucketSizeSchema.catch("minute").parse(v))}>
              <SelectTrigger className="w-32" aria-label="Bucket size">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value="minute">Per minute</SelectItem>
                <SelectItem value="hour">Per hour</SelectItem>
              </SelectContent>
            </Select>
          </CardHeader>
          <CardContent data-testid="time-chart">
            {series.data ? (
              <TimeSeriesChart points={series.data.points} title={`Processed events per ${bucket}`} formatTime={bucket === "minute" ? formatClock : formatDayHour} />
            ) : seriesError ? (
              <LoadError what="the events over time" message={seriesError} />
            ) : (
              <LoadingBlock what="the events over time">
                <Skeleton className="h-44 w-full" />
              </LoadingBlock>
            )}
          </CardContent>
        </Card>
      </div>

      <Card>
        <CardHeader className="gap-4 sm:flex-row sm:items-end sm:justify-between">
          <div className="grid gap-1">
            <CardTitle>By source and metric</CardTitle>
            <CardDescription>Click a column heading to sort.</CardDescription>
          </div>
          <div className="flex flex-wrap gap-3" role="search" aria-label="Filter aggregates">
            <Field id="filter-source" label="Source contains" className="w-44">
              <Input value={filter.source} onChange={(e) => setFilter((f) => ({ ...f, source: e.target.value }))} autoComplete="off" />
            </Field>
            <Field id="filter-metric" label="Metric contains" className="w-44">
              <Input value={filter.metric} onChange={(e) => setFilter((f) => ({ ...f, metric: e.target.value }))} autoComplete="off" />
            </Field>
          </div>
        </CardHeader>
        <CardContent>
          {!aggregates.data ? (
            loadError ? (
              <LoadError what="the aggregates" message={loadError} />
            ) : (
              <LoadingBlock what="the aggregates" rows={6} />
            )
          ) : rows.length === 0 ? (
            <p className="py-6 text-center text-sm text-muted-foreground">
              {aggregates.data.length === 0 ? "No events counted yet. Send one from the Submit page." : "No group matches the filter."}
            </p>
          ) : (
            <AggregatesTable rows={rows} sort={sort} onSort={(c) => setSort((s) => nextSort(s, c))} />
          )}
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

