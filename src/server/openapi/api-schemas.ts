// The API's own zod schemas (src/lib/ingest-schema.ts, src/lib/sdk-schema.ts) as the OpenAPI
// document names them: each gets a component id, and where a route reads a body in two steps
// the two schemas are put together. The envelope schemas leave an event's payload (and an
// SDK batch's messages) open, because the routes capture whatever object arrives and check
// its meaning afterwards (a bad one is stored `rejected`); a request is counted when its
// payload also passes eventPayloadSchema (messages: segmentMessageSchema,
// posthogEventSchema), so that is what the document shows.
import { z } from "zod";
import { eventSchema, eventsPageSchema, processedRecordSchema, repeatsSchema } from "../../lib/events-schema";
import { aggregateSchema, aggregatePointSchema, aggregatesPageSchema, aggregatesSummarySchema } from "../../lib/aggregates-schema";
import {
  batchEventSchema,
  batchInputSchema,
  batchOutputSchema,
  eventPayloadSchema,
  ingestInputSchema,
  ingestOutputSchema,
} from "../../lib/ingest-schema";
import {
  posthogBatchBodySchema,
  posthogEventSchema,
  posthogSingleBodySchema,
  sdkAnswerSchema,
  posthogV1AnswerSchema,
  segmentBatchBodySchema,
  segmentMessageSchema,
  segmentSingleBodySchema,
} from "../../lib/sdk-schema";

export const eventPayload = eventPayloadSchema.meta({
  id: "EventPayload",
  description:
    "What an event says: `metric` and `value` are counted; every other member is kept as an attribute (and is part of the event's identity).",
});

/** One event: `POST /ingest`'s body, and each event of a batch (which may carry its own idempotency key). */
export const restEvent = ingestInputSchema.pick({ source: true }).extend({ payload: eventPayload }).meta({ id: "Event" });
export const batchEvent = batchEventSchema.extend({ payload: eventPayload }).meta({ id: "BatchEvent" });

/** tRPC `ingest`: the event with the idempotency key and failure point REST takes from headers. */
export const trpcIngestInput = ingestInputSchema.extend({ payload: eventPayload });

/** A batch's body; its most events come from the configuration (MAX_BATCH_EVENTS). */
export function batchBody(maxEvents: number) {
  return batchInputSchema.extend({ events: z.array(batchEvent).min(1).max(maxEvents) });
}

export const ingestAnswer = ingestOutputSchema.meta({ id: "IngestAnswer" });
export const batchAnswer = batchOutputSchema.meta({ id: "BatchAnswer" });
const aggregatePoint = aggregatePointSchema.meta({
  id: "AggregatePoint",
  description: "One bucket of a series; avg, min and max are null for a bucket with no event",
});
export const aggregate = aggregateSchema
  .extend({ series: z.array(aggregatePoint).optional().meta({ description: "With `bucket`: every bucket of [from, to), oldest first" }) })
  .meta({ id: "Aggregate" });
export const aggregatesPage = aggregatesPageSchema.extend({ items: z.array(aggregate) }).meta({ id: "AggregatesPage" });
export const aggregatesSummary = aggregatesSummarySchema.meta({ id: "AggregatesSummary" });

const processedRecord = processedRecordSchema.meta({ id: "ProcessedRecord", description: "What processing made of the event (for a deduplicated event: the record it repeats)" });
const repeats = repeatsSchema.meta({ id: "Repeats", description: "The event a deduplicated event repeats: its first copy" });
export const capturedEvent = eventSchema.extend({ processed: processedRecord.nullable(), repeats: repeats.nullable() }).meta({ id: "CapturedEvent" });
export const eventsPage = eventsPageSchema.extend({ items: z.array(capturedEvent) }).meta({ id: "EventsPage" });

const segmentMessage = segmentMessageSchema.meta({ id: "SegmentMessage" });
export const segmentCall = segmentSingleBodySchema.meta({ id: "SegmentCall", description: "One message; its `type` is the route's" });
const posthogEvent = posthogEventSchema.meta({ id: "PosthogEvent" });
const posthogSingle = posthogSingleBodySchema.meta({ id: "PosthogCapture" });

const posthogEvents = z.array(posthogEvent).meta({ description: "The events alone, as older PostHog clients send them" });
const posthogBatchBody = posthogBatchBodySchema.extend({ batch: z.array(posthogEvent) }).meta({ id: "PosthogBatch" });

export const segmentBatch = segmentBatchBodySchema.extend({ batch: z.array(segmentMessage) }).meta({ id: "SegmentBatch" });
export const posthogBatch = z.union([posthogBatchBody, posthogEvents]);
/** /capture and /e: one event, or a batch as /batch takes it. */
export const posthogCapture = z.union([posthogSingle, posthogBatchBody, posthogEvents]);

export const sdkAnswer = sdkAnswerSchema.meta({ id: "SdkAnswer" });
export const posthogV1Answer = posthogV1AnswerSchema.meta({ id: "PosthogV1Answer" });
/** Capture V1's body: `{ created_at, batch }`, the project key as Bearer. */
export const posthogV1Batch = posthogBatchBodySchema
  .extend({ created_at: z.string().optional(), batch: z.array(posthogEvent) })
  .meta({ id: "PosthogV1Batch" });
