// The analytics SDK routes in the OpenAPI document: the Segment HTTP Tracking API (which
// RudderStack speaks too) and PostHog's capture API, so the SDKs' own clients send here
// unchanged. Every route also answers with a trailing slash (never redirected: the SDKs do
// not follow redirects), takes any Content-Type as JSON, and gzip or deflate bodies.
import { segmentCallTypes } from "../../lib/sdk-schema";
import { posthogBatch, posthogCapture, sdkAnswer, segmentBatch, segmentCall } from "./api-schemas";
import { bodyErrors, writeErrors } from "./error-responses";
import type { OperationSpec, OperationTable } from "./operation";

const answer: OperationSpec["answer"] = {
  schema: sdkAnswer,
  description:
    "Every message of the request is committed: counted, deduplicated (the same `messageId`/`uuid` sent again), captured but not counted " +
    "(identify, page and other non-event calls), or stored `rejected` with its reason (listed in `rejections`; the others are unaffected). " +
    "The SDKs read only the status.",
};

const common = {
  access: "sdk",
  answer,
  errors: [...bodyErrors, ...writeErrors],
  envelope: "plain",
} as const satisfies Partial<OperationSpec>;

const limits =
  "Limits apply to the inflated body: SDK_MAX_REQUEST_BYTES per request (`413`), SDK_MAX_MESSAGE_BYTES per message (a single call over it " +
  "is `413`; a batch message over it is stored `rejected`).";

const mapping =
  "A `track` is one event: metric = the event name, value = the first finite number among the properties named by SDK_VALUE_PROPERTIES " +
  "(default `value`, `revenue`), else 1; timestamp = `timestamp`, else `originalTimestamp`, else the time of receipt; idempotency key = " +
  "`messageId`, scoped by source. Other call types are captured raw with status `not_counted`.";

const segmentKey = { "x-api-key-in-body": ["writeKey"] };
const posthogKey = { "x-api-key-in-body": ["api_key", "token"] };

const segmentBatchSpec: OperationSpec = {
  ...common,
  operationId: "segmentBatch",
  summary: "Segment / RudderStack: many messages of any call type",
  description: `What \`analytics-node\` and RudderStack's SDKs send. ${mapping} ${limits}`,
  tag: "Segment / RudderStack",
  body: { schema: segmentBatch, description: "`batch`: the messages, each with its `type`", anyContentType: true },
  extensions: segmentKey,
};

const segmentSingle = (type: (typeof segmentCallTypes)[number]): OperationSpec => ({
  ...common,
  operationId: `segment${type[0]!.toUpperCase()}${type.slice(1)}`,
  summary: `Segment / RudderStack: one \`${type}\` call`,
  description: `One message of type \`${type}\`. ${mapping} ${limits}`,
  tag: "Segment / RudderStack",
  body: { schema: segmentCall, description: `The message (its \`type\`, if given, is \`${type}\`)`, anyContentType: true },
  extensions: segmentKey,
});

const posthogMapping =
  "A captured event is one event: metric = `event`, value as for Segment (SDK_VALUE_PROPERTIES), idempotency key = `uuid`, scoped by source. " +
  "`$identify`, `$create_alias`, `$merge_dangerously`, `$groupidentify`, `$set`, `$pageview` and `$screen` are captured raw, not counted.";

const posthogCaptureSpec: OperationSpec = {
  ...common,
  operationId: "posthogCapture",
  summary: "PostHog: one captured event (or a batch, as /batch)",
  description: `${posthogMapping} ${limits}`,
  tag: "PostHog",
  body: { schema: posthogCapture, description: "One event with the project key beside it, or `{ api_key, batch }`", anyContentType: true },
  extensions: posthogKey,
};

export const sdkOperations: OperationTable = {
  "POST /v1/batch": segmentBatchSpec,
  "POST /v1/import": { ...segmentBatchSpec, operationId: "segmentImport", summary: "Segment / RudderStack: the same as /v1/batch" },
  ...Object.fromEntries(segmentCallTypes.map((type) => [`POST /v1/${type}`, segmentSingle(type)])),
  "POST /batch": {
    ...common,
    operationId: "posthogBatch",
    summary: "PostHog: many captured events",
    description: `What \`posthog-node\` sends. ${posthogMapping} ${limits}`,
    tag: "PostHog",
    body: { schema: posthogBatch, description: "`batch`: the events; the project key in `api_key`", anyContentType: true },
    extensions: posthogKey,
  },
  "POST /capture": posthogCaptureSpec,
  "POST /e": { ...posthogCaptureSpec, operationId: "posthogE", summary: "PostHog: the same as /capture" },
};
