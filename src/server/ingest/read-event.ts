// Reading a captured payload as the event it stands for, by its format (README "Send from
// your existing SDK"). This service's own events are read as they are; an analytics SDK's
// message is mapped: a Segment `track` or a PostHog captured event is one event (event name
// → metric, the first finite number among the value properties → value, else 1; its
// `timestamp`; its `messageId`/`uuid` → the idempotency key; the other properties and the
// user ids → attributes); every other call (identify, page, …) is kept raw and not counted.
// Pure and deterministic: the request path, the group commit's fallback and the recovery
// worker all read a stored payload through here, so they agree on what it means.
import type { z } from "zod";
import { idempotencyKeySchema, timestampSchema } from "../../lib/ingest-schema";
import { nameSchema } from "../../lib/names";
import type { RawEventFormat } from "../../lib/events-schema";
import { posthogEventSchema, posthogUncountedEvents, segmentMessageSchema } from "../../lib/sdk-schema";
import { cloudEventSchema } from "../../lib/meters-schema";
import { AppError } from "../errors";
import { normalizeEvent, type NormalizedEvent } from "./normalize";
import { firstIssue } from "../validation-issue";

/** What reading depends on besides the payload (from the configuration). */
export interface ReadRules {
  /** Properties whose first finite number is an SDK event's value (SDK_VALUE_PROPERTIES). */
  valueProperties: readonly string[];
}

export type ReadPayload =
  /** A payload in this service's event shape ({ metric, value, timestamp?, eventId?, ...attributes }). */
  | { kind: "event"; payload: Record<string, unknown> }
  /** A call that is kept raw and never counted, with what it was. */
  | { kind: "not_counted"; call: string };

export type ReadEvent = { kind: "event"; event: NormalizedEvent } | { kind: "not_counted"; call: string };

/**
 * A captured payload as the event to count (normalized) or a call not to count. Throws
 * AppError INVALID_EVENT naming the field at fault: `payload.value` for this service's
 * events, the message's own field (`event`, `properties.revenue`) for an SDK's.
 */
export function readEvent(format: RawEventFormat, source: string, payload: Record<string, unknown>, rules: ReadRules): ReadEvent {
  const read = readPayload(format, payload, rules);
  if (read.kind === "not_counted") return read;
  try {
    const event = normalizeEvent(source, read.payload);
    return { kind: "event", event: { ...event, ...meteredOf(format, event.attributes) } };
  } catch (err) {
    if (!(err instanceof AppError) || format === "event") throw err;
    // The mapped event's attributes hold the message's own fields: name those.
    const unprefix = (s: string) => s.replace(/^payload\./, "");
    throw new AppError(err.code, unprefix(err.message), { field: err.field ? unprefix(err.field) : undefined });
  }
}

/** The reason stored with a call kept raw and not counted (the Events page shows it). */
export function notCountedReason(call: string): string {
  return `${call} call: captured, not counted (only track calls and captured events count)`;
}

/** Throws AppError INVALID_EVENT naming the field of the message at fault. */
export function readPayload(format: RawEventFormat, payload: Record<string, unknown>, rules: ReadRules): ReadPayload {
  if (format === "event") return { kind: "event", payload };
  if (format === "cloudevents") return readCloudEvent(payload);
  return format === "segment" ? readSegment(payload, rules) : readPosthog(payload, rules);
}

/**
 * What meters read of an event besides its metric and value (README "Meters"): its subject
 * (a CloudEvent's `subject`; `subject` in an /ingest payload; Segment/RudderStack `userId`,
 * else `anonymousId`; PostHog `distinct_id`) and, for a CloudEvent, its `data`.
 */
function meteredOf(format: RawEventFormat, attributes: Record<string, unknown>): Pick<NormalizedEvent, "subject" | "data"> {
  const text = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v : typeof v === "number" && Number.isFinite(v) ? String(v) : null);
  switch (format) {
    case "event":
      return { subject: text(attributes.subject), data: null };
    case "segment":
      return { subject: text(attributes.userId) ?? text(attributes.anonymousId), data: null };
    case "posthog":
      return { subject: text(attributes.distinctId), data: null };
    case "cloudevents": {
      const data = attributes.data;
      return { subject: text(attributes.subject), data: typeof data === "object" && data !== null ? (data as NormalizedEvent["data"]) : null };
    }
  }
}

/**
 * A CloudEvent (POST /api/v1/events) as an event: its `type` is the metric, its value 1 (meters
 * read their values from `data`), its `time` the event's time, its `id` the key that names it
 * within its `source`; every other attribute (source, subject, data, extensions) is kept.
 */
function readCloudEvent(event: Record<string, unknown>): ReadPayload {
  const parsed = cloudEventSchema.safeParse(event);
  if (!parsed.success) {
    const { field, issue } = firstIssue(parsed.error, null, "event");
    const text = issue?.message ?? "invalid";
    throw invalid(field, text.startsWith(field) ? text.slice(field.length).trim() : text);
  }
  const { specversion: _version, id, type, time, ...attributes } = parsed.data;
  const kept = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== null && v !== undefined));
  const metric = checkedName(type, "type");
  return eventOf(metric, 1, time ?? undefined, checkedId(id, "id"), kept);
}

/**
 * The key that names an event explicitly, or null (identity then comes from its content):
 * the Idempotency-Key header, else the payload's own id (`eventId`; an SDK's `messageId`,
 * PostHog's `uuid`). The one rule for every path that stores or processes an event.
 */
export function explicitKeyOf(format: RawEventFormat, payload: Record<string, unknown>, headerKey?: string | null): string | null {
  if (headerKey) return headerKey;
  const own = payload[ownKeyField[format]];
  return typeof own === "string" && own.trim() !== "" ? own.trim() : null;
}

/** The payload field that names an event of each format (a CloudEvent's id is scoped by its source: dedup-key.ts). */
const ownKeyField: Record<RawEventFormat, string> = { event: "eventId", segment: "messageId", posthog: "uuid", cloudevents: "id" };

function readSegment(message: Record<string, unknown>, rules: ReadRules): ReadPayload {
  const m = parseMessage(segmentMessageSchema, message);
  if (m.type !== "track") return { kind: "not_counted", call: m.type };
  const { value, rest } = valueOf(m.properties ?? {}, rules);
  const timestamp = m.timestamp !== undefined ? checkedTimestamp(m.timestamp, "timestamp") : m.originalTimestamp !== undefined ? checkedTimestamp(m.originalTimestamp, "originalTimestamp") : undefined;
  return eventOf(checkedName(m.event), value, timestamp, checkedId(m.messageId, "messageId"), {
    properties: rest,
    ...(m.userId !== undefined ? { userId: m.userId } : {}),
    ...(m.anonymousId !== undefined ? { anonymousId: m.anonymousId } : {}),
  });
}

function readPosthog(message: Record<string, unknown>, rules: ReadRules): ReadPayload {
  const m = parseMessage(posthogEventSchema, message);
  if ((posthogUncountedEvents as readonly string[]).includes(m.event)) return { kind: "not_counted", call: m.event };
  const { value, rest } = valueOf(m.properties ?? {}, rules);
  const distinctId = m.distinct_id ?? m.properties?.distinct_id;
  return eventOf(checkedName(m.event), value, m.timestamp !== undefined ? checkedTimestamp(m.timestamp, "timestamp") : undefined, checkedId(m.uuid, "uuid"), {
    properties: rest,
    ...(distinctId !== undefined ? { distinctId } : {}),
  });
}

function eventOf(metric: string, value: number, timestamp: string | undefined, eventId: string | undefined, attributes: Record<string, unknown>): ReadPayload {
  return { kind: "event", payload: { metric, value, ...(timestamp !== undefined ? { timestamp } : {}), ...(eventId !== undefined ? { eventId } : {}), ...attributes } };
}

/** The first finite number among the value properties (else 1), and the other properties. */
function valueOf(properties: Record<string, unknown>, rules: ReadRules): { value: number; rest: Record<string, unknown> } {
  for (const name of rules.valueProperties) {
    const v = properties[name];
    if (typeof v === "number" && Number.isFinite(v) && Object.hasOwn(properties, name)) {
      const { [name]: _taken, ...rest } = properties;
      if (Math.abs(v) >= 1e20) throw invalid(`properties.${name}`, "must be smaller than 1e20 in magnitude to be counted as the value");
      return { value: v, rest };
    }
  }
  return { value: 1, rest: properties };
}

function parseMessage<T extends z.ZodType>(schema: T, message: Record<string, unknown>): z.infer<T> {
  const parsed = schema.safeParse(message);
  if (parsed.success) return parsed.data;
  const { field, issue } = firstIssue(parsed.error, null, "message");
  // zod's messages for the schema's own fields already name them ("event must be a string").
  const text = issue?.message ?? "invalid";
  throw invalid(field, text.startsWith(field) ? text.slice(field.length).trim() : text);
}

const eventNameSchema = nameSchema("event");

function checkedName(event: string | undefined, field = "event"): string {
  if (event === undefined) throw invalid(field, `is required (the ${field === "event" ? "event name" : field} is the metric)`);
  const name = eventNameSchema.safeParse(event);
  if (!name.success) throw invalid(field, (name.error.issues[0]?.message ?? "invalid").replace(/^event /, ""));
  return name.data;
}

function checkedTimestamp(t: string, field: string): string {
  const parsed = timestampSchema.safeParse(t);
  if (!parsed.success) throw invalid(field, "must be an ISO-8601 date-time with a time zone, between the years 0001 and 9999");
  return t;
}

function checkedId(id: string | undefined, field: string): string | undefined {
  if (id === undefined) return undefined;
  const parsed = idempotencyKeySchema.safeParse(id);
  if (!parsed.success) throw invalid(field, (parsed.error.issues[0]?.message ?? "is invalid").replace(/^idempotency key /, ""));
  return parsed.data;
}

function invalid(field: string, what: string): AppError {
  return new AppError("INVALID_EVENT", `${field} ${what}`, { field });
}
