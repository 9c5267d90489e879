// The UI's read-side boundary: raw events and their status counts. One schema per shape;
// tRPC validates input and output with these and the UI takes its types from z.infer.
// Database BigInt ids cross the wire as strings (JSON has no 64-bit integers and no
// transformer is configured).
import { z } from "zod";

/** Where a raw event stands: `received` until processing finishes, then its outcome. */
export const rawEventStatusSchema = z.enum(["received", "counted", "deduplicated", "rejected", "failed", "not_counted"]);
export type RawEventStatus = z.infer<typeof rawEventStatusSchema>;
export const rawEventStatuses = rawEventStatusSchema.options;

/** How a raw payload reads: this service's event, or an analytics SDK's message. */
export const rawEventFormatSchema = z.enum(["event", "segment", "posthog"]);
export type RawEventFormat = z.infer<typeof rawEventFormatSchema>;

export const rawEventsInputSchema = z.object({
  status: rawEventStatusSchema.optional(),
  source: z.string().trim().normalize("NFC").min(1).max(200).optional(),
  /** The id of the last raw event of the previous page (newest first). */
  cursor: z.uuid().nullish(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type RawEventsInput = z.input<typeof rawEventsInputSchema>;

export const processedEventSummarySchema = z.object({
  id: z.string(),
  metric: z.string(),
  value: z.number(),
  occurredAt: z.string(),
  /** The raw event whose processing created this processed event; null once retention pruned it. */
  rawEventId: z.string().nullable(),
});
export type ProcessedEventSummary = z.infer<typeof processedEventSummarySchema>;

export const rawEventSchema = z.object({
  id: z.string(),
  source: z.string(),
  status: rawEventStatusSchema,
  format: rawEventFormatSchema,
  reason: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  dedupKey: z.string().nullable(),
  attempts: z.number().int(),
  receivedAt: z.string(),
  processedAt: z.string().nullable(),
  processedEventId: z.string().nullable(),
  processedEvent: processedEventSummarySchema.nullable(),
  /** The body exactly as captured. */
  payload: z.unknown(),
});
export type RawEventView = z.infer<typeof rawEventSchema>;

export const rawEventsPageSchema = z.object({
  items: z.array(rawEventSchema),
  nextCursor: z.string().nullable(),
});
export type RawEventsPage = z.infer<typeof rawEventsPageSchema>;

export const statusCountsInputSchema = z.object({ source: z.string().trim().normalize("NFC").min(1).max(200).optional() }).default({});
export const statusCountsSchema = z.record(rawEventStatusSchema, z.number().int());
export type StatusCounts = z.infer<typeof statusCountsSchema>;
