"use client";
// "Create a meter" (the operator): slug, name, description, aggregation, the CloudEvents type it
// counts, the JSONPath of the value (not for COUNT), named group-by JSONPaths and the time from
// which events count. The server judges the meter (src/lib/meters-schema.ts, OpenMeter's rules):
// its answer names the field at fault, shown under that field with the server's own message, and
// focus goes there. The form only refuses what it could not send at all: two group-by rows with
// one name (an object cannot hold both).
import { useRef, useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input, fieldClasses } from "@/components/ui/input";
import { toIngestClientError } from "@/lib/ingest-client-error";
import { METER_AGGREGATIONS, type MeterAggregation, type MeterCreateInput } from "@/lib/meters-schema";
import { trpc } from "@/lib/trpc/react";
import { cn } from "@/lib/utils";

interface GroupRow {
  id: string;
  key: string;
  path: string;
}

interface MeterFormValues {
  slug: string;
  name: string;
  description: string;
  aggregation: MeterAggregation;
  eventType: string;
  valueProperty: string;
  eventFrom: string;
  groupBy: GroupRow[];
}

type FormField = "slug" | "name" | "description" | "aggregation" | "eventType" | "valueProperty" | "eventFrom";
const formFields: readonly FormField[] = ["slug", "name", "description", "aggregation", "eventType", "valueProperty", "eventFrom"];

const emptyForm = (): MeterFormValues => ({
  slug: "",
  name: "",
  description: "",
  aggregation: "SUM",
  eventType: "",
  valueProperty: "",
  eventFrom: "",
  groupBy: [{ id: "group-0", key: "", path: "" }],
});

const aggregationHint: Record<MeterAggregation, string> = {
  SUM: "adds up the value",
  COUNT: "counts the events (no value property)",
  UNIQUE_COUNT: "counts distinct values",
  AVG: "averages the value",
  MIN: "the smallest value",
  MAX: "the largest value",
  LATEST: "the value of the latest event",
};

/** The create body: empty optional fields left out, as the API expects (it refuses "" for most). */
function toInput(v: MeterFormValues): MeterCreateInput {
  const opt = (s: string) => (s.trim() === "" ? undefined : s);
  const rows = v.groupBy.filter((r) => r.key.trim() !== "" || r.path.trim() !== "");
  return {
    slug: v.slug.trim(),
    name: opt(v.name),
    description: opt(v.description),
    aggregation: v.aggregation,
    eventType: v.eventType,
    valueProperty: v.aggregation === "COUNT" ? undefined : opt(v.valueProperty.trim()),
    eventFrom: opt(v.eventFrom.trim()),
    groupBy: rows.length > 0 ? Object.fromEntries(rows.map((r) => [r.key.trim(), r.path.trim()])) : undefined,
  };
}

/** Where a server error belongs: a field of the form, or the group-by row of a key. */
interface FieldError {
  field?: FormField;
  groupKey?: string;
  message: string;
}

/** The server's error as the form shows it: its field (`valueProperty`, `groupBy.model`) and its message without the field's name in front. */
function placeError(field: string | undefined, message: string): FieldError {
  const text = field && message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
  if (!field) return { message: text };
  const [head, ...rest] = field.split(".");
  if (head === "groupBy") return { groupKey: rest.join("."), message: text };
  return formFields.includes(head as FormField) ? { field: head as FormField, message: text } : { message: text };
}

export function CreateMeterForm({ onCreated }: { onCreated: (meter: { id: string; slug: string }) => void }) {
  const utils = trpc.useUtils();
  const create = trpc.meters.create.useMutation();
  const [values, setValues] = useState<MeterFormValues>(emptyForm);
  const [duplicateKey, setDuplicateKey] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const rowIds = useRef(1);
  const refs = useRef(new Map<string, HTMLInputElement | HTMLSelectElement | null>());
  const bind = (name: string) => (el: HTMLInputElement | HTMLSelectElement | null) => {
    refs.current.set(name, el);
  };

  const serverError = create.error ? toIngestClientError(create.error) : undefined;
  const placed = serverError ? placeError(serverError.field, serverError.message) : undefined;
  const errorOf = (f: FormField) => (placed?.field === f ? placed.message : undefined);
  const groupRowAtFault = placed?.groupKey !== undefined ? values.groupBy.find((r) => r.key.trim() === placed.groupKey) : undefined;

  const set = (change: Partial<MeterFormValues>) => {
    setValues((v) => ({ ...v, ...change }));
    setDuplicateKey(null);
    create.reset();
  };
  const setRow = (id: string, change: Partial<GroupRow>) =>
    set({ groupBy: values.groupBy.map((r) => (r.id === id ? { ...r, ...change } : r)) });

  const focusFault = (e: FieldError) => {
    const row = e.groupKey !== undefined ? values.groupBy.find((r) => r.key.trim() === e.groupKey) : undefined;
    const target = e.field ? refs.current.get(e.field) : row ? refs.current.get(`group-${row.id}-path`) : undefined;
    target?.focus();
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const keys = values.groupBy.map((r) => r.key.trim()).filter((k) => k !== "");
    const repeated = keys.find((k, i) => keys.indexOf(k) !== i);
    if (repeated !== undefined) {
      setDuplicateKey(repeated);
      return;
    }
    try {
      const meter = await create.mutateAsync(toInput(values));
      create.reset();
      setValues(emptyForm());
      setAnnouncement(`Meter ${meter.slug} created.`);
      // Listed first, then chosen: the page shows it at once, not the first meter until the list has it.
      await utils.meters.list.invalidate();
      onCreated(meter);
    } catch (err) {
      // create.error holds it; it is shown at its field and below the form.
      const { field, message } = toIngestClientError(err);
      // After React has drawn the error: the field then says why it is invalid.
      requestAnimationFrame(() => focusFault(placeError(field, message)));
    }
  };

  const isCount = values.aggregation === "COUNT";
  return (
    <form className="grid gap-4" onSubmit={(e) => void onSubmit(e)} noValidate aria-label="Create a meter">
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        <Field
          id="meter-slug"
          label="Slug"
          hint="Lowercase words joined by underscores, e.g. tokens_total"
          error={errorOf("slug")}
          className="content-start"
        >
          <Input ref={bind("slug")} value={values.slug} onChange={(e) => set({ slug: e.target.value })} autoComplete="off" required />
        </Field>
        <Field
          id="meter-name"
          label="Name (optional)"
          hint="Shown to people; the slug by default"
          error={errorOf("name")}
          className="content-start"
        >
          <Input ref={bind("name")} value={values.name} onChange={(e) => set({ name: e.target.value })} autoComplete="off" />
        </Field>
        <Field id="meter-description" label="Description (optional)" error={errorOf("description")} className="content-start">
          <Input
            ref={bind("description")}
            value={values.description}
            onChange={(e) => set({ description: e.target.value })}
            autoComplete="off"
          />
        </Field>
        <Field
          id="meter-aggregation"
          label="Aggregation"
          hint={aggregationHint[values.aggregation]}
          error={errorOf("aggregation")}
          className="content-start"
        >
          <select
            ref={bind("aggregation")}
            value={values.aggregation}
            onChange={(e) => {
              const aggregation = METER_AGGREGATIONS.find((a) => a === e.target.value);
              if (aggregation) set({ aggregation });
            }}
            className={cn(fieldClasses, "h-9 py-1")}
          >
            {METER_AGGREGATIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </Field>
        <Field
          id="meter-event-type"
          label="Event type"
          hint="The CloudEvents type it counts, e.g. prompt"
          error={errorOf("eventType")}
          className="content-start"
        >
          <Input
            ref={bind("eventType")}
            value={values.eventType}
            onChange={(e) => set({ eventType: e.target.value })}
            autoComplete="off"
            required
          />
        </Field>
        <Field
          id="meter-value-property"
          label="Value property"
          hint={isCount ? "COUNT counts events: no value" : "JSONPath to the value in the event's data, e.g. $.tokens"}
          error={errorOf("valueProperty")}
          className="content-start"
        >
          <Input
            ref={bind("valueProperty")}
            value={isCount ? "" : values.valueProperty}
            onChange={(e) => set({ valueProperty: e.target.value })}
            autoComplete="off"
            disabled={isCount}
            placeholder={isCount ? "" : "$.tokens"}
            spellCheck={false}
          />
        </Field>
        <Field
          id="meter-event-from"
          label="Count events from (optional)"
          hint="RFC 3339, e.g. 2025-01-01T00:00:00Z; all events by default"
          error={errorOf("eventFrom")}
          className="content-start"
        >
          <Input
            ref={bind("eventFrom")}
            value={values.eventFrom}
            onChange={(e) => set({ eventFrom: e.target.value })}
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
      </div>

      <fieldset className="grid gap-2">
        <legend className="mb-1 text-sm font-medium">Group by (optional)</legend>
        <p className="text-xs text-muted-foreground" id="meter-group-hint">
          A name and the JSONPath of its value in the event&apos;s data, e.g. model and $.model: queries can then split and filter by it.
        </p>
        {values.groupBy.map((row, i) => {
          const rowError =
            groupRowAtFault?.id === row.id
              ? placed?.message
              : duplicateKey !== null && row.key.trim() === duplicateKey
                ? `group-by name ${duplicateKey} is given twice`
                : undefined;
          const errorId = `group-${row.id}-error`;
          return (
            <div key={row.id} className="grid grid-cols-[1fr_1fr_auto] items-start gap-2" data-testid="group-by-row">
              <Input
                ref={bind(`group-${row.id}-key`)}
                aria-label={`Group-by ${i + 1} name`}
                placeholder="name, e.g. model"
                value={row.key}
                onChange={(e) => setRow(row.id, { key: e.target.value })}
                aria-invalid={rowError ? true : undefined}
                aria-describedby={rowError ? errorId : "meter-group-hint"}
                autoComplete="off"
              />
              <Input
                ref={bind(`group-${row.id}-path`)}
                aria-label={`Group-by ${i + 1} JSONPath`}
                placeholder="$.model"
                value={row.path}
                onChange={(e) => setRow(row.id, { path: e.target.value })}
                aria-invalid={rowError ? true : undefined}
                aria-describedby={rowError ? errorId : "meter-group-hint"}
                autoComplete="off"
                spellCheck={false}
              />
              <Button
                variant="ghost"
                size="icon"
                aria-label={`Remove group-by ${i + 1}`}
                onClick={() => set({ groupBy: values.groupBy.filter((r) => r.id !== row.id) })}
              >
                ✕
              </Button>
              {rowError && (
                <p id={errorId} className="col-span-3 text-xs font-medium text-danger">
                  {rowError}
                </p>
              )}
            </div>
          );
        })}
        <div>
          <Button
            variant="outline"
            size="sm"
            onClick={() => set({ groupBy: [...values.groupBy, { id: `group-${rowIds.current++}`, key: "", path: "" }] })}
          >
            + Add group-by
          </Button>
        </div>
      </fieldset>

      {serverError && (
        <p
          role="alert"
          className="text-sm font-medium text-danger"
          data-testid="create-meter-error"
          data-code={serverError.code}
          data-field={serverError.field ?? ""}
        >
          The meter was not created: {placed?.message}
        </p>
      )}
      <p className="sr-only" aria-live="polite">
        {announcement}
      </p>
      <Button type="submit" className="justify-self-start" disabled={create.isPending}>
        {create.isPending ? "Creating…" : "Create meter"}
      </Button>
    </form>
  );
}
