"use client";
// The structured event form: source, metric, value, optional timestamp and event id, and
// extra attributes as key/value rows. Errors come from validateForm (the server's schemas).
import type { ChangeEvent } from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import type { AttributeRow, EventFormValues, FieldErrors } from "@/lib/event-form";

interface Props {
  values: EventFormValues;
  errors: FieldErrors;
  onChange: (v: EventFormValues) => void;
  /** A field the person has typed in or left: its errors are shown from now on. */
  onTouch: (field: string) => void;
  newRowId: () => string;
}

export function EventFormFields({ values, errors, onChange, onTouch, newRowId }: Props) {
  const set = (field: keyof Omit<EventFormValues, "attributes">) => ({
    value: values[field],
    // Errors appear while typing, not on blur: a message appearing on blur shifts the layout
    // under the pointer and can swallow the click on the submit button.
    onChange: (e: ChangeEvent<HTMLInputElement>) => {
      onTouch(field);
      onChange({ ...values, [field]: e.target.value });
    },
  });
  const setRow = (id: string, change: Partial<AttributeRow>) =>
    onChange({ ...values, attributes: values.attributes.map((r) => (r.id === id ? { ...r, ...change } : r)) });

  return (
    <div className="grid gap-4">
      <div className="grid gap-4 sm:grid-cols-2">
        <Field id="source" label="Source (client)" error={errors.source}>
          <Input {...set("source")} autoComplete="off" required />
        </Field>
        <Field id="metric" label="Metric" error={errors.metric}>
          <Input {...set("metric")} autoComplete="off" required />
        </Field>
        <Field id="value" label="Value" error={errors.value} hint="A number, e.g. 42 or -0.5">
          <Input {...set("value")} inputMode="decimal" autoComplete="off" required />
        </Field>
        <Field id="timestamp" label="Timestamp (optional)" error={errors.timestamp} hint="ISO-8601 with time zone, or epoch milliseconds">
          <Input {...set("timestamp")} autoComplete="off" placeholder="2026-01-31T12:00:00Z" />
        </Field>
        <Field id="eventId" label="Event id (optional)" error={errors.eventId} hint="Used as the idempotency key; a fresh key is generated otherwise" className="sm:col-span-2">
          <Input {...set("eventId")} autoComplete="off" />
        </Field>
      </div>

      <fieldset className="grid gap-2">
        <legend className="mb-1 text-sm font-medium">Attributes</legend>
        <p className="text-xs text-muted-foreground" id="attributes-hint">
          Extra fields kept with the event. Values are read as JSON when they parse (42, true, {"{\"a\":1}"}), otherwise as text.
        </p>
        {values.attributes.map((row, i) => {
          const keyError = errors[`attributes.${i}.key`];
          return (
            <div key={row.id} className="grid grid-cols-[1fr_1fr_auto] items-start gap-2" data-testid="attribute-row">
              <div className="grid gap-1">
                <Input
                  aria-label={`Attribute ${i + 1} name`}
                  placeholder="name"
                  value={row.key}
                  aria-invalid={keyError ? true : undefined}
                  aria-describedby={keyError ? `attr-${row.id}-error` : "attributes-hint"}
                  onChange={(e) => {
                    onTouch(`attributes.${i}.key`);
                    setRow(row.id, { key: e.target.value });
                  }}
                />
                {keyError && (
                  <p id={`attr-${row.id}-error`} className="text-xs font-medium text-danger">
                    {keyError}
                  </p>
                )}
              </div>
              <Input aria-label={`Attribute ${i + 1} value`} placeholder="value" value={row.value} onChange={(e) => setRow(row.id, { value: e.target.value })} />
              <Button
                variant="ghost"
                size="icon"
                aria-label={`Remove attribute ${i + 1}`}
                onClick={() => onChange({ ...values, attributes: values.attributes.filter((r) => r.id !== row.id) })}
              >
                ✕
              </Button>
            </div>
          );
        })}
        <div>
          <Button variant="outline" size="sm" onClick={() => onChange({ ...values, attributes: [...values.attributes, { id: newRowId(), key: "", value: "" }] })}>
            + Add attribute
          </Button>
        </div>
      </fieldset>
    </div>
  );
}
