// The analytics SDK protocols this service speaks, as zod schemas: the Segment HTTP Tracking
// API (which RudderStack speaks too) and PostHog's capture API. The SDK routes read bodies
// with them, the mapping (src/server/sdk/sdk-message.ts) reads each message with them, and
// the OpenAPI document is generated from them. Messages are loose objects: every field an
// SDK sends is kept in the raw record; only the fields the mapping reads are checked.
import { z } from "zod";
import { identifiedBySchema } from "./ingest-schema";

/** Segment's call types (the path of each single-call route, `/v1/<type>`). */
export const segmentCallTypes = ["track", "identify", "page", "screen", "group", "alias"] as const;
export type SegmentCallType = (typeof segmentCallTypes)[number];

const id = z.union([z.string(), z.number()]);
const sdkTimestamp = z.string({ error: "must be an ISO-8601 date-time string" }).describe("ISO-8601 date-time with a time zone");
const properties = z.record(z.string(), z.unknown(), { error: "must be a JSON object" });

/** One Segment (or RudderStack) message: a call of one of the call types. */
export const segmentMessageSchema = z.looseObject({
  type: z.enum(segmentCallTypes, { error: `type must be one of ${segmentCallTypes.join(", ")}` }),
  /** The event name of a `track`: the metric it counts. */
  event: z.string({ error: "event must be a string" }).optional(),
  /** The SDK's unique id of the message: the idempotency key. */
  messageId: z.string({ error: "messageId must be a string" }).optional(),
  userId: id.optional(),
  anonymousId: id.optional(),
  /** When the event happened (the SDK sets it when the call is made). */
  timestamp: sdkTimestamp.optional(),
  /** RudderStack's name for the same. */
  originalTimestamp: sdkTimestamp.optional(),
  properties: properties.optional(),
  traits: properties.optional(),
  context: properties.optional(),
});
export type SegmentMessage = z.infer<typeof segmentMessageSchema>;

/** `POST /v1/batch` (and `/v1/import`): many messages of any call type. */
export const segmentBatchBodySchema = z.looseObject({
  batch: z.array(z.unknown(), { error: "batch must be an array of messages" }),
  /** The write key, when not sent as the Basic auth user name. */
  writeKey: z.string().optional(),
  sentAt: sdkTimestamp.optional(),
});

/** `POST /v1/<type>`: one message; its type is the route's. */
export const segmentSingleBodySchema = segmentMessageSchema.partial({ type: true }).extend({ writeKey: z.string().optional() });

/** PostHog events that are not counted: identity and page calls, as Segment's non-track calls. */
export const posthogUncountedEvents = [
  "$identify",
  "$create_alias",
  "$merge_dangerously",
  "$groupidentify",
  "$set",
  "$pageview",
  "$screen",
] as const;

/** One PostHog event (`capture`). */
export const posthogEventSchema = z.looseObject({
  /** The event name: the metric it counts. */
  event: z.string({ error: "event must be a string" }),
  /** The SDK's unique id of the event: the idempotency key. */
  uuid: z.string({ error: "uuid must be a string" }).optional(),
  distinct_id: id.optional(),
  timestamp: sdkTimestamp.optional(),
  properties: properties.optional(),
});
export type PosthogEvent = z.infer<typeof posthogEventSchema>;

/** `POST /batch`: many events; the project key in `api_key` (or `token`). */
export const posthogBatchBodySchema = z.looseObject({
  api_key: z.string().optional(),
  token: z.string().optional(),
  batch: z.array(z.unknown(), { error: "batch must be an array of events" }),
  sent_at: sdkTimestamp.optional(),
});

/** `POST /capture` and `POST /e`: one event, with the project key beside it (or a batch, as /batch). */
export const posthogSingleBodySchema = posthogEventSchema.extend({ api_key: z.string().optional(), token: z.string().optional() });

/** What became of one message, when it was not simply counted (the answer lists these). */
export const sdkRejectionSchema = z.object({
  index: z.number().int().describe("Position of the message in the request (0 for a single call)"),
  code: z.string(),
  reason: z.string(),
  field: z.string().optional(),
});

/** What became of one message of the request, in order. */
export const sdkResultSchema = z.object({
  index: z.number().int().describe("Position of the message in the request (0 for a single call)"),
  status: z.enum(["counted", "deduplicated", "not_counted", "rejected", "failed"]),
  /** How the message was identified: `key` (its `messageId`/`uuid`) or `content`; absent for a call not counted or a message refused before it was read. */
  identifiedBy: identifiedBySchema.optional(),
  code: z.string().optional(),
  reason: z.string().optional(),
  field: z.string().optional(),
});

const sdkCounts = {
  success: z.literal(true),
  counted: z.number().int(),
  deduplicated: z.number().int(),
  /** Captured raw, not counted: non-track calls (identify, page, …). */
  notCounted: z.number().int(),
  /** Stored as `rejected` with their reason (listed in `rejections`). */
  rejected: z.number().int(),
  /** Refused by the database for good, stored `failed` (listed in `rejections`, code EVENT_FAILED). */
  failed: z.number().int(),
  rejections: z.array(sdkRejectionSchema),
};

/**
 * The answer of every SDK route once every message of the request is committed. The SDKs
 * read only the status (`200`); the counts and results are for people reading it.
 */
export const sdkAnswerSchema = z.object({ ...sdkCounts, results: z.array(sdkResultSchema) });
export type SdkAnswer = z.infer<typeof sdkAnswerSchema>;

/** PostHog Capture V1's per-event result: `ok` (counted, deduplicated or kept), or `drop` (stored rejected; the SDK must not retry it). */
export const posthogV1ResultSchema = z.object({ result: z.enum(["ok", "drop"]), details: z.string().optional() });

/**
 * The answer of PostHog's Capture V1 route (`POST /i/v1/analytics/events`): the counts of every
 * SDK route, and `results` as posthog-node's V1 transport reads it, a map from each event's
 * `uuid` to its result.
 */
export const posthogV1AnswerSchema = z.object({ ...sdkCounts, results: z.record(z.string(), posthogV1ResultSchema) });
export type PosthogV1Answer = z.infer<typeof posthogV1AnswerSchema>;
