// The submit form's model: turns what a person typed into the ingest envelope, and checks
// it with the SAME zod schemas the server uses (ingestInputSchema for the envelope,
// eventPayloadSchema for the payload), so the form can never accept what the server
// refuses, nor refuse what it accepts. Pure functions; the page only renders the result.
import { eventPayloadSchema, ingestInputSchema, type IngestInput } from "./ingest-schema";

export interface AttributeRow {
  id: string;
  key: string;
  value: string;
}

export interface EventFormValues {
  source: string;
  metric: string;
  value: string;
  timestamp: string;
  eventId: string;
  attributes: AttributeRow[];
}

export type Envelope = Pick<IngestInput, "source" | "payload" | "idempotencyKey">;

/** Field name (as the form names its inputs) → the first problem with it. */
export type FieldErrors = Partial<Record<string, string>>;

const reservedKeys = new Set(["metric", "value", "timestamp", "eventId"]);

/** Attribute values are read as JSON when they parse (42, true, {"a":1}), else as text. */
export function parseAttributeValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A numeric-looking value becomes a number; anything else is passed on for the schema to name. */
function parseNumberish(text: string): unknown {
  const t = text.trim();
  if (t === "") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

export function formToEnvelope(v: EventFormValues): Envelope {
  const payload: Record<string, unknown> = {};
  for (const row of v.attributes) {
    if (row.key.trim() !== "") payload[row.key.trim()] = parseAttributeValue(row.value);
  }
  payload.metric = v.metric;
  const value = parseNumberish(v.value);
  if (value !== undefined) payload.value = value;
  const ts = v.timestamp.trim();
  // All digits: epoch milliseconds, as the API accepts; otherwise an ISO-8601 string.
  if (ts !== "") payload.timestamp = /^\d+$/.test(ts) ? Number(ts) : ts;
  if (v.eventId.trim() !== "") payload.eventId = v.eventId.trim();
  return { source: v.source, payload };
}

/** Validation of the form, field by field; empty when the server would count the event. */
export function validateForm(v: EventFormValues): FieldErrors {
  const errors: FieldErrors = {};
  const envelope = formToEnvelope(v);
  const outer = ingestInputSchema.safeParse(envelope);
  if (!outer.success) {
    for (const issue of outer.error.issues) setOnce(errors, String(issue.path[0] ?? "source"), issue.message);
  }
  const inner = eventPayloadSchema.safeParse(envelope.payload);
  if (!inner.success) {
    for (const issue of inner.error.issues) setOnce(errors, String(issue.path[0] ?? "metric"), issue.message);
  }
  if (v.value.trim() === "") errors.value = "value is required";
  const seen = new Set<string>();
  v.attributes.forEach((row, i) => {
    const key = row.key.trim();
    if (key === "" && row.value.trim() === "") return;
    if (key === "") setOnce(errors, `attributes.${i}.key`, "attribute name must not be empty");
    else if (reservedKeys.has(key)) setOnce(errors, `attributes.${i}.key`, `"${key}" is a field of its own above`);
    else if (seen.has(key)) setOnce(errors, `attributes.${i}.key`, `"${key}" is already used`);
    seen.add(key);
  });
  return errors;
}

export interface RawJsonCheck {
  envelope?: Envelope;
  /** The server would answer 400 and store nothing: sending is pointless. */
  blocking: string[];
  /** The server would keep the event as `rejected` and answer 422: sendable, to see it happen. */
  warnings: string[];
}

/** Checks the raw-JSON mode's text: `{ "source": …, "payload": {…}, "idempotencyKey"?: … }`. */
export function checkRawJson(text: string): RawJsonCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { blocking: [`not valid JSON: ${err instanceof Error ? err.message : String(err)}`], warnings: [] };
  }
  const outer = ingestInputSchema.omit({ simulate: true }).strict().safeParse(parsed);
  if (!outer.success) return { blocking: outer.error.issues.map(describeIssue), warnings: [] };
  const inner = eventPayloadSchema.safeParse(outer.data.payload);
  // The raw text is sent as typed (trimming is the server's job), so the dedup key a person
  // sees computed matches what another client sending the same bytes would get.
  const raw = parsed as Envelope;
  return {
    envelope: { source: raw.source, payload: raw.payload, ...(raw.idempotencyKey ? { idempotencyKey: raw.idempotencyKey } : {}) },
    blocking: [],
    warnings: inner.success ? [] : inner.error.issues.map((i) => describeIssue({ ...i, path: ["payload", ...i.path] })),
  };
}

export function formToRawJson(v: EventFormValues): string {
  return JSON.stringify(formToEnvelope(v), null, 2);
}

function describeIssue(issue: { path: PropertyKey[]; message: string }): string {
  const path = issue.path.map(String).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

function setOnce(errors: FieldErrors, field: string, message: string) {
  errors[field] ??= message;
}
