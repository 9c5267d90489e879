// Normalization: turns a payload into the event we count, or says exactly why it cannot
// be counted. Pure; the same payload always yields the same event.
// Names (`source`, `metric`) are Unicode-normalized to NFC, so the same text typed as
// composed or decomposed characters is one group and one dedup key; attributes are kept
// verbatim. A number the payload holds that a float cannot represent exactly (from the
// request body, see json-body.ts) or that is not finite makes the event uncountable.
import { eventPayloadSchema } from "../../lib/ingest-schema";
import { normalizeName } from "../../lib/names";
import { AppError } from "../errors";
import type { JsonValue } from "./canonical-json";
import { UnsafeNumber } from "./unsafe-number";
import { fieldAt, firstIssue } from "../validation-issue";

export interface NormalizedEvent {
  source: string;
  metric: string;
  value: number;
  /** ISO-8601 UTC with milliseconds, or null when the client sent no timestamp. */
  timestamp: string | null;
  /** Every other payload field, verbatim (eventId excluded: it names the event, it is not content). */
  attributes: Record<string, JsonValue>;
  /** payload.eventId, when present. */
  eventId: string | null;
  /** Whom the event is about, for meters (read-event.ts decides it by format); null when none. */
  subject: string | null;
  /** A CloudEvent's data, where meters read; null for every other event (meters read its payload). */
  data: Record<string, JsonValue> | null;
}

/** Throws AppError INVALID_EVENT naming the payload field at fault. */
export function normalizeEvent(source: string, payload: unknown): NormalizedEvent {
  const bad = firstUnrepresentableNumber(payload, []);
  if (bad) {
    const field = fieldAt(bad.path, "payload");
    throw new AppError("INVALID_EVENT", `${field}: ${bad.why}`, { field });
  }
  const parsed = eventPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    const { field, issue } = firstIssue(parsed.error, "payload");
    throw new AppError("INVALID_EVENT", describeIssue(field, issue, valueAt(payload, issue?.path ?? [])), { field });
  }
  const { metric, value, timestamp, eventId, ...attributes } = parsed.data;
  return {
    source: normalizeName(source),
    metric: normalizeName(metric),
    value: Object.is(value, -0) ? 0 : value,
    timestamp: timestamp === undefined ? null : normalizeTimestamp(timestamp),
    attributes: attributes as Record<string, JsonValue>,
    eventId: eventId ?? null,
    subject: null,
    data: null,
  };
}


/** The part of `value` a float cannot represent, with why; null when every number is fine. */
function firstUnrepresentableNumber(value: unknown, path: (string | number)[]): { path: (string | number)[]; why: string } | null {
  const found = unrepresentable(value);
  return found ? { path: [...path, ...found.reversedPath.reverse()], why: found.why } : null;
}

// Its path is built on the way back up, only when something is found: no array per member walked.
function unrepresentable(value: unknown): { reversedPath: (string | number)[]; why: string } | null {
  if (value instanceof UnsafeNumber) return { reversedPath: [], why: value.describe() };
  if (typeof value === "number") return Number.isFinite(value) ? null : { reversedPath: [], why: "the number is beyond the range of a 64-bit float (±1.8e308)" };
  if (typeof value !== "object" || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unrepresentable(value[i]);
      if (found) return found.reversedPath.push(i), found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    const found = unrepresentable((value as Record<string, unknown>)[key]);
    if (found) return found.reversedPath.push(key), found;
  }
  return null;
}

function valueAt(payload: unknown, path: readonly PropertyKey[]): { present: boolean; value: unknown } {
  let v: unknown = payload;
  for (const key of path) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, key)) return { present: false, value: undefined };
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return { present: true, value: v };
}

const typeOf = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `a ${typeof v}`);

function describeIssue(field: string, issue: { code: string; message: string } | undefined, at: { present: boolean; value: unknown }): string {
  if (!issue) return `${field}: invalid`;
  if (issue.code === "invalid_type" && !at.present) return `${field} is required`;
  // zod's own type message says what was expected; say what was sent too.
  if (issue.code === "invalid_type" || (issue.code === "invalid_union" && typeof at.value !== "string" && typeof at.value !== "number")) {
    return `${field}: ${issue.message}, got ${typeOf(at.value)}`;
  }
  return `${field}: ${issue.message}`;
}

function normalizeTimestamp(t: string | number): string {
  const date = new Date(t);
  if (Number.isNaN(date.getTime())) {
    throw new AppError("INVALID_EVENT", "payload.timestamp: not a valid date", { field: "payload.timestamp" });
  }
  return date.toISOString();
}
