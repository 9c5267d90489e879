"use client";
// Every meter: slug (the button that selects it for the chart and table below), name,
// aggregation, event type, value property, group-by keys with their JSONPaths, the backfill's
// progress while it runs, and the matching events it could not read a value from; a Delete
// button per meter, confirmed in a dialog.
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { TableContainer } from "@/components/ui/table-container";
import { formatNumber } from "@/lib/format";
import { toIngestClientError } from "@/lib/ingest-client-error";
import { trpc, type RouterOutputs } from "@/lib/trpc/react";
import { cn } from "@/lib/utils";

export type MeterView = RouterOutputs["meters"]["list"][number];

const headings = ["Slug", "Name", "Aggregation", "Event type", "Value property", "Group by", "Backfill", "Skipped"] as const;

export function MetersTable({
  meters,
  selected,
  onSelect,
  onDeleted,
}: {
  meters: MeterView[];
  selected: string | undefined;
  onSelect: (id: string) => void;
  onDeleted: (m: MeterView) => void;
}) {
  const utils = trpc.useUtils();
  const remove = trpc.meters.delete.useMutation();
  const [asked, setAsked] = useState<MeterView | null>(null);
  const [announcement, setAnnouncement] = useState("");

  const close = () => {
    setAsked(null);
    remove.reset();
  };
  const confirm = async () => {
    if (!asked) return;
    try {
      await remove.mutateAsync({ meter: asked.id });
      setAnnouncement(`Meter ${asked.slug} deleted.`);
      onDeleted(asked);
      close();
      await utils.meters.list.invalidate();
    } catch {
      // remove.error is shown in the dialog, which stays open.
    }
  };

  return (
    <>
      <TableContainer>
        <table className="w-full text-sm" aria-label="Meters">
          <thead>
            <tr className="border-b border-border text-left text-muted-foreground">
              {headings.map((h) => (
                <th key={h} scope="col" className={cn("px-3 py-2 font-medium", h === "Skipped" && "text-right")}>
                  {h}
                </th>
              ))}
              <th scope="col" className="px-3 py-2 font-medium">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {meters.map((m) => {
              const isSelected = m.id === selected;
              const groupBy = Object.entries(m.groupBy ?? {});
              return (
                <tr
                  key={m.id}
                  className={cn("border-b border-border/60 align-middle last:border-0", isSelected && "bg-primary/5")}
                  data-testid="meter-row"
                  data-slug={m.slug}
                  data-selected={isSelected ? "true" : "false"}
                  data-backfill={m.backfill.done ? "done" : "running"}
                  data-skipped={m.skipped}
                >
                  <th scope="row" className="whitespace-nowrap px-3 py-2 text-left font-normal">
                    <button
                      type="button"
                      onClick={() => onSelect(m.id)}
                      aria-pressed={isSelected}
                      aria-label={`Show meter ${m.slug}`}
                      className="rounded font-mono text-xs font-medium text-primary underline-offset-2 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
                    >
                      {m.slug}
                    </button>
                  </th>
                  <td className="max-w-48 truncate px-3 py-2" title={m.description ?? m.name}>
                    {m.name}
                  </td>
                  <td className="px-3 py-2" data-col="aggregation">
                    <Badge tone="info">{m.aggregation}</Badge>
                  </td>
                  <td className="px-3 py-2" data-col="event-type">
                    <code className="text-xs">{m.eventType}</code>
                  </td>
                  <td className="px-3 py-2" data-col="value-property">
                    {m.valueProperty ? (
                      <code className="text-xs">{m.valueProperty}</code>
                    ) : (
                      <span className="text-muted-foreground">—</span>
                    )}
                  </td>
                  <td className="px-3 py-2" data-col="group-by">
                    {groupBy.length === 0 ? (
                      <span className="text-muted-foreground">—</span>
                    ) : (
                      <ul className="grid gap-0.5">
                        {groupBy.map(([key, path]) => (
                          <li key={key} className="whitespace-nowrap text-xs">
                            <span className="font-medium">{key}</span> <code className="text-muted-foreground">{path}</code>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td className="whitespace-nowrap px-3 py-2" data-col="backfill">
                    <Backfill backfill={m.backfill} slug={m.slug} />
                  </td>
                  <td
                    className="px-3 py-2 text-right tabular-nums"
                    data-col="skipped"
                    title="Matching events it could not read a value from (missing, or not a number)"
                  >
                    {formatNumber(m.skipped)}
                  </td>
                  <td className="px-3 py-2 text-right">
                    <Button variant="outline" size="sm" onClick={() => setAsked(m)} aria-label={`Delete meter ${m.slug}`}>
                      Delete
                    </Button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableContainer>
      <p className="sr-only" aria-live="polite">
        {announcement}
      </p>
      <ConfirmDialog
        open={asked !== null}
        title={<>Delete meter {asked?.slug}?</>}
        description={
          <>
            It leaves this list and its slug <code>{asked?.slug}</code> is free for a new meter (which counts the stored events from the
            start). The events themselves stay; the API still reads the deleted meter by its id.
          </>
        }
        confirmLabel="Delete meter"
        pending={remove.isPending}
        error={remove.error ? toIngestClientError(remove.error).message : undefined}
        onConfirm={() => void confirm()}
        onCancel={close}
      />
    </>
  );
}

function Backfill({ backfill, slug }: { backfill: MeterView["backfill"]; slug: string }) {
  if (backfill.done) return <span className="text-muted-foreground">up to date</span>;
  const percent = Math.floor(backfill.progress * 100);
  return (
    <span className="flex items-center gap-2">
      <span
        role="progressbar"
        aria-label={`Backfill of ${slug}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        className="block h-1.5 w-16 overflow-hidden rounded-full bg-muted"
      >
        <span className="block h-full bg-primary transition-[width]" style={{ width: `${percent}%` }} />
      </span>
      <span className="text-xs tabular-nums text-muted-foreground">counting past events, {percent}%</span>
    </span>
  );
}
