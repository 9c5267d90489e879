"use client";
// Captured events, newest first: when each was captured and its own time, status, how it was
// identified, the processed event it was counted as (or repeats), its key, reason and
// payload. "Details" opens the event in full (event-detail.tsx).
import { AnimatePresence, motion } from "motion/react";
import { Button } from "@/components/ui/button";
import { TableContainer } from "@/components/ui/table-container";
import { formatDateTime, formatNumber, formatShortDateTime } from "@/lib/format";
import type { RouterOutputs } from "@/lib/trpc/react";
import { IdentityBadge } from "./identity-badge";
import { StatusBadge } from "./status-badge";

/** One event as the procedures answer it (events-schema.ts: eventSchema). */
export type EventRow = RouterOutputs["events"]["get"];

export function RawEventsTable({ rows, onPage, selectedId, onSelect }: { rows: EventRow[]; onPage: Set<string>; selectedId?: string; onSelect: (id: string) => void }) {
  return (
    <TableContainer>
      <table className="w-full text-sm" aria-label="Raw events, newest first">
        <thead>
          <tr className="border-b border-border text-left text-muted-foreground">
            <th scope="col" className="px-3 py-2 font-medium">Received</th>
            <th scope="col" className="px-3 py-2 font-medium" title="The event's own time: its timestamp, else when it was captured">
              Own time
            </th>
            <th scope="col" className="px-3 py-2 font-medium">Source</th>
            <th scope="col" className="px-3 py-2 font-medium">Status</th>
            <th scope="col" className="px-3 py-2 text-right font-medium" title="Processing attempts by the recovery worker">
              Worker attempts
            </th>
            <th scope="col" className="px-3 py-2 font-medium">Processed event</th>
            <th scope="col" className="px-3 py-2 font-medium">Key</th>
            <th scope="col" className="px-3 py-2 font-medium">Reason / payload</th>
            <th scope="col" className="px-3 py-2 font-medium">
              <span className="sr-only">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          <AnimatePresence initial={false}>
            {rows.map((r) => (
              <motion.tr
                key={r.id}
                id={`raw-${r.id}`}
                initial={{ opacity: 0 }}
                animate={{ opacity: 1 }}
                transition={{ duration: 0.25 }}
                className="scroll-mt-20 border-b border-border/60 align-top last:border-0 target:bg-primary/10 data-[selected=true]:bg-primary/5"
                data-testid="raw-event"
                data-raw-id={r.id}
                data-status={r.status}
                data-source={r.source}
                data-identified-by={r.identifiedBy}
                data-processed-event-id={r.processed?.id ?? ""}
                data-selected={r.id === selectedId}
              >
                <td className="whitespace-nowrap px-3 py-2 text-muted-foreground">
                  <time dateTime={r.receivedAt} title={formatDateTime(r.receivedAt)}>
                    {formatShortDateTime(r.receivedAt)}
                  </time>
                </td>
                <td className="whitespace-nowrap px-3 py-2" data-testid="own-time">
                  {r.processed ? (
                    <time dateTime={r.processed.occurredAt} title={formatDateTime(r.processed.occurredAt)}>
                      {formatShortDateTime(r.processed.occurredAt)}
                    </time>
                  ) : (
                    <span className="text-muted-foreground">—</span>
                  )}
                </td>
                <td className="whitespace-nowrap px-3 py-2 font-medium">{r.source}</td>
                <td className="px-3 py-2">
                  <div className="flex flex-wrap gap-1">
                    <StatusBadge status={r.status} />
                    <IdentityBadge identifiedBy={r.identifiedBy} />
                  </div>
                  {r.format !== "event" && (
                    <span className="mt-1 block text-xs text-muted-foreground" data-testid="format" title="Sent through this analytics SDK protocol">
                      {r.format}
                    </span>
                  )}
                </td>
                <td className="px-3 py-2 text-right tabular-nums">{r.attempts}</td>
                <td className="px-3 py-2">
                  <ProcessedCell row={r} onPage={onPage} />
                </td>
                <td className="max-w-56 px-3 py-2">
                  {r.idempotencyKey ? (
                    <p className="truncate text-xs" title={r.idempotencyKey}>
                      <code>{r.idempotencyKey}</code>
                    </p>
                  ) : (
                    <span className="text-xs text-muted-foreground">—</span>
                  )}
                </td>
                <td className="max-w-80 px-3 py-2">
                  {r.reason && <p className={r.status === "rejected" || r.status === "failed" ? "text-danger" : "text-muted-foreground"}>{r.reason}</p>}
                  <details className="mt-1">
                    <summary className="cursor-pointer rounded text-xs text-muted-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring">Payload</summary>
                    <pre className="mt-1 max-h-48 overflow-auto rounded bg-muted p-2 text-xs">{JSON.stringify(r.payload, null, 2)}</pre>
                  </details>
                </td>
                <td className="px-3 py-2">
                  <Button variant="outline" size="sm" onClick={() => onSelect(r.id)} aria-pressed={r.id === selectedId} aria-label={`Details of event ${r.id}`}>
                    Details
                  </Button>
                </td>
              </motion.tr>
            ))}
          </AnimatePresence>
        </tbody>
      </table>
    </TableContainer>
  );
}

function ProcessedCell({ row, onPage }: { row: EventRow; onPage: Set<string> }) {
  const p = row.processed;
  if (!p) return <span className="text-muted-foreground">—</span>;
  const first = row.repeats?.rawEventId;
  return (
    <div className="grid gap-0.5 text-xs">
      <span className="font-medium text-foreground" data-testid="processed-event">
        #{p.id} · {p.metric} = {formatNumber(p.value)}
      </span>
      {!row.repeats ? (
        <span className="text-muted-foreground">counted from this raw event</span>
      ) : first === null || first === undefined ? (
        <span className="text-muted-foreground">repeats an event whose raw copy was since pruned (retention)</span>
      ) : onPage.has(first) ? (
        <a href={`#raw-${first}`} className="rounded text-primary underline-offset-2 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring">
          repeats raw {first.slice(0, 8)}…
        </a>
      ) : (
        <span className="text-muted-foreground">repeats raw {first.slice(0, 8)}…</span>
      )}
    </div>
  );
}
