"use client";
// The Submit page's CloudEvent mode: compose one CloudEvent (type, subject, id, source, time,
// data as JSON) and send it as OpenMeter's clients do, `POST /api/v1/events` with
// `Content-Type: application/cloudevents+json`, then show the server's answer: counted,
// deduplicated (an event with this source and id was already received), or refused with the
// reason from the problem's `detail` (application/problem+json). The same request a client
// sends, with the console's session: no tRPC in between.
//
// Only text that is not JSON at all blocks sending; what the server will refuse (checked with its
// own schema, src/lib/meters-schema.ts) is shown as a warning and can still be sent, to see the
// refusal as a client would.
import { motion } from "motion/react";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { z } from "zod";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import { newIdempotencyKey } from "@/lib/idempotency-key";
import { sourceSchema } from "@/lib/ingest-schema";
import { CLOUDEVENTS_CONTENT_TYPES, cloudEventSchema, problemSchema } from "@/lib/meters-schema";
import { sdkAnswerSchema, type SdkAnswer } from "@/lib/sdk-schema";

export const CLOUDEVENTS_PATH = "/api/v1/events";

interface CloudEventFormValues {
  type: string;
  subject: string;
  id: string;
  source: string;
  time: string;
  data: string;
}

const initialValues: CloudEventFormValues = {
  type: "prompt",
  subject: "customer-1",
  // Filled in the browser once it has hydrated: a key made while rendering on the server
  // would differ from the browser's.
  id: "",
  source: "console",
  time: "",
  data: JSON.stringify({ tokens: 100, model: "gpt-4" }, null, 2),
};

/** The problem an error answer carries, with the fields this service adds (code, field, retryable). */
const problemAnswerSchema = problemSchema.extend({
  code: z.string().optional(),
  field: z.string().optional(),
  retryable: z.boolean().optional(),
});
type ProblemAnswer = z.infer<typeof problemAnswerSchema>;

type Outcome = "counted" | "deduplicated" | "not_counted" | "rejected" | "failed" | "refused" | "error";

interface CloudEventRun {
  run: number;
  eventId: string;
  status: "sending" | Outcome;
  httpStatus?: number;
  answer?: SdkAnswer;
  problem?: ProblemAnswer;
  /** Why no answer could be read (no answer at all, or not the JSON expected). */
  message?: string;
  /** The answer's text, as received. */
  raw?: string;
}

/** What the form sends: empty time and data left out (the server then takes the time it receives the event). */
function toBody(v: CloudEventFormValues): { body: Record<string, unknown> | null; dataError?: string } {
  let data: unknown;
  if (v.data.trim() !== "") {
    try {
      data = JSON.parse(v.data);
    } catch (err) {
      return { body: null, dataError: `Data is not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  return {
    body: {
      specversion: "1.0",
      id: v.id,
      source: v.source,
      type: v.type,
      subject: v.subject,
      ...(v.time.trim() !== "" && { time: v.time.trim() }),
      ...(data !== undefined && { data }),
    },
  };
}

/** What the server will refuse in `body`, by its own schemas: each as "field: message". */
function warningsOf(body: Record<string, unknown>): string[] {
  const out: string[] = [];
  const event = cloudEventSchema.safeParse(body);
  if (!event.success)
    for (const issue of event.error.issues) out.push(issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message);
  const source = sourceSchema.safeParse(body.source);
  if (event.success && !source.success) out.push(`source: ${source.error.issues[0]?.message ?? "invalid"}`);
  return [...new Set(out)];
}

async function send(body: Record<string, unknown>, run: number): Promise<CloudEventRun> {
  const eventId = String(body.id);
  let res: Response;
  try {
    res = await fetch(CLOUDEVENTS_PATH, {
      method: "POST",
      headers: { "content-type": CLOUDEVENTS_CONTENT_TYPES.single, accept: "application/json, application/problem+json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (err) {
    return {
      run,
      eventId,
      status: "error",
      message: `No answer from the server (${err instanceof Error ? err.message : String(err)}). Sending again is safe: an event is counted once per source and id.`,
    };
  }
  const raw = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  if (res.ok) {
    const answer = sdkAnswerSchema.safeParse(json);
    if (!answer.success)
      return { run, eventId, status: "error", httpStatus: res.status, raw, message: "The answer is not the JSON expected" };
    const status = answer.data.results[0]?.status ?? "counted";
    return { run, eventId, status, httpStatus: res.status, answer: answer.data, raw };
  }
  const problem = problemAnswerSchema.safeParse(json);
  // 422: the event was received and kept as rejected; other 4xx: the request was refused as a whole.
  const status: Outcome =
    res.status === 422 ? "rejected" : res.status >= 400 && res.status < 500 && res.status !== 429 ? "refused" : "error";
  return {
    run,
    eventId,
    status,
    httpStatus: res.status,
    raw,
    ...(problem.success ? { problem: problem.data } : { message: `HTTP ${res.status} without a problem body` }),
  };
}

export function CloudEventPanel() {
  const [values, setValues] = useState(initialValues);
  const [runs, setRuns] = useState<CloudEventRun[]>([]);
  const [triedSubmit, setTriedSubmit] = useState(false);
  const sending = runs[0]?.status === "sending";

  useEffect(() => {
    setValues((v) => (v.id === "" ? { ...v, id: newIdempotencyKey() } : v));
  }, []);

  const { body, dataError } = useMemo(() => toBody(values), [values]);
  const warnings = useMemo(() => (body ? warningsOf(body) : []), [body]);

  const set = (field: keyof CloudEventFormValues) => ({
    value: values[field],
    onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [field]: e.target.value })),
  });

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setTriedSubmit(true);
    if (!body || sending) return;
    const run = (runs[0]?.run ?? 0) + 1;
    setRuns((rs) => [{ run, eventId: String(body.id), status: "sending" as const }, ...rs].slice(0, 10));
    const result = await send(body, run);
    setRuns((rs) => rs.map((r) => (r.run === run ? result : r)));
  };

  const [latest, ...earlier] = runs;
  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
      <Card>
        <CardHeader>
          <CardTitle>CloudEvent</CardTitle>
          <CardDescription>
            Sent to <code>POST {CLOUDEVENTS_PATH}</code> as <code>{CLOUDEVENTS_CONTENT_TYPES.single}</code>, as an OpenMeter client sends
            it. Meters count the events whose type is their event type. Source and id identify the event: sent twice, it is counted once.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <form onSubmit={(e) => void onSubmit(e)} noValidate className="grid gap-4" aria-label="Send a CloudEvent">
            <div className="grid gap-4 sm:grid-cols-2">
              <Field id="ce-type" label="Type" hint="What meters match: their event type" className="content-start">
                <Input {...set("type")} autoComplete="off" required />
              </Field>
              <Field id="ce-subject" label="Subject" hint="Whom the usage is of: a customer, a user" className="content-start">
                <Input {...set("subject")} autoComplete="off" required />
              </Field>
              <div className="grid content-start gap-1.5 sm:col-span-2">
                <Field id="ce-id" label="Id" hint="With the source, what deduplicates the event" className="content-start">
                  <Input {...set("id")} autoComplete="off" spellCheck={false} required className="font-mono text-xs" />
                </Field>
                <div>
                  <Button variant="outline" size="sm" onClick={() => setValues((v) => ({ ...v, id: newIdempotencyKey() }))}>
                    New id
                  </Button>
                </div>
              </div>
              <Field id="ce-source" label="Source" hint="Where it happened; the source it is stored under" className="content-start">
                <Input {...set("source")} autoComplete="off" required />
              </Field>
              <div className="grid content-start gap-1.5">
                <Field
                  id="ce-time"
                  label="Time (optional)"
                  hint="RFC 3339, e.g. 2025-03-10T12:00:00Z; empty: when received"
                  className="content-start"
                >
                  <Input {...set("time")} autoComplete="off" spellCheck={false} placeholder="2025-03-10T12:00:00Z" />
                </Field>
                <div>
                  <Button variant="outline" size="sm" onClick={() => setValues((v) => ({ ...v, time: new Date().toISOString() }))}>
                    Now
                  </Button>
                </div>
              </div>
              <Field
                id="ce-data"
                label="Data (JSON)"
                hint="A JSON object, where meters read their value and group-by JSONPaths; empty: no data"
                error={dataError}
                className="content-start sm:col-span-2"
              >
                <Textarea {...set("data")} rows={6} spellCheck={false} className="min-h-24" />
              </Field>
            </div>

            <div className="grid gap-1 text-xs" aria-live="polite" data-testid="cloudevent-warnings">
              {warnings.map((m) => (
                <p key={m} className="font-medium text-warning">
                  {m} — the server will refuse this event.
                </p>
              ))}
            </div>

            {body && (
              <details className="text-xs">
                <summary className="cursor-pointer text-muted-foreground">Body to send</summary>
                <pre className="mt-2 overflow-x-auto rounded-md bg-muted p-3 font-mono">{JSON.stringify(body, null, 2)}</pre>
              </details>
            )}

            <div className="flex flex-wrap items-center gap-3">
              <Button type="submit" disabled={sending || (triedSubmit && !body)}>
                {sending ? "Sending…" : "Send CloudEvent"}
              </Button>
              {triedSubmit && !body && (
                <p role="alert" className="text-sm text-danger">
                  Fix the data first: it must be JSON.
                </p>
              )}
            </div>
          </form>
        </CardContent>
      </Card>

      <Card aria-labelledby="cloudevent-answer-title">
        <CardHeader>
          <CardTitle id="cloudevent-answer-title">Answer</CardTitle>
          <CardDescription>What the server answered to the latest CloudEvent.</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          {latest ? (
            <RunResult key={latest.run} run={latest} />
          ) : (
            <p className="text-sm text-muted-foreground">Nothing sent yet. Send a CloudEvent to see the answer here.</p>
          )}
          {earlier.length > 0 && (
            <div className="grid gap-1 border-t border-border pt-3">
              <h3 className="text-sm font-medium">Earlier CloudEvents</h3>
              <ul className="grid gap-1 text-sm text-muted-foreground">
                {earlier.map((r) => (
                  <li key={r.run} className="flex flex-wrap gap-2">
                    <span>#{r.run}</span>
                    <span className="font-medium text-foreground">{outcomeStyle[r.status].title}</span>
                    <code className="truncate text-xs">{r.eventId}</code>
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

const outcomeStyle: Record<CloudEventRun["status"], { title: string; className: string }> = {
  sending: { title: "Sending…", className: "border-border bg-muted/40" },
  counted: { title: "Counted", className: "border-success/40 bg-success/10" },
  deduplicated: { title: "Deduplicated", className: "border-primary/40 bg-primary/10" },
  not_counted: { title: "Not counted", className: "border-border bg-muted/40" },
  rejected: { title: "Rejected", className: "border-danger/40 bg-danger/10" },
  failed: { title: "Failed", className: "border-danger/40 bg-danger/10" },
  refused: { title: "Refused", className: "border-danger/40 bg-danger/10" },
  error: { title: "No answer", className: "border-warning/50 bg-warning/10" },
};

function detailOf(r: CloudEventRun): string {
  const problem = r.problem
    ? `${r.problem.code ?? r.problem.title}: ${r.problem.detail}${r.problem.field ? ` (field ${r.problem.field})` : ""}`
    : undefined;
  switch (r.status) {
    case "sending":
      return `Sending event ${r.eventId}…`;
    case "counted":
      return "The event was counted.";
    case "deduplicated":
      return "The server already had an event with this source and id: it was not counted again.";
    case "not_counted":
      return "The event was captured, not counted.";
    case "rejected":
      return `${problem ?? r.message ?? "rejected"} The event is kept as rejected; a corrected one needs a new id.`;
    case "failed":
      return `${r.answer?.rejections[0]?.reason ?? "The database refused the event."}`;
    case "refused":
      return `${problem ?? r.message ?? "refused"} Nothing was stored.`;
    case "error":
      return `${problem ?? r.message ?? "no answer"}${r.problem?.retryable ? " Sending again is safe: an event is counted once per source and id." : ""}`;
  }
}

function RunResult({ run: r }: { run: CloudEventRun }) {
  const style = outcomeStyle[r.status];
  const a = r.answer;
  return (
    <motion.div
      role="status"
      initial={{ opacity: 0, scale: 0.98 }}
      animate={{ opacity: 1, scale: 1 }}
      transition={{ duration: 0.15 }}
      data-testid="cloudevent-result"
      data-run={r.status === "sending" ? undefined : r.run}
      data-result={r.status}
      data-http-status={r.httpStatus}
      className={`grid gap-2 rounded-lg border p-4 ${style.className}`}
    >
      <p className="text-lg font-semibold">
        {style.title}
        {r.httpStatus !== undefined && <span className="ml-2 text-sm font-normal text-muted-foreground">HTTP {r.httpStatus}</span>}
      </p>
      <p className="text-sm" data-testid="cloudevent-detail">
        {detailOf(r)}
      </p>
      {a && (
        <p className="text-xs tabular-nums text-muted-foreground" data-testid="cloudevent-counts">
          counted {a.counted} · deduplicated {a.deduplicated} · not counted {a.notCounted} · rejected {a.rejected} · failed {a.failed}
          {a.results[0]?.identifiedBy ? ` · identified by ${a.results[0].identifiedBy}` : ""}
        </p>
      )}
      <p className="text-xs text-muted-foreground">
        Event id <code className="break-all">{r.eventId}</code>
      </p>
      {r.raw !== undefined && (
        <details className="text-xs">
          <summary className="cursor-pointer text-muted-foreground">Answer as received</summary>
          <pre className="mt-2 overflow-x-auto rounded-md bg-background/60 p-3 font-mono">{pretty(r.raw)}</pre>
        </details>
      )}
    </motion.div>
  );
}

function pretty(raw: string): string {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}
