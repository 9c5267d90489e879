"use client";
// The Submit page's interactive part: compose an event (form or raw JSON), optionally ask
// for simulated failures (where the server allows them), send it with visible retries, and
// send it again to watch it be deduplicated.
import { useId, useMemo, useRef, useState, type FormEvent } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Label } from "@/components/ui/label";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { Textarea } from "@/components/ui/textarea";
import type { SimulationSetting } from "@/lib/console-settings-schema";
import { checkRawJson, formToEnvelope, formToRawJson, validateForm, type EventFormValues } from "@/lib/event-form";
import { toIngestClientError } from "@/lib/ingest-client-error";
import { trpc } from "@/lib/trpc/react";
import { AttemptTimeline } from "./attempt-timeline";
import { EventFormFields } from "./event-form-fields";
import { SimulationSettings, simulationAllowed, type SimulationState } from "./simulation-settings";
import { useIngestSubmission, type Simulation, type SubmissionRun } from "./use-ingest-submission";

const initialValues: EventFormValues = {
  source: "demo-client",
  metric: "latency_ms",
  value: "42",
  timestamp: "",
  eventId: "",
  attributes: [{ id: "row-0", key: "region", value: "eu-west" }],
};

type Mode = "form" | "json";

/** The server's settings change only when it restarts: asking once a minute is plenty. */
const settingsStaleMs = 60_000;

export function SubmitPanel() {
  const [mode, setMode] = useState<Mode>("form");
  const [values, setValues] = useState(initialValues);
  const [rawText, setRawText] = useState(() => formToRawJson(initialValues));
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [triedSubmit, setTriedSubmit] = useState(false);
  const [simulation, setSimulation] = useState<SimulationState>({ enabled: false, point: "after-commit", failures: 2 });
  const rowIds = useRef(1);
  const rawId = useId();
  const { runs, running, submit, sendAgain, stop } = useIngestSubmission();
  const settings = trpc.console.settings.useQuery(undefined, { staleTime: settingsStaleMs });
  // Unknown until the server answers; if it cannot be asked, simulation is not offered.
  const simulationSetting: SimulationSetting | undefined = settings.data
    ? settings.data.simulation
    : settings.error
      ? { enabled: false, reason: `Could not ask the server whether it allows failure simulation: ${toIngestClientError(settings.error).message}` }
      : undefined;

  const formErrors = useMemo(() => validateForm(values), [values]);
  const visibleErrors = Object.fromEntries(Object.entries(formErrors).filter(([k]) => triedSubmit || touched.has(k)));
  const raw = useMemo(() => checkRawJson(rawText), [rawText]);
  const canSend = mode === "form" ? Object.keys(formErrors).length === 0 : raw.blocking.length === 0;
  const activeSimulation: Simulation | null =
    simulationAllowed(simulationSetting) && simulation.enabled ? { point: simulation.point, failures: simulation.failures } : null;

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setTriedSubmit(true);
    if (running || !canSend) return;
    const envelope = mode === "form" ? formToEnvelope(values) : raw.envelope;
    if (envelope) void submit(envelope, activeSimulation);
  };

  const [latest, ...earlier] = runs;
  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
      <Card>
        <CardHeader>
          <CardTitle>Event</CardTitle>
          <CardDescription>Checked with the same schemas as the server before it is sent.</CardDescription>
        </CardHeader>
        <CardContent>
          <form onSubmit={onSubmit} noValidate className="grid gap-5" aria-label="Submit an event">
            <Tabs
              value={mode}
              onValueChange={(m) => {
                // Entering raw mode starts from what the form holds, so nothing typed is lost.
                if (m === "json" && mode === "form") setRawText(formToRawJson(values));
                setMode(m === "json" ? "json" : "form");
              }}
            >
              <TabsList aria-label="Input mode">
                <TabsTrigger value="form">Form</TabsTrigger>
                <TabsTrigger value="json">Raw JSON</TabsTrigger>
              </TabsList>
              <TabsContent value="form">
                <EventFormFields
                  values={values}
                  errors={visibleErrors}
                  onChange={setValues}
                  onTouch={(f) => setTouched((t) => (t.has(f) ? t : new Set(t).add(f)))}
                  newRowId={() => `row-${rowIds.current++}`}
                />
              </TabsContent>
              <TabsContent value="json" className="grid gap-2">
                <Label htmlFor={rawId}>Request body</Label>
                <Textarea
                  id={rawId}
                  value={rawText}
                  onChange={(e) => setRawText(e.target.value)}
                  spellCheck={false}
                  rows={12}
                  aria-invalid={raw.blocking.length > 0 ? true : undefined}
                  aria-describedby={`${rawId}-problems`}
                />
                <div id={`${rawId}-problems`} className="grid gap-1 text-xs">
                  {raw.blocking.map((m) => (
                    <p key={m} className="font-medium text-danger">
                      {m}
                    </p>
                  ))}
                  {raw.warnings.map((m) => (
                    <p key={m} className="font-medium text-warning">
                      {m} — the server will keep this event as rejected (422).
                    </p>
                  ))}
                  {raw.blocking.length === 0 && raw.warnings.length === 0 && <p className="text-muted-foreground">{"{ source, payload, idempotencyKey? }"} — valid.</p>}
                </div>
              </TabsContent>
            </Tabs>

            <SimulationSettings value={simulation} onChange={setSimulation} setting={simulationSetting} />

            <div className="flex flex-wrap items-center gap-3">
              <Button type="submit" disabled={running || (triedSubmit && !canSend)}>
                {running ? "Sending…" : "Submit event"}
              </Button>
              <Button variant="outline" disabled={running || !latest} onClick={() => sendAgain(activeSimulation)}>
                Send again
              </Button>
              {running && !latest?.stopReason && (
                <Button variant="outline" onClick={stop}>
                  Stop retrying
                </Button>
              )}
              {running && (
                <p className="basis-full text-xs text-muted-foreground" data-testid="retry-note">
                  {latest?.stopReason
                    ? "Retrying has stopped; waiting for the answer to the attempt already sent."
                    : "Retries until the server answers. Leaving this page stops retrying."}
                </p>
              )}
              {triedSubmit && !canSend && (
                <p role="alert" className="text-sm text-danger">
                  Fix the highlighted fields first.
                </p>
              )}
            </div>
          </form>
        </CardContent>
      </Card>

      <Card aria-labelledby="attempts-title">
        <CardHeader>
          <CardTitle id="attempts-title">Attempts</CardTitle>
          <CardDescription>Every try of the latest submission, and how it ended.</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          {latest ? (
            <>
              <RunHeader run={latest} />
              <AttemptTimeline key={latest.id} run={latest} />
            </>
          ) : (
            <p className="text-sm text-muted-foreground">Nothing sent yet. Submit an event to see each attempt here.</p>
          )}
          {earlier.length > 0 && (
            <div className="grid gap-1 border-t border-border pt-3">
              <h3 className="text-sm font-medium">Earlier submissions</h3>
              <ul className="grid gap-1 text-sm text-muted-foreground">
                {earlier.map((r) => (
                  <li key={r.id} className="flex flex-wrap gap-2">
                    <span>#{r.id}</span>
                    <span className="font-medium text-foreground">{r.status}</span>
                    <span>
                      after {r.entries.length} attempt{r.entries.length === 1 ? "" : "s"}
                    </span>
                    <code className="truncate text-xs">{r.idempotencyKey}</code>
                  </li>
                ))}
              </ul>
            </div>
          )}
        </CardContent>
      </Card>
    </div>
  );
}

function RunHeader({ run }: { run: SubmissionRun }) {
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
      <dt className="text-muted-foreground">Submission</dt>
      <dd>
        #{run.id}{" "}
        {run.simulation && (
          <Badge tone="warning">
            simulating {run.simulation.point} × {run.simulation.failures}
          </Badge>
        )}
      </dd>
      <dt className="text-muted-foreground">Idempotency key</dt>
      <dd>
        <code className="break-all text-xs" data-testid="idempotency-key">
          {run.idempotencyKey}
        </code>
      </dd>
      <dt className="text-muted-foreground">Event</dt>
      <dd className="truncate">
        <code className="text-xs">
          {run.envelope.source} · {JSON.stringify(run.envelope.payload)}
        </code>
      </dd>
    </dl>
  );
}
