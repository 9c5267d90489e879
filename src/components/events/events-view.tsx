"use client";
// The Events page: every raw event as captured, live. Filter by status, source and metric, page
// back with a cursor, and watch `received` events (left behind by a failure) turn
// `counted` or `deduplicated` as the recovery worker catches up, without reloading. Only the
// first page (the newest events) and the counts are polled; older pages, loaded on demand,
// are asked for once (src/lib/event-pages.ts), so an open tab costs one page a second however
// far back it has read. Until the first answer the counts read "—" and the table is a
// skeleton; a failed refresh keeps the rows on screen and says so. "Details" opens one event in
// full above the list: raw and processed side by side (event-detail.tsx). The rows and the
// detail come from the procedures GET /events and GET /events/{id} answer from.
import { useDeferredValue, useMemo, useState } from "react";
import { LiveIndicator } from "@/components/live-indicator";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { LoadError } from "@/components/ui/load-error";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { LoadingBlock } from "@/components/ui/skeleton";
import { rawEventStatuses, rawEventStatusSchema, type RawEventStatus } from "@/lib/events-schema";
import { toIngestClientError } from "@/lib/ingest-client-error";
import { trpc } from "@/lib/trpc/react";
import { useShownDataAt } from "@/lib/use-shown-data-at";
import { visibleRows } from "@/lib/event-pages";
import { EventDetail } from "./event-detail";
import { RawEventsTable } from "./raw-events-table";
import { useOlderEvents } from "./use-older-events";
import { statusTone } from "./status-badge";
import { Badge } from "@/components/ui/badge";

const liveRefreshMs = 1000;
const pageSize = 25;

export function EventsView({ initialSource, initialStatus }: { initialSource?: string; initialStatus?: RawEventStatus }) {
  const [status, setStatus] = useState<RawEventStatus | "all">(initialStatus ?? "all");
  const [sourceText, setSourceText] = useState(initialSource ?? "");
  const [metricText, setMetricText] = useState("");
  const [selectedId, setSelectedId] = useState<string>();
  // Typing in the filter boxes must not fire a query per keystroke on a slow machine.
  const source = useDeferredValue(sourceText.trim());
  const metric = useDeferredValue(metricText.trim());
  const filter = { status: status === "all" ? undefined : status, source: source || undefined, metric: metric || undefined };

  const list = trpc.events.list.useQuery({ ...filter, limit: pageSize }, { refetchInterval: liveRefreshMs, placeholderData: (prev) => prev });
  const counts = trpc.events.statusCounts.useQuery({ source: filter.source }, { refetchInterval: liveRefreshMs });
  const utils = trpc.useUtils();
  const older = useOlderEvents(JSON.stringify(filter), list.data, (cursor) => utils.client.events.list.query({ ...filter, limit: pageSize, cursor }));

  const rows = useMemo(() => visibleRows(list.data?.items ?? [], older.rows), [list.data, older.rows]);
  const onPage = useMemo(() => new Set(rows.map((r) => r.id)), [rows]);
  const listError = list.error ? toIngestClientError(list.error).message : undefined;
  const countsError = counts.error ? toIngestClientError(counts.error).message : undefined;
  const shownAt = useShownDataAt(list);
  // The next page starts after the last row shown: the last older page's end when older rows
  // are shown past the first page, else the first page's own end (cursors are opaque).
  const nextCursor = rows.length > (list.data?.items.length ?? 0) ? older.nextCursor : (list.data?.nextCursor ?? null);
  const hasOlder = nextCursor !== null;
  const selectedRow = rows.find((r) => r.id === selectedId);

  return (
    <div className="grid gap-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Events</h1>
          <p className="mt-1 text-sm text-muted-foreground">
            Every request captured raw, before processing. A <code>received</code> event is one whose processing failed; the recovery worker finishes it.
          </p>
        </div>
        <LiveIndicator fetching={list.isFetching} error={listError ?? countsError} updatedAt={shownAt} />
      </div>

      <ul className="flex flex-wrap gap-2" aria-label="Raw events per status">
        {rawEventStatuses.map((s) => (
          <li key={s}>
            <button
              type="button"
              onClick={() => setStatus(status === s ? "all" : s)}
              aria-pressed={status === s}
              className="rounded-full focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
            >
              <Badge tone={status === s ? statusTone[s] : "neutral"} className="px-3 py-1 text-sm" data-testid={`count-${s}`} data-state={counts.data ? "loaded" : "loading"}>
                {s} <span className="tabular-nums font-semibold">{counts.data?.[s] ?? "—"}</span>
              </Badge>
            </button>
          </li>
        ))}
      </ul>

      {selectedId !== undefined && <EventDetail id={selectedId} initial={selectedRow} onClose={() => setSelectedId(undefined)} onShow={setSelectedId} />}

      <Card>
        <CardHeader className="flex-row flex-wrap items-end gap-3" role="search" aria-label="Filter events">
          <div className="grid w-44 gap-1.5">
            <Label htmlFor="status-filter">Status</Label>
            <Select value={status} onValueChange={(v) => setStatus(v === "all" ? "all" : rawEventStatusSchema.catch("received").parse(v))}>
              <SelectTrigger id="status-filter">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value="all">All statuses</SelectItem>
                {rawEventStatuses.map((s) => (
                  <SelectItem key={s} value={s}>
                    {s}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
          </div>
          <Field id="source-filter" label="Source (exact)" className="w-56">
            <Input value={sourceText} onChange={(e) => setSourceText(e.target.value)} autoComplete="off" placeholder="all sources" />
          </Field>
          <Field id="metric-filter" label="Metric (exact)" className="w-56">
            <Input value={metricText} onChange={(e) => setMetricText(e.target.value)} autoComplete="off" placeholder="all metrics" />
          </Field>
          {metric && <p className="basis-full text-xs text-muted-foreground">A metric filter shows only events with a processed record (counted or deduplicated).</p>}
        </CardHeader>
        <CardContent className="grid gap-4">
          {!list.data ? (
            listError ? (
              <LoadError what="the raw events" message={listError} />
            ) : (
              <LoadingBlock what="the raw events" rows={6} />
            )
          ) : rows.length === 0 ? (
            <p className="py-6 text-center text-sm text-muted-foreground">No raw events match.</p>
          ) : (
            <RawEventsTable rows={rows} onPage={onPage} selectedId={selectedId} onSelect={(id) => setSelectedId(id === selectedId ? undefined : id)} />
          )}
          {/* Hidden until the first page arrives: "Showing 0 events" would be a made-up number. */}
          <div className="flex items-center gap-3" hidden={!list.data}>
            <Button variant="outline" size="sm" disabled={!hasOlder || older.loading || list.isPlaceholderData} onClick={() => older.loadAfter(nextCursor ?? undefined)}>
              {older.loading ? "Loading…" : hasOlder ? "Load older events" : "No older events"}
            </Button>
            <span className="text-xs text-muted-foreground" aria-live="polite">
              Showing {rows.length} event{rows.length === 1 ? "" : "s"}
            </span>
          </div>
          {older.error && <LoadError what="older events" message={older.error} />}
        </CardContent>
      </Card>
    </div>
  );
}
