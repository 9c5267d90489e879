"use client";
// "Create a key": scope (write or read), the source (a write key's only source; a read key's
// optional one) and a label. Checked with the server's schema (src/lib/key-form.ts) when
// submitted, then as the person corrects it; focus goes to the first field at fault.
import { useRef, useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { RadioGroup, RadioOption } from "@/components/ui/radio-group";
import { toIngestClientError } from "@/lib/ingest-client-error";
import { checkKeyForm, emptyKeyForm, type KeyFormValues } from "@/lib/key-form";
import { apiKeyScopeSchema, type CreatedKeyView } from "@/lib/keys-schema";
import { trpc } from "@/lib/trpc/react";

const scopes = {
  write: { label: "Write key", hint: "sends events for one source (POST /ingest, /ingest/batch)" },
  read: { label: "Read key", hint: "reads aggregates and events, of every source or of one" },
} as const;

export function CreateKeyForm({ onCreated }: { onCreated: (created: CreatedKeyView) => void }) {
  const utils = trpc.useUtils();
  const create = trpc.keys.create.useMutation();
  const [values, setValues] = useState<KeyFormValues>(emptyKeyForm);
  const [checked, setChecked] = useState(false);
  const sourceRef = useRef<HTMLInputElement>(null);
  const labelRef = useRef<HTMLInputElement>(null);
  const result = checkKeyForm(values);
  const errors = checked ? (result.errors ?? {}) : {};
  const serverError = create.error ? toIngestClientError(create.error).message : undefined;

  const set = (change: Partial<KeyFormValues>) => {
    setValues((v) => ({ ...v, ...change }));
    create.reset();
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setChecked(true);
    if (!result.input) {
      (result.errors.source ? sourceRef : labelRef).current?.focus();
      return;
    }
    try {
      const created = await create.mutateAsync(result.input);
      // The key's text must not linger in the mutation's state once it has been handed over.
      create.reset();
      setValues(emptyKeyForm);
      setChecked(false);
      onCreated(created);
      await utils.keys.list.invalidate();
    } catch {
      // create.error holds it; it is shown below the form.
    }
  };

  return (
    <form className="grid gap-4" onSubmit={(e) => void onSubmit(e)} noValidate aria-label="Create a key">
      <div className="grid gap-2">
        <span id="scope-label" className="text-sm font-medium">
          Scope
        </span>
        <RadioGroup
          aria-labelledby="scope-label"
          value={values.scope}
          onValueChange={(v) => {
            const scope = apiKeyScopeSchema.safeParse(v);
            if (scope.success) set({ scope: scope.data });
          }}
          className="sm:grid-cols-2"
        >
          {apiKeyScopeSchema.options.map((s) => (
            <RadioOption key={s} id={`scope-${s}`} value={s} label={scopes[s].label} hint={scopes[s].hint} />
          ))}
        </RadioGroup>
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field
          id="key-source"
          label={values.scope === "write" ? "Source" : "Source (optional)"}
          hint={values.scope === "write" ? "The only source this key may write" : "Leave empty to read every source"}
          error={errors.source}
        >
          <Input
            ref={sourceRef}
            value={values.source}
            onChange={(e) => set({ source: e.target.value })}
            autoComplete="off"
            required={values.scope === "write"}
          />
        </Field>
        <Field id="key-label" label="Label (optional)" hint="Who uses it, e.g. checkout-service" error={errors.label}>
          <Input ref={labelRef} value={values.label} onChange={(e) => set({ label: e.target.value })} autoComplete="off" />
        </Field>
      </div>
      {serverError && (
        <p role="alert" className="text-sm font-medium text-danger">
          The key was not created: {serverError}
        </p>
      )}
      <Button type="submit" className="justify-self-start" disabled={create.isPending}>
        {create.isPending ? "Creating…" : `Create ${values.scope} key`}
      </Button>
    </form>
  );
}
