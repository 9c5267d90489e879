"use client";
// "Simulate DB failure": where the server should fail on purpose and for how many
// attempts. The retries that follow are the point: they show the client recovering.
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { RadioGroup, RadioOption } from "@/components/ui/radio-group";
import { Switch } from "@/components/ui/switch";
import { failurePointSchema, type FailurePoint } from "@/lib/ingest-schema";
import { defaultBackoffPolicy } from "@/lib/retry";

export interface SimulationState {
  enabled: boolean;
  point: FailurePoint;
  failures: number;
}

const options: Record<FailurePoint, { label: string; hint: string }> = {
  "before-capture": { label: "Before capture", hint: "nothing is stored; the retry stores and counts it" },
  "after-capture": { label: "After capture", hint: "raw event kept as received; the recovery worker finishes it" },
  "after-commit": { label: "After commit (lost acknowledgement)", hint: "counted, but the answer is lost; the retry is deduplicated" },
};

/** How many attempts the form lets a person make fail on purpose. */
export const maxSimulatedFailures = 7;

export function SimulationSettings({ value, onChange }: { value: SimulationState; onChange: (v: SimulationState) => void }) {
  return (
    <fieldset className="grid gap-4 rounded-lg border border-border p-4">
      <legend className="px-1 text-sm font-semibold">Failure simulation</legend>
      <div className="flex items-center gap-3">
        <Switch id="simulate" checked={value.enabled} onCheckedChange={(enabled) => onChange({ ...value, enabled })} aria-describedby="simulate-hint" />
        <Label htmlFor="simulate">Simulate DB failure</Label>
      </div>
      <p id="simulate-hint" className="-mt-2 text-xs text-muted-foreground">
        The server fails on purpose on the first attempts; the console retries with exponential backoff and full jitter until the server
        answers (waits capped at {defaultBackoffPolicy.capMs / 1000} s; you can stop it), re-sending the same idempotency key.
      </p>
      {value.enabled && (
        <div className="grid gap-4 sm:grid-cols-[1fr_auto]">
          <div className="grid gap-2">
            <span id="failure-point-label" className="text-sm font-medium">
              Failure point
            </span>
            <RadioGroup
              aria-labelledby="failure-point-label"
              value={value.point}
              onValueChange={(v) => {
                const point = failurePointSchema.safeParse(v);
                if (point.success) onChange({ ...value, point: point.data });
              }}
            >
              {failurePointSchema.options.map((p) => (
                <RadioOption key={p} id={`point-${p}`} value={p} label={options[p].label} hint={options[p].hint} />
              ))}
            </RadioGroup>
          </div>
          <div className="grid content-start gap-1.5">
            <Label htmlFor="failures">Failing attempts</Label>
            <Input
              id="failures"
              type="number"
              inputMode="numeric"
              min={1}
              max={maxSimulatedFailures}
              value={value.failures}
              onChange={(e) => {
                const n = Math.round(Number(e.target.value));
                if (Number.isFinite(n)) onChange({ ...value, failures: Math.min(maxSimulatedFailures, Math.max(1, n)) });
              }}
              className="w-24"
            />
          </div>
        </div>
      )}
    </fieldset>
  );
}
