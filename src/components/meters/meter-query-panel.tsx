"use client";
// One meter's values: a range (a preset, or From/To read in the chosen zone), a window size, the
// time zone windows are aligned in (the browser's by default; any IANA name), what to group by
// (subject and the meter's group-by keys); then a chart per window and group, the value per group
// over the whole range, and the rows by window, subject and group. Polls every second, so
// events sent meanwhile show up. Until the first answer each panel is a skeleton (never a 0); an
// answer for other choices stays on screen, dimmed, until the new one arrives; a failed refresh
// keeps the last answer and says so.
import Link from "next/link";
import { useMemo, useState, useSyncExternalStore } from "react";
import { BarListChart } from "@/components/charts/bar-list-chart";
import { LiveIndicator } from "@/components/live-indicator";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { LoadError } from "@/components/ui/load-error";
import { LoadingBlock, Skeleton } from "@/components/ui/skeleton";
import { formatNumber } from "@/lib/format";
import { toIngestClientError } from "@/lib/ingest-client-error";
import { isTimeZone, type MeterQueryRow, type WindowSize } from "@/lib/meters-schema";
import { useClock } from "@/lib/use-clock";
import { useShownDataAt } from "@/lib/use-shown-data-at";
import { cn } from "@/lib/utils";
import { MeterChart, type MeterChartColumn, type MeterChartSeries } from "./meter-chart";
import { MeterRowsTable } from "./meter-rows-table";
import type { MeterView } from "./meters-table";
import { ToggleButtons } from "./toggle-buttons";
import { useMeterView, meterViewKey, type MeterViewData, type MeterViewQuery } from "./use-meter-view";
import {
  floorMinute,
  formatAxis,
  formatWall,
  fromDateTimeLocal,
  localDayStart,
  MINUTE_MS,
  toDateTimeLocal,
  windowStarts,
} from "./zoned-time";

export const meterRefreshMs = 1000;
/** Windows a chart draws at most, with the empty ones; past it, only the windows with data. */
const MAX_CHART_WINDOWS = 400;

type RangePreset = "24h" | "7d" | "30d" | "all" | "custom";
const rangeOptions: readonly { value: RangePreset; label: string }[] = [
  { value: "24h", label: "Last 24 h" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
  { value: "all", label: "All time" },
  { value: "custom", label: "Custom" },
];

type WindowChoice = WindowSize | "TOTAL";
const windowOptions: readonly { value: WindowChoice; label: string }[] = [
  { value: "TOTAL", label: "Total" },
  { value: "MINUTE", label: "Minute" },
  { value: "HOUR", label: "Hour" },
  { value: "DAY", label: "Day" },
  { value: "MONTH", label: "Month" },
];

/** Aggregations whose values add up across groups: their chart stacks the groups. */
const additive = new Set(["SUM", "COUNT"]);

const noSubscription = () => () => {};
/** The browser's time zone; null while rendering on the server and hydrating (the server's is not the reader's). */
function useBrowserTimeZone(): string | null {
  return useSyncExternalStore(
    noSubscription,
    () => Intl.DateTimeFormat().resolvedOptions().timeZone,
    () => null,
  );
}

const noZones: string[] = [];
/** Every zone name the browser knows, for the time zone field's suggestions (none on the server: its list may differ). */
function useZoneNames(): string[] {
  return useSyncExternalStore(noSubscription, zoneNames, () => noZones);
}
let knownZones: string[] | undefined;
const zoneNames = () => (knownZones ??= ["UTC", ...Intl.supportedValuesOf("timeZone").filter((z) => z !== "UTC")]);

interface Bounds {
  from?: number;
  to?: number;
}

/** A preset's bounds at `now`, whole minutes: up to the end of the current minute, from the zone's midnight for whole days. */
function presetBounds(preset: Exclude<RangePreset, "custom">, now: number, timeZone: string): Bounds {
  const to = floorMinute(now) + MINUTE_MS;
  switch (preset) {
    case "24h":
      return { from: to - 24 * 60 * MINUTE_MS, to };
    case "7d":
      return { from: localDayStart(now, timeZone, 6), to };
    case "30d":
      return { from: localDayStart(now, timeZone, 29), to };
    case "all":
      return {};
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export function MeterQueryPanel({ meter }: { meter: MeterView }) {
  const now = useClock();
  const browserZone = useBrowserTimeZone();
  const zones = useZoneNames();
  const keys = useMemo(() => Object.keys(meter.groupBy ?? {}), [meter.groupBy]);
  const [preset, setPreset] = useState<RangePreset>("30d");
  const [custom, setCustom] = useState({ from: "", to: "" });
  const [windowChoice, setWindowChoice] = useState<WindowChoice>("DAY");
  const [zoneText, setZoneText] = useState<string | null>(null);
  const [grouping, setGrouping] = useState<Set<string>>(() => new Set(["subject", ...keys]));

  const zone = zoneText ?? browserZone ?? "";
  const timeZone = zone.trim();
  /** The zone to compute in, once it is one (Intl throws on a name it does not know, e.g. half typed). */
  const tz = timeZone !== "" && isTimeZone(timeZone) ? timeZone : null;
  const zoneError =
    tz === null && timeZone !== ""
      ? "Not a time zone name: use an IANA name, e.g. UTC, Europe/Budapest or Asia/Kolkata"
      : tz === null && zoneText !== null
        ? "Enter a time zone, e.g. UTC"
        : undefined;

  // The range, or why there is none yet.
  let bounds: Bounds | null = null;
  let fromError: string | undefined;
  let toError: string | undefined;
  if (preset === "custom") {
    const read = (value: string) => (value === "" ? undefined : tz === null ? undefined : fromDateTimeLocal(value, tz));
    const from = read(custom.from);
    const to = read(custom.to);
    if (from === null) fromError = "A date and time, e.g. 2025-03-10T00:00";
    if (to === null) toError = "A date and time, e.g. 2025-03-11T00:00";
    if (from != null && to != null && to <= from) toError = "To must be after From";
    if (tz !== null && !fromError && !toError) bounds = { from: from ?? undefined, to: to ?? undefined };
  } else if (now !== null && tz !== null) {
    bounds = presetBounds(preset, now, tz);
  }

  const groupBy = ["subject", ...keys].filter((k) => grouping.has(k));
  const query: MeterViewQuery | null =
    bounds && tz !== null
      ? {
          meter: meter.id,
          ...(bounds.from !== undefined && { from: iso(bounds.from) }),
          ...(bounds.to !== undefined && { to: iso(bounds.to) }),
          ...(windowChoice !== "TOTAL" && { windowSize: windowChoice }),
          windowTimeZone: tz,
          groupBy,
        }
      : null;

  const view = useMeterView(query, { refetchInterval: meterRefreshMs });
  const data = view.data;
  const loadError = view.error ? toIngestClientError(view.error).message : undefined;
  const updating = !!data && (view.isPlaceholderData || query === null || data.key !== meterViewKey(query));
  const shownAt = useShownDataAt(view);
  const state = !data ? (loadError ? "error" : "loading") : updating ? "updating" : "current";

  const choosePreset = (p: RangePreset) => {
    if (p === "custom" && preset !== "custom") {
      // Custom starts from the range on screen, in the zone's wall time.
      const start = bounds ?? {};
      const at = now ?? Date.now();
      const z = tz ?? "UTC";
      const base = preset === "all" || start.from === undefined ? presetBounds("7d", at, z) : start;
      setCustom({ from: toDateTimeLocal(base.from ?? at, z), to: toDateTimeLocal(base.to ?? at, z) });
    }
    setPreset(p);
  };

  const valueOf = meter.aggregation === "COUNT" ? "Events" : `${meter.aggregation} of ${meter.valueProperty ?? "the value"}`;

  return (
    <Card
      data-testid="meter-query"
      data-meter={meter.slug}
      data-state={state}
      data-window-size={data?.query.windowSize ?? (data ? "TOTAL" : "")}
      data-time-zone={data?.query.windowTimeZone ?? ""}
      data-from={data?.query.from ?? ""}
      data-to={data?.query.to ?? ""}
      data-group-by={data ? data.query.groupBy.join(",") : ""}
      aria-labelledby="meter-query-title"
    >
      <CardHeader className="gap-2 sm:flex-row sm:items-start sm:justify-between">
        <div className="grid gap-1">
          <CardTitle id="meter-query-title">
            {meter.name} <code className="ml-1 text-sm font-normal text-muted-foreground">{meter.slug}</code>
          </CardTitle>
          <CardDescription>
            {valueOf} of the <code>{meter.eventType}</code> events{meter.eventFrom ? `, from ${meter.eventFrom}` : ""}. Windows without data
            are left out of the table.
          </CardDescription>
        </div>
        <div className="self-start">
          <LiveIndicator fetching={view.isFetching} error={loadError} updatedAt={shownAt} />
        </div>
      </CardHeader>
      <CardContent className="grid gap-6">
        <div className="grid gap-4" role="group" aria-label="Query">
          <div className="flex flex-wrap items-end gap-x-6 gap-y-3">
            <div className="grid gap-1.5">
              <span className="text-sm font-medium">Range</span>
              <ToggleButtons label="Range" options={rangeOptions} value={preset} onChange={choosePreset} />
            </div>
            <div className="grid gap-1.5">
              <span className="text-sm font-medium">Window size</span>
              <ToggleButtons label="Window size" options={windowOptions} value={windowChoice} onChange={setWindowChoice} />
            </div>
          </div>
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
            <Field
              id="meter-time-zone"
              label="Time zone"
              hint={browserZone ? `An IANA name; yours is ${browserZone}` : "An IANA name"}
              error={zoneError}
              className="content-start lg:col-span-2"
            >
              <Input
                value={zone}
                onChange={(e) => setZoneText(e.target.value)}
                list="meter-time-zones"
                autoComplete="off"
                spellCheck={false}
                placeholder="UTC"
              />
            </Field>
            <datalist id="meter-time-zones">
              {zones.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
            {preset === "custom" && (
              <>
                <Field
                  id="meter-from"
                  label="From"
                  hint={`Inclusive, in ${tz ?? "the time zone"}`}
                  error={fromError}
                  className="content-start"
                >
                  <Input type="datetime-local" value={custom.from} onChange={(e) => setCustom((c) => ({ ...c, from: e.target.value }))} />
                </Field>
                <Field id="meter-to" label="To" hint={`Exclusive, in ${tz ?? "the time zone"}`} error={toError} className="content-start">
                  <Input type="datetime-local" value={custom.to} onChange={(e) => setCustom((c) => ({ ...c, to: e.target.value }))} />
                </Field>
              </>
            )}
          </div>
          <fieldset className="grid gap-2">
            <legend className="mb-1 text-sm font-medium">Group by</legend>
            <div className="flex flex-wrap gap-x-5 gap-y-2">
              {["subject", ...keys].map((k) => (
                <label key={k} className="flex items-center gap-2 text-sm">
                  <input
                    type="checkbox"
                    className="h-4 w-4 accent-primary"
                    checked={grouping.has(k)}
                    onChange={(e) =>
                      setGrouping((g) => {
                        const next = new Set(g);
                        if (e.target.checked) next.add(k);
                        else next.delete(k);
                        return next;
                      })
                    }
                  />
                  {k === "subject" ? "subject" : <code>{k}</code>}
                </label>
              ))}
            </div>
          </fieldset>
          <p className="text-xs text-muted-foreground" data-testid="meter-range-hint" aria-live="polite">
            {query && <RangeHint query={query} />}
          </p>
        </div>

        <MeterResults data={data} loadError={loadError} updating={updating} meter={meter} valueOf={valueOf} />
      </CardContent>
    </Card>
  );
}

function RangeHint({ query }: { query: MeterViewQuery }) {
  const tz = query.windowTimeZone;
  const size = query.windowSize ? `${query.windowSize.toLowerCase()} windows` : "one total per group";
  if (query.from === undefined || query.to === undefined)
    return (
      <>
        Every event the meter counted, in {size} aligned in {tz}.
      </>
    );
  return (
    <>
      From {formatWall(Date.parse(query.from), tz)} (inclusive) to {formatWall(Date.parse(query.to), tz)} (exclusive), {tz}; {size}.
    </>
  );
}

/** A row's group: its subject and group-by values, as a key and as people read it. */
function seriesOf(row: MeterQueryRow, query: MeterViewQuery): MeterChartSeries {
  const keys = query.groupBy.filter((k) => k !== "subject");
  const bySubject = query.groupBy.includes("subject");
  const parts = [...(bySubject ? [row.subject] : []), ...keys.map((k) => row.groupBy[k] ?? null)];
  return {
    key: JSON.stringify(parts),
    label: parts.length === 0 ? "All events" : parts.map((p) => p ?? "—").join(" · "),
  };
}

function MeterResults({
  data,
  loadError,
  updating,
  meter,
  valueOf,
}: {
  data: MeterViewData | undefined;
  loadError: string | undefined;
  updating: boolean;
  meter: MeterView;
  valueOf: string;
}) {
  const chart = useMemo(() => (data ? chartOf(data) : null), [data]);
  const totals = useMemo(
    () =>
      data ? data.totals.data.map((r) => ({ label: seriesOf(r, data.query).label, value: r.value })).sort((a, b) => b.value - a.value) : [],
    [data],
  );
  const stacked = additive.has(meter.aggregation);
  if (!data) {
    return loadError ? (
      <LoadError what={`the values of ${meter.slug}`} message={loadError} />
    ) : (
      <LoadingBlock what={`the values of ${meter.slug}`}>
        <Skeleton className="h-44 w-full" />
        <Skeleton className="h-8 w-full" />
        <Skeleton className="h-8 w-full" />
      </LoadingBlock>
    );
  }
  const q = data.query;
  const rows = data.rows.data;
  const busy = updating;
  return (
    <div className={cn("grid gap-6 transition-opacity", busy && "opacity-60")} aria-busy={busy || undefined}>
      {rows.length === 0 ? (
        <p className="py-6 text-center text-sm text-muted-foreground" data-testid="no-meter-rows">
          {q.from !== undefined ? "No events counted in this range." : "No events counted yet."}{" "}
          <Link href="/console/submit?format=cloudevents" className="font-medium text-primary underline-offset-2 hover:underline">
            Send a CloudEvent of type {meter.eventType}
          </Link>
          .
        </p>
      ) : (
        <>
          <div className="grid gap-6 lg:grid-cols-2">
            <section className="grid gap-2" aria-labelledby="meter-chart-title" data-testid="meter-chart">
              <h3 id="meter-chart-title" className="text-sm font-medium">
                {q.windowSize ? `${valueOf} per ${q.windowSize.toLowerCase()} (${q.windowTimeZone})` : "Per window"}
              </h3>
              {chart ? (
                <>
                  <MeterChart
                    columns={chart.columns}
                    series={chart.series}
                    stacked={stacked}
                    title={`${valueOf} per ${q.windowSize?.toLowerCase()}`}
                    formatValue={formatNumber}
                  />
                  {chart.onlyAnswered && (
                    <p className="text-xs text-muted-foreground">
                      Only the windows with data are drawn (the range has too many windows to draw them all).
                    </p>
                  )}
                </>
              ) : (
                <p className="text-sm text-muted-foreground">Choose a window size to see the values over time.</p>
              )}
            </section>
            <section className="grid content-start gap-2" aria-labelledby="meter-totals-title" data-testid="meter-totals">
              <h3 id="meter-totals-title" className="text-sm font-medium">
                Per group over the range
              </h3>
              <BarListChart data={totals} title={`${valueOf} per group over the range`} format={formatNumber} />
            </section>
          </div>
          <MeterRowsTable
            rows={rows}
            bySubject={q.groupBy.includes("subject")}
            keys={q.groupBy.filter((k) => k !== "subject")}
            timeZone={q.windowTimeZone}
            busy={busy}
          />
        </>
      )}
    </div>
  );
}

/** The chart of an answer: every window of the range (those without data empty), one series per group. */
function chartOf(data: MeterViewData): { columns: MeterChartColumn[]; series: MeterChartSeries[]; onlyAnswered: boolean } | null {
  const q = data.query;
  const size = q.windowSize;
  if (!size) return null;
  const rows = data.rows.data;
  const series = new Map<string, MeterChartSeries>();
  const byStart = new Map<number, Record<string, number>>();
  for (const r of rows) {
    const s = seriesOf(r, q);
    series.set(s.key, s);
    const start = Date.parse(r.windowStart);
    const values = byStart.get(start) ?? {};
    values[s.key] = r.value;
    byStart.set(start, values);
  }
  const answered = [...byStart.keys()].sort((a, b) => a - b);
  const from = q.from !== undefined ? Date.parse(q.from) : answered[0];
  const to = q.to !== undefined ? Date.parse(q.to) : Math.max(...rows.map((r) => Date.parse(r.windowEnd)));
  const all =
    from !== undefined && Number.isFinite(to) ? windowStarts(from, to, size, q.windowTimeZone, answered, MAX_CHART_WINDOWS) : null;
  const starts = all ?? answered;
  return {
    columns: starts.map((s) => ({ start: iso(s), label: formatAxis(s, size, q.windowTimeZone), values: byStart.get(s) ?? {} })),
    series: [...series.values()].sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0)),
    onlyAnswered: all === null && rows.length > 0,
  };
}
