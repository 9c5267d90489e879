// The one definition of what crosses the API boundary: tRPC procedures, the REST adapter,
// the UI form and the docs all use these schemas, and every type comes from z.infer.
import { z } from "zod";
import { nameSchema } from "./names";
import { unstorableJson, unstorableString } from "./storable-json";

/** A string PostgreSQL can store (no NUL, valid Unicode). */
const storable = (s: string) => unstorableString(s) === null;

/** Where a simulated failure is injected (simulation mode only). */
export const failurePointSchema = z.enum(["before-capture", "after-capture", "after-commit"]);
export type FailurePoint = z.infer<typeof failurePointSchema>;

export const sourceSchema = nameSchema("source");

export const idempotencyKeySchema = z
  .string()
  .trim()
  .min(1, "idempotency key must not be empty")
  .max(255, "idempotency key must be at most 255 characters")
  .refine(storable, "idempotency key must not contain the NUL character and must be valid Unicode");

/**
 * The envelope: what must hold before anything is stored. The payload is only required
 * to be a JSON object here; its meaning is checked after capture (see eventPayloadSchema),
 * so a semantically wrong event is still kept as a `rejected` raw record.
 */
export const ingestInputSchema = z.object({
  /** Optional with a write key, which decides the source; required otherwise. */
  source: sourceSchema.optional(),
  payload: z
    .unknown()
    .superRefine((value, ctx) => {
      const problem = unstorableJson(value);
      if (problem) ctx.addIssue({ code: "custom", path: problem.path, message: problem.message, abort: true });
    })
    // An object with any members: looseObject keeps them as they are (a record schema copied
    // every member through a check of its own, twice the envelope's CPU per event).
    .pipe(z.looseObject({}, { error: "payload must be a JSON object" })),
  /** Explicit event identity; the REST adapter fills it from the Idempotency-Key header. */
  idempotencyKey: idempotencyKeySchema.optional(),
  /** Ask the server to fail on purpose at this point (simulation mode only). */
  simulate: failurePointSchema.optional(),
});
export type IngestInput = z.infer<typeof ingestInputSchema>;

/**
 * How an event was identified: `key` (an Idempotency-Key, `eventId`, an SDK's
 * `messageId`/`uuid`, a CloudEvents `id`) or `content` (the hash of its normalized content:
 * the same content sent twice without a key is one event).
 */
export const identifiedBySchema = z.enum(["key", "content"]);
export type IdentifiedBy = z.infer<typeof identifiedBySchema>;

export const ingestOutputSchema = z.object({
  success: z.literal(true),
  deduplicated: z.boolean(),
  identifiedBy: identifiedBySchema,
});
export type IngestOutput = z.infer<typeof ingestOutputSchema>;

export const timestampSchema = z
  .union([
    z.iso.datetime({ offset: true, error: "timestamp must be an ISO-8601 date-time with a time zone, or epoch milliseconds" }),
    z
      .number()
      .int("timestamp in epoch milliseconds must be an integer")
      // Below 1e11 ms (March 1973) a number is far more likely epoch seconds sent by
      // mistake than a real date: refuse it rather than count it in 1970.
      .min(100_000_000_000, "timestamp in epoch milliseconds must be at least 100000000000 (1973-03-03); epoch seconds are not accepted, multiply by 1000")
      .max(253_402_300_799_999, "timestamp must be before the year 10000"),
  ])
  .refine((t) => {
    const year = new Date(t).getUTCFullYear();
    return year >= 1 && year <= 9999;
  }, "timestamp must be between the years 0001 and 9999");

/** What a payload must say to be counted. Extra fields are kept as attributes. */
export const eventPayloadSchema = z.looseObject({
  metric: nameSchema("metric"),
  value: z
    .number({ error: "value must be a number" })
    // Rollups are exact numeric(65,30) sums: bounded values keep them from overflowing.
    .refine((v) => Math.abs(v) < 1e20, "value must be smaller than 1e20 in magnitude"),
  timestamp: timestampSchema.optional(),
  eventId: idempotencyKeySchema.optional(),
});
export type EventPayload = z.infer<typeof eventPayloadSchema>;

/** One event of a batch: the ingest envelope without simulation. */
export const batchEventSchema = ingestInputSchema.omit({ simulate: true });
export type BatchEvent = z.infer<typeof batchEventSchema>;

/** Events are checked one by one (batchEventSchema) so one bad event never fails the rest. */
export const batchInputSchema = z.object({
  events: z.array(z.unknown(), { error: "events must be an array" }).min(1, "events must hold at least one event"),
  /** Ask the server to fail the whole batch on purpose at this point (simulation mode only). */
  simulate: failurePointSchema.optional(),
});
export type BatchInput = z.infer<typeof batchInputSchema>;

export const batchResultSchema = z.object({
  index: z.number().int(),
  /** `failed`: the database refused this one event for good (stored failed, code EVENT_FAILED). */
  status: z.enum(["counted", "deduplicated", "rejected", "failed"]),
  /** How the event was identified (present once it was read as an event to count). */
  identifiedBy: identifiedBySchema.optional(),
  code: z.string().optional(),
  reason: z.string().optional(),
  field: z.string().optional(),
});
export type BatchResult = z.infer<typeof batchResultSchema>;

export const batchOutputSchema = z.object({
  success: z.literal(true),
  counted: z.number().int(),
  deduplicated: z.number().int(),
  rejected: z.number().int(),
  failed: z.number().int(),
  results: z.array(batchResultSchema),
});
export type BatchOutput = z.infer<typeof batchOutputSchema>;
