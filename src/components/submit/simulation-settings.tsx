"use client";
// "Simulate DB failure": where the server should fail on purpose and for how many
// attempts. The retries that follow are the point: they show the client recovering.
// Offered only where the server allows it (tRPC `console.settings`): elsewhere the switch is
// disabled with the server's one-line reason, so no request ever asks for a failure the
// server would refuse with 403. Disabled, too, until the server has said.
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { RadioGroup, RadioOption } from "@/components/ui/radio-group";
import { Skeleton } from "@/components/ui/skeleton";
import { Switch } from "@/components/ui/switch";
import type { SimulationSetting } from "@/lib/console-settings-schema";
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

/** Whether simulation may be asked for here: the server's answer, or undefined until it comes. */
export function simulationAllowed(setting: SimulationSetting | undefined): boolean {
  return setting?.enabled === true;
}

interface Props {
  value: SimulationState;
  onChange: (v: SimulationState) => void;
  /** What the server allows (tRPC `console.settings`); undefined while it is being asked. */
  setting: SimulationSetting | undefined;
}

export function SimulationSettings({ value, onChange, setting }: Props) {
  const allowed = simulationAllowed(setting);
  return (
    <fieldset className="grid gap-4 rounded-lg border border-border p-4" aria-busy={setting === undefined ? true : undefined}>
      <legend className="px-1 text-sm font-semibold">Failure simulation</legend>
      <div className="flex items-center gap-3">
        <Switch
          id="simulate"
          checked={allowed && value.enabled}
          disabled={!allowed}
          onCheckedChange={(enabled) => onChange({ ...value, enabled })}
          aria-describedby={setting?.enabled === false ? "simulate-off simulate-hint" : "simulate-hint"}
        />
        <Label htmlFor="simulate" className={allowed ? undefined : "text-muted-foreground"}>
          Simulate DB failure
        </Label>
      </div>
      {setting === undefined ? (
        <p role="status" className="-mt-2" data-testid="simulation-checking">
          <span className="sr-only">Asking the server whether it allows failure simulation…</span>
          <Skeleton className="h-4 w-72 max-w-full" />
        </p>
      ) : (
        !setting.enabled && (
          <p id="simulate-off" className="-mt-2 text-sm font-medium" data-testid="simulation-off">
            {setting.reason}
          </p>
        )
      )}
      <p id="simulate-hint" className="-mt-2 text-xs text-muted-foreground">
        The server fails on purpose on the first attempts; the console retries with exponential backoff and full jitter until the server
        answers (waits capped at {defaultBackoffPolicy.capMs / 1000} s; you can stop it), re-sending the same idempotency key.
      </p>
      {allowed && value.enabled && (
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
