"use client";
// A meter query's rows: one per window, subject and group, in the server's order (by window,
// then subject, then group values). Window bounds are the zone's wall time the query asked for
// ("2025-03-10 00:00"), with the instant itself in <time dateTime>; a value missing from a group
// (an event without that group-by value) reads "—".
import { TableContainer } from "@/components/ui/table-container";
import { formatNumber } from "@/lib/format";
import type { MeterQueryRow } from "@/lib/meters-schema";
import { cn } from "@/lib/utils";
import { formatWall } from "./zoned-time";

/** Rows drawn at most; the rest are counted, not drawn (a MINUTE query over weeks can answer thousands). */
export const MAX_TABLE_ROWS = 500;

export function MeterRowsTable({
  rows,
  bySubject,
  keys,
  timeZone,
  busy,
}: {
  rows: MeterQueryRow[];
  bySubject: boolean;
  keys: string[];
  timeZone: string;
  busy: boolean;
}) {
  const shown = rows.slice(0, MAX_TABLE_ROWS);
  return (
    <div className="grid gap-2">
      <TableContainer>
        <table
          className={cn("w-full text-sm transition-opacity", busy && "opacity-60")}
          aria-label="Meter values by window and group"
          aria-busy={busy || undefined}
        >
          <thead>
            <tr className="border-b border-border text-left text-muted-foreground">
              <th scope="col" className="px-3 py-2 font-medium">
                Window start
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Window end
              </th>
              {bySubject && (
                <th scope="col" className="px-3 py-2 font-medium">
                  Subject
                </th>
              )}
              {keys.map((k) => (
                <th key={k} scope="col" className="px-3 py-2 font-medium">
                  {k}
                </th>
              ))}
              <th scope="col" className="px-3 py-2 text-right font-medium">
                Value
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr
                key={`${r.windowStart} ${JSON.stringify([r.subject, keys.map((k) => r.groupBy[k] ?? null)])}`}
                className="border-b border-border/60 last:border-0"
                data-testid="meter-value-row"
                data-window-start={r.windowStart}
                data-window-end={r.windowEnd}
                data-subject={r.subject ?? ""}
                data-group={JSON.stringify(r.groupBy)}
                data-value={r.value}
              >
                <td className="whitespace-nowrap px-3 py-2 tabular-nums" data-col="window-start">
                  <time dateTime={r.windowStart}>{formatWall(Date.parse(r.windowStart), timeZone)}</time>
                </td>
                <td className="whitespace-nowrap px-3 py-2 tabular-nums text-muted-foreground" data-col="window-end">
                  <time dateTime={r.windowEnd}>{formatWall(Date.parse(r.windowEnd), timeZone)}</time>
                </td>
                {bySubject && (
                  <td className="px-3 py-2 font-medium" data-col="subject">
                    {r.subject ?? <span className="font-normal text-muted-foreground">—</span>}
                  </td>
                )}
                {keys.map((k) => (
                  <td key={k} className="px-3 py-2" data-col={`group-${k}`}>
                    {r.groupBy[k] ?? <span className="text-muted-foreground">—</span>}
                  </td>
                ))}
                <td className="px-3 py-2 text-right font-medium tabular-nums" data-col="value">
                  {formatNumber(r.value)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableContainer>
      {rows.length > shown.length && (
        <p className="text-xs text-muted-foreground" data-testid="rows-cut">
          Showing the first {formatNumber(shown.length)} of {formatNumber(rows.length)} rows: choose a larger window or a shorter range to
          see them all.
        </p>
      )}
    </div>
  );
}
