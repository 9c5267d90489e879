"use client";
// One event in full, from the same procedure GET /events/{id} answers from: the raw payload as
// captured beside the processed record made of it, and for a deduplicated event the event it
// repeats (its first copy, when it was counted, by which rule). Copy buttons for the id, the
// key and the payload. A row's data is shown at once; the detail query then brings it fresh.
// The first copy of a deduplicated event opens here too, whether or not it is on the list.
import type { ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { LoadError } from "@/components/ui/load-error";
import { LoadingBlock } from "@/components/ui/skeleton";
import { formatDateTime, formatNumber } from "@/lib/format";
import { toIngestClientError } from "@/lib/ingest-client-error";
import { trpc } from "@/lib/trpc/react";
import { CopyButton } from "./copy-button";
import type { EventRow } from "./raw-events-table";
import { IdentityBadge } from "./identity-badge";
import { StatusBadge } from "./status-badge";

/** `initial` is the event's row when it is on the list (shown until the detail arrives). */
export function EventDetail({ id, initial, onClose, onShow }: { id: string; initial?: EventRow; onClose: () => void; onShow: (id: string) => void }) {
  const detail = trpc.events.get.useQuery({ id }, { placeholderData: initial?.id === id ? initial : undefined });
  const event = detail.data;
  if (!event) {
    return (
      <Card data-testid="event-detail" data-raw-id={id} aria-label={`Event ${id}`}>
        <CardHeader className="flex-row items-center justify-between gap-3">
          <CardTitle>Event {id}</CardTitle>
          <Button variant="ghost" size="sm" onClick={onClose}>
            Close
          </Button>
        </CardHeader>
        <CardContent>
          {detail.error ? <LoadError what="this event" message={toIngestClientError(detail.error).message} /> : <LoadingBlock what="this event" rows={4} />}
        </CardContent>
      </Card>
    );
  }
  const payloadText = JSON.stringify(event.payload, null, 2);
  return (
    <Card data-testid="event-detail" data-raw-id={event.id} aria-labelledby="event-detail-title">
      <CardHeader className="flex-row flex-wrap items-center justify-between gap-3">
        <div className="grid gap-1">
          <CardTitle id="event-detail-title">Event {event.id}</CardTitle>
          <p className="flex flex-wrap items-center gap-2 text-xs text-muted-foreground">
            <StatusBadge status={event.status} />
            <IdentityBadge identifiedBy={event.identifiedBy} />
            <span>{event.source}</span>
            <span>
              received <time dateTime={event.receivedAt}>{formatDateTime(event.receivedAt)}</time>
            </span>
            {event.attempts > 0 && <span>{event.attempts} worker attempts</span>}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <CopyButton value={event.id} what="event id" label="id" />
          {event.idempotencyKey !== null && <CopyButton value={event.idempotencyKey} what="key" label="key" />}
          <Button variant="ghost" size="sm" onClick={onClose}>
            Close
          </Button>
        </div>
      </CardHeader>
      <CardContent className="grid gap-4">
        {detail.error && <LoadError what="this event" message={toIngestClientError(detail.error).message} />}
        {event.reason && (
          <p className={event.status === "rejected" || event.status === "failed" ? "text-sm text-danger" : "text-sm text-muted-foreground"} data-testid="detail-reason">
            {event.reasonCode && <code className="mr-2">{event.reasonCode}</code>}
            {event.reason}
          </p>
        )}
        {event.repeats && (
          <p className="rounded-md border border-primary/30 bg-primary/5 px-3 py-2 text-sm" data-testid="detail-repeats">
            Repeats processed event <strong>#{event.repeats.processedEventId}</strong>, first counted{" "}
            <time dateTime={event.repeats.firstSeenAt}>{formatDateTime(event.repeats.firstSeenAt)}</time>, matched by its{" "}
            <strong>{event.repeats.identifiedBy === "key" ? "explicit key" : "content"}</strong>
            {event.repeats.rawEventId === null ? (
              "; its first copy's raw event was since pruned (retention)."
            ) : (
              <>
                {"; first copy: "}
                <button type="button" className="rounded text-primary underline-offset-2 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring" onClick={() => onShow(event.repeats!.rawEventId!)}>
                  raw {event.repeats.rawEventId}
                </button>
                .
              </>
            )}
          </p>
        )}
        <div className="grid gap-4 md:grid-cols-2">
          <section aria-labelledby="detail-raw-title" className="grid min-w-0 content-start gap-2">
            <div className="flex items-center justify-between gap-2">
              <h3 id="detail-raw-title" className="text-sm font-semibold">
                Raw, as captured {event.format !== "event" && <span className="font-normal text-muted-foreground">({event.format})</span>}
              </h3>
              <CopyButton value={payloadText} what="payload" label="payload" />
            </div>
            {event.idempotencyKey !== null && (
              <p className="truncate text-xs" title={event.idempotencyKey}>
                <span className="text-muted-foreground">key: </span>
                <code data-testid="detail-key">{event.idempotencyKey}</code>
              </p>
            )}
            <pre className="max-h-96 overflow-auto rounded bg-muted p-3 text-xs" data-testid="detail-payload">
              {payloadText}
            </pre>
          </section>
          <section aria-labelledby="detail-processed-title" className="grid min-w-0 content-start gap-2">
            <h3 id="detail-processed-title" className="text-sm font-semibold">
              {event.status === "deduplicated" ? "Processed (the record it repeats)" : "Processed"}
            </h3>
            {event.processed ? <ProcessedRecord processed={event.processed} /> : <p className="text-sm text-muted-foreground" data-testid="detail-processed">No processed record: {noRecordWhy(event.status)}</p>}
          </section>
        </div>
      </CardContent>
    </Card>
  );
}

function ProcessedRecord({ processed }: { processed: NonNullable<EventRow["processed"]> }) {
  const rows: [string, ReactNode][] = [
    ["id", `#${processed.id}`],
    ["metric", processed.metric],
    ["value", formatNumber(processed.value)],
    ["own time", <time key="t" dateTime={processed.occurredAt}>{formatDateTime(processed.occurredAt)}</time>],
    ["dedup key", <code key="k" className="break-all">{processed.dedupKey}</code>],
  ];
  return (
    <div className="grid gap-2" data-testid="detail-processed">
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
        {rows.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="text-muted-foreground">{label}</dt>
            <dd className="min-w-0" data-testid={`processed-${label.replaceAll(" ", "-")}`}>
              {value}
            </dd>
          </div>
        ))}
      </dl>
      <p className="text-xs text-muted-foreground">attributes</p>
      <pre className="max-h-64 overflow-auto rounded bg-muted p-3 text-xs" data-testid="processed-attributes">
        {JSON.stringify(processed.attributes, null, 2)}
      </pre>
    </div>
  );
}

function noRecordWhy(status: EventRow["status"]): string {
  if (status === "received") return "it is still waiting to be processed.";
  if (status === "not_counted") return "this kind of SDK call is kept but never counted.";
  return "it was never counted.";
}
