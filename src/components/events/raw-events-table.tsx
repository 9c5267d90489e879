"use client";
// Raw events as captured, newest first: status, reason, keys, attempts, and the processed
// event each was counted as (or deduplicated against), linked to the raw event that
// created it when that one is on the page.
import { AnimatePresence, motion } from "motion/react";
import { TableContainer } from "@/components/ui/table-container";
import { formatDateTime, formatNumber, formatShortDateTime } from "@/lib/format";
import type { RouterOutputs } from "@/lib/trpc/react";
import { StatusBadge } from "./status-badge";

type RawEventView = RouterOutputs["events"]["list"]["items"][number];

export function RawEventsTable({ rows, onPage }: { rows: RawEventView[]; onPage: Set<string> }) {
  return (
    <TableContainer>
      <table className="w-full text-sm" aria-label="Raw events, newest first">
        <thead>
          <tr className="border-b border-border text-left text-muted-foreground">
            <th scope="col" className="px-3 py-2 font-medium">Received</th>
            <th scope="col" className="px-3 py-2 font-medium">Source</th>
            <th scope="col" className="px-3 py-2 font-medium">Status</th>
            <th scope="col" className="px-3 py-2 text-right font-medium" title="Processing attempts by the recovery worker">
              Worker attempts
            </th>
            <th scope="col" className="px-3 py-2 font-medium">Processed event</th>
            <th scope="col" className="px-3 py-2 font-medium">Keys</th>
            <th scope="col" className="px-3 py-2 font-medium">Reason / payload</th>
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
                className="scroll-mt-20 border-b border-border/60 align-top last:border-0 target:bg-primary/10"
                data-testid="raw-event"
                data-raw-id={r.id}
                data-status={r.status}
                data-source={r.source}
                data-processed-event-id={r.processedEventId ?? ""}
              >
                <td className="whitespace-nowrap px-3 py-2 text-muted-foreground">
                  <time dateTime={r.receivedAt} title={formatDateTime(r.receivedAt)}>
                    {formatShortDateTime(r.receivedAt)}
                  </time>
                </td>
                <td className="whitespace-nowrap px-3 py-2 font-medium">{r.source}</td>
                <td className="px-3 py-2">
                  <StatusBadge status={r.status} />
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
                  <KeyLine label="idempotency" value={r.idempotencyKey} />
                  <KeyLine label="dedup" value={r.dedupKey} />
                </td>
                <td className="max-w-80 px-3 py-2">
                  {r.reason && <p className={r.status === "rejected" || r.status === "failed" ? "text-danger" : "text-muted-foreground"}>{r.reason}</p>}
                  <details className="mt-1">
                    <summary className="cursor-pointer rounded text-xs text-muted-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring">Payload</summary>
                    <pre className="mt-1 max-h-48 overflow-auto rounded bg-muted p-2 text-xs">{JSON.stringify(r.payload, null, 2)}</pre>
                  </details>
                </td>
              </motion.tr>
            ))}
          </AnimatePresence>
        </tbody>
      </table>
    </TableContainer>
  );
}

function ProcessedCell({ row, onPage }: { row: RawEventView; onPage: Set<string> }) {
  const p = row.processedEvent;
  if (!p) return <span className="text-muted-foreground">—</span>;
  const own = p.rawEventId === row.id;
  return (
    <div className="grid gap-0.5 text-xs">
      <span className="font-medium text-foreground" data-testid="processed-event">
        #{p.id} · {p.metric} = {formatNumber(p.value)}
      </span>
      {own ? (
        <span className="text-muted-foreground">counted from this raw event</span>
      ) : p.rawEventId === null ? (
        <span className="text-muted-foreground">counted from a raw event since pruned (retention)</span>
      ) : onPage.has(p.rawEventId) ? (
        <a href={`#raw-${p.rawEventId}`} className="rounded text-primary underline-offset-2 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring">
          counted from raw {p.rawEventId.slice(0, 8)}…
        </a>
      ) : (
        <span className="text-muted-foreground">counted from raw {p.rawEventId.slice(0, 8)}…</span>
      )}
    </div>
  );
}

function KeyLine({ label, value }: { label: string; value: string | null }) {
  if (!value) return null;
  return (
    <p className="truncate text-xs" title={value}>
      <span className="text-muted-foreground">{label}: </span>
      <code>{value}</code>
    </p>
  );
}
