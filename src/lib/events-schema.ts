// What `GET /events`, `GET /events/{id}` and the tRPC `events.*` procedures take and answer:
// every captured event as it arrived (raw), the processed record beside it, and for a
// deduplicated event the event it repeats. One schema per shape: the REST adapter, tRPC, the
// OpenAPI document and the console all use these, and every type comes from z.infer.
// Database BigInt ids cross the wire as strings (JSON has no 64-bit integers).
//
// Times: `receivedAt` is when the service captured the event (raw_event.received_at); the own
// time (`processed.occurredAt`) is the payload's `timestamp`, else the capture time, and exists
// only once the event was read as one to count. Filters on the processed record (metric, own
// time) therefore only ever return events that have one.
import { z } from "zod";
import { identifiedBySchema, idempotencyKeySchema } from "./ingest-schema";
import { nameSchema } from "./names";

/** Where a raw event stands: `received` until processing finishes, then its outcome. */
export const rawEventStatusSchema = z.enum(["received", "counted", "deduplicated", "rejected", "failed", "not_counted"]);
export type RawEventStatus = z.infer<typeof rawEventStatusSchema>;
export const rawEventStatuses = rawEventStatusSchema.options;

/** How a raw payload reads: this service's event, or an analytics SDK's message. */
export const rawEventFormatSchema = z.enum(["event", "segment", "posthog", "cloudevents"]);
export type RawEventFormat = z.infer<typeof rawEventFormatSchema>;

/** Events per page by default and at most. */
export const EVENTS_PAGE = { defaultLimit: 50, maxLimit: 200 } as const;

/** An instant bound of a range: ISO-8601 with a time zone, any precision. */
function instantSchema(field: string, what: string) {
  return z.iso
    .datetime({ offset: true, error: `${field} must be an ISO-8601 date-time with a time zone, e.g. 2026-11-24T10:00:00Z` })
    .meta({ description: what });
}

/**
 * The filters and paging of a list, as plain fields (the OpenAPI document's query parameters).
 * Every filter is exact; ranges are [from, to).
 */
export const eventsQueryShape = {
  source: nameSchema("source").optional().meta({ description: "Exactly this source" }),
  status: rawEventStatusSchema.optional().meta({ description: "Where the event stands" }),
  metric: nameSchema("metric")
    .optional()
    .meta({ description: "Exactly this metric (of the processed record: events never read as one to count, e.g. rejected ones, have none and are left out)" }),
  identity: identifiedBySchema.optional().meta({ description: "How the event was identified: `key` (it carried an explicit key), or `content`" }),
  key: idempotencyKeySchema.optional().meta({ description: "Exactly this explicit key (Idempotency-Key, `eventId`, an SDK's message id)" }),
  from: instantSchema("from", "Own time at or after this instant (the processed record's `occurredAt`; events without one are left out)").optional(),
  to: instantSchema("to", "Own time before this instant (the processed record's `occurredAt`; events without one are left out)").optional(),
  receivedFrom: instantSchema("receivedFrom", "Captured at or after this instant (`receivedAt`)").optional(),
  receivedTo: instantSchema("receivedTo", "Captured before this instant (`receivedAt`)").optional(),
  limit: z
    .number({ error: "limit must be a whole number" })
    .int("limit must be a whole number")
    .min(1, "limit must be at least 1")
    .max(EVENTS_PAGE.maxLimit, `limit must be at most ${EVENTS_PAGE.maxLimit}`)
    .optional()
    .meta({ description: `Events per page: default ${EVENTS_PAGE.defaultLimit}, at most ${EVENTS_PAGE.maxLimit} (a page also stops at about 1 MB of payloads and attributes)` }),
  cursor: z
    .string()
    .min(1)
    .max(2000)
    .nullish()
    .meta({ description: 'Where the previous page ended (its `nextCursor`, or `Link: rel="next"`); ask with the same filters' }),
};

const rangeInOrder = (v: Record<string, unknown>, ctx: z.RefinementCtx, from: string, to: string) => {
  const a = v[from];
  const b = v[to];
  if (typeof a === "string" && typeof b === "string" && Date.parse(b) <= Date.parse(a)) {
    ctx.addIssue({ code: "custom", path: [to], message: `${to} must be after ${from}` });
  }
};

/** A list's input: newest first by when each event was captured, one page at a time. */
export const eventsQuerySchema = z
  .object(eventsQueryShape)
  .superRefine((v, ctx) => {
    rangeInOrder(v, ctx, "from", "to");
    rangeInOrder(v, ctx, "receivedFrom", "receivedTo");
  })
  .default({});
export type EventsInput = z.input<typeof eventsQuerySchema>;
export type EventsQuery = z.output<typeof eventsQuerySchema>;

/** One event's id (a raw event id: a UUID). */
export const eventIdSchema = z.uuid({ error: "id must be an event id (a UUID)" });
export const eventIdInputSchema = z.object({ id: eventIdSchema });

/** What the processing made of the event: its processed record (for a deduplicated event, the one it repeats). */
export const processedRecordSchema = z.object({
  id: z.string().meta({ description: "The processed event's id" }),
  metric: z.string(),
  value: z.number().meta({ description: "As stored (every stored value is a 64-bit float's exact value)" }),
  occurredAt: z.string().meta({ description: "The event's own time: its `timestamp`, else when it was captured (ISO-8601 UTC)" }),
  attributes: z.record(z.string(), z.unknown()).meta({ description: "Every member of the payload but metric, value, timestamp and eventId" }),
  dedupKey: z.string().meta({ description: "The key that counts it once (SHA-256, hex)" }),
});
export type ProcessedRecord = z.infer<typeof processedRecordSchema>;

/** The event a deduplicated event repeats: its first copy. */
export const repeatsSchema = z.object({
  processedEventId: z.string(),
  rawEventId: z.string().nullable().meta({ description: "The first copy's raw event; null once retention pruned it" }),
  firstSeenAt: z.string().meta({ description: "When the first copy was counted (ISO-8601 UTC)" }),
  identifiedBy: identifiedBySchema.meta({ description: "The rule that matched the two: the same explicit key, or the same content" }),
});
export type Repeats = z.infer<typeof repeatsSchema>;

export const eventSchema = z.object({
  id: z.string().meta({ description: "The raw event's id (a UUID)" }),
  source: z.string(),
  status: rawEventStatusSchema,
  format: rawEventFormatSchema,
  identifiedBy: identifiedBySchema.meta({ description: "`key` when the event carried an explicit key (`idempotencyKey`), else `content`" }),
  idempotencyKey: z.string().nullable(),
  reason: z.string().nullable().meta({ description: "Why it was rejected, failed or not counted (or the last processing error while `received`)" }),
  reasonCode: z.string().nullable(),
  receivedAt: z.string().meta({ description: "When it was captured (ISO-8601 UTC)" }),
  attempts: z.number().int().meta({ description: "Processing attempts by the recovery worker" }),
  payload: z.unknown().meta({ description: "The payload as captured" }),
  processed: processedRecordSchema.nullable(),
  repeats: repeatsSchema.nullable().meta({ description: "For a deduplicated event: the event it repeats; null otherwise" }),
});
export type EventView = z.infer<typeof eventSchema>;

export const eventsPageSchema = z.object({
  items: z.array(eventSchema),
  /** The next page's `cursor`; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type EventsPage = z.infer<typeof eventsPageSchema>;

export const statusCountsInputSchema = z.object({ source: nameSchema("source").optional() }).default({});
export const statusCountsSchema = z.record(rawEventStatusSchema, z.number().int());
export type StatusCounts = z.infer<typeof statusCountsSchema>;
