// Normalization: turns a payload into the event we count, or says exactly why it cannot
// be counted. Pure; the same payload always yields the same event.
import { eventPayloadSchema } from "../../lib/ingest-schema";
import { AppError } from "../errors";
import type { JsonValue } from "./canonical-json";

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
}

/** Throws AppError INVALID_EVENT naming the payload field at fault. */
export function normalizeEvent(source: string, payload: unknown): NormalizedEvent {
  const parsed = eventPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? `payload.${issue.path.join(".")}` : "payload";
    const what = issue?.code === "invalid_type" && issue.input === undefined ? `${path} is required` : `${path}: ${issue?.message ?? "invalid"}`;
    throw new AppError("INVALID_EVENT", what, { field: path });
  }
  const { metric, value, timestamp, eventId, ...attributes } = parsed.data;
  return {
    source: source.trim(),
    metric,
    value: Object.is(value, -0) ? 0 : value,
    timestamp: timestamp === undefined ? null : normalizeTimestamp(timestamp),
    attributes: attributes as Record<string, JsonValue>,
    eventId: eventId ?? null,
  };
}

function normalizeTimestamp(t: string | number): string {
  const date = new Date(t);
  if (Number.isNaN(date.getTime())) {
    throw new AppError("INVALID_EVENT", "payload.timestamp: not a valid date", { field: "payload.timestamp" });
  }
  return date.toISOString();
}
