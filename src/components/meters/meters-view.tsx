"use client";
// The Meters page: OpenMeter-compatible meters over the CloudEvents this service counts. Create
// one (the operator), see every meter with its backfill's progress while it counts past events,
// delete one, and for the selected meter its values over a range, per window in a time zone,
// per subject and group (meter-query-panel.tsx). The list refreshes every few seconds, every
// second while a backfill runs. A skeleton until the list arrives; a failed refresh keeps the
// list on screen and says so.
import { useState } from "react";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { LoadError } from "@/components/ui/load-error";
import { LoadingBlock } from "@/components/ui/skeleton";
import { toIngestClientError } from "@/lib/ingest-client-error";
import { trpc } from "@/lib/trpc/react";
import { CreateMeterForm } from "./create-meter-form";
import { MeterQueryPanel } from "./meter-query-panel";
import { MetersTable, type MeterView } from "./meters-table";

const refreshMs = 5000;
const backfillRefreshMs = 1000;

export function MetersView({ initialMeter }: { initialMeter?: string }) {
  const list = trpc.meters.list.useQuery(undefined, {
    refetchInterval: (q) => (q.state.data?.some((m) => !m.backfill.done) ? backfillRefreshMs : refreshMs),
  });
  /** The meter chosen, by id or slug (a link's `?meter=`); the first meter when none is, or it is gone. */
  const [chosen, setChosen] = useState<string | undefined>(initialMeter);
  const listError = list.error ? toIngestClientError(list.error) : undefined;
  const meters = list.data;
  const selected: MeterView | undefined = meters?.find((m) => m.id === chosen || m.slug === chosen) ?? meters?.[0];

  return (
    <div className="grid gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Meters</h1>
        <p className="mt-1 max-w-3xl text-sm text-muted-foreground">
          A meter aggregates the CloudEvents of one type (<code>POST /api/v1/events</code>): the sum, count, unique count, average, minimum,
          maximum or latest of a value in their data, per subject and per the group-by values it names. The same meters as OpenMeter&apos;s
          API at <code>/api/v1/meters</code>; a new meter also counts the events already stored.
        </p>
      </div>

      <Card>
        <CardHeader>
          <CardTitle>Create a meter</CardTitle>
          <CardDescription>
            Only the operator manages meters. The aggregation, event type and value property cannot change afterwards.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <CreateMeterForm onCreated={(m) => setChosen(m.id)} />
        </CardContent>
      </Card>

      <Card data-testid="meters-card" data-state={!meters ? "loading" : "loaded"}>
        <CardHeader>
          <CardTitle>All meters</CardTitle>
          <CardDescription>
            Choose a meter by its slug to see its values below. &ldquo;Skipped&rdquo; counts matching events it could not read a value from.
          </CardDescription>
        </CardHeader>
        <CardContent>
          {listError && !meters && <LoadError what="the meters" message={listError.message} />}
          {listError && meters && (
            <p role="alert" className="mb-4 text-sm text-danger" data-testid="refresh-error">
              Could not refresh the meters: {listError.message} — showing the list from {new Date(list.dataUpdatedAt).toLocaleTimeString()}.
            </p>
          )}
          {!meters ? (
            !listError && <LoadingBlock what="the meters" rows={3} />
          ) : meters.length === 0 ? (
            <p className="py-6 text-center text-sm text-muted-foreground" data-testid="no-meters">
              No meters yet: create one above.
            </p>
          ) : (
            <MetersTable
              meters={meters}
              selected={selected?.id}
              onSelect={setChosen}
              onDeleted={(m) => m.id === selected?.id && setChosen(undefined)}
            />
          )}
        </CardContent>
      </Card>

      {/* A new panel per meter: its choices (group-by keys above all) are that meter's. */}
      {selected && <MeterQueryPanel key={selected.id} meter={selected} />}
    </div>
  );
}
