// The analytics SDK routes in the OpenAPI document (handlers: src/server/http/sdk-routes.ts):
// the Segment HTTP Tracking API (which RudderStack speaks too) and PostHog's capture API, so
// the SDKs' own clients send here unchanged. Every route also answers with a trailing slash
// (never redirected: the SDKs do not follow redirects), reads any Content-Type as JSON, and
// takes gzip or deflate bodies.
import { segmentCallTypes, type SegmentCallType } from "../../lib/sdk-schema";
import type { Config } from "../config";
import { posthogBatch, posthogCapture, posthogV1Answer, posthogV1Batch, sdkAnswer, segmentBatch, segmentCall } from "./api-schemas";
import { bodyErrors, writeErrors } from "./error-responses";
import type { OperationSpec, OperationTable } from "./operation";

const answer: OperationSpec["answer"] = {
  schema: sdkAnswer,
  description:
    "Every message of the request is committed: counted, deduplicated (the same `messageId`/`uuid` sent again), captured but not counted " +
    "(identify, page and other non-event calls), or stored `rejected` with its reason (listed in `rejections`; the others are unaffected). " +
    "`results` says, per message, what became of it and how it was identified. The SDKs read only the status.",
};

const segmentMapping =
  "A `track` is one event: metric = the event name, value = the first finite number among the properties named by SDK_VALUE_PROPERTIES " +
  "(default `value`, `revenue`), else 1; timestamp = `timestamp`, else `originalTimestamp`, else the time of receipt; idempotency key = " +
  "`messageId`, scoped by source: the id alone names the event, so a re-send whose SDK-stamped fields changed is deduplicated. " +
  "Other call types are captured raw as `not_counted`.";

const posthogMapping =
  "A captured event is one event: metric = `event`, value as for Segment (SDK_VALUE_PROPERTIES), idempotency key = `uuid`, scoped by source " +
  "(the id alone names the event, as for Segment). " +
  "`$identify`, `$create_alias`, `$merge_dangerously`, `$groupidentify`, `$set`, `$pageview` and `$screen` are captured raw as `not_counted`.";

const capitalized = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}`;

export function sdkOperations(config: Config): OperationTable {
  const limits =
    `Limits apply to the inflated body: ${config.SDK_MAX_REQUEST_BYTES} bytes per request (SDK_MAX_REQUEST_BYTES), else \`413\`; within it ` +
    `a batch of any count is taken, ${config.MAX_BATCH_EVENTS} messages at a time (MAX_BATCH_EVENTS). ${config.SDK_MAX_MESSAGE_BYTES} bytes per ` +
    "message (SDK_MAX_MESSAGE_BYTES): a single call over it is `413`, a batch's message over it is stored `rejected`.";
  const common = { access: "sdk", answer, errors: [...bodyErrors, ...writeErrors], envelope: "plain" } as const;

  const segment = (operationId: string, summary: string, description: string, body: OperationSpec["body"]): OperationSpec => ({
    ...common,
    operationId,
    summary,
    description: `${description} ${segmentMapping} ${limits}`,
    tag: "Segment / RudderStack",
    body,
    extensions: { "x-api-key-in-body": ["writeKey"] },
  });
  const batch = { schema: segmentBatch, description: "`batch`: the messages, each with its `type`", anyContentType: true };
  const single = (type: SegmentCallType) =>
    segment(`segment${capitalized(type)}`, `One ${type} call`, `One message of type \`${type}\`.`, {
      schema: segmentCall,
      description: `The message (its \`type\`, when given, must be \`${type}\`: a message of another type is stored \`rejected\`)`,
      anyContentType: true,
    });

  const posthog = (operationId: string, summary: string, body: OperationSpec["body"]): OperationSpec => ({
    ...common,
    operationId,
    summary,
    description: `${posthogMapping} ${limits}`,
    tag: "PostHog",
    body,
    extensions: { "x-api-key-in-body": ["api_key", "token"] },
  });
  const capture = {
    schema: posthogCapture,
    description: "One event with the project key beside it, or a batch as `/batch` takes it",
    anyContentType: true,
  };

  return {
    "POST /v1/batch": segment(
      "segmentBatch",
      "Many messages of any call type",
      "What `analytics-node` and RudderStack's SDKs send.",
      batch,
    ),
    "POST /v1/import": segment("segmentImport", "The same as /v1/batch", "An alias of `/v1/batch`.", batch),
    ...Object.fromEntries(segmentCallTypes.map((type) => [`POST /v1/${type}`, single(type)])),
    "POST /batch": posthog("posthogBatch", "Many captured events", {
      schema: posthogBatch,
      description: "`batch`: the events, the project key in `api_key` (or the bare array of events)",
      anyContentType: true,
    }),
    "POST /capture": posthog("posthogCapture", "One captured event (or a batch, as /batch takes it)", capture),
    "POST /e": posthog("posthogE", "The same as /capture", capture),
    "POST /i/v0/e": posthog("posthogIV0E", "The same as /capture (posthog-js's path)", capture),
    "POST /i/v1/analytics/events": {
      ...posthog("posthogCaptureV1", "Capture V1: many captured events, answered per uuid", {
        schema: posthogV1Batch,
        description: "`batch`: the events (posthog-node with POSTHOG_CAPTURE_MODE=v1); the project key as `Authorization: Bearer`",
        anyContentType: true,
      }),
      answer: {
        schema: posthogV1Answer,
        description:
          "Every event is committed; `results` maps each `uuid` to `ok` (counted, deduplicated or kept) or `drop` (stored rejected: retrying will not help).",
      },
    },
  };
}
