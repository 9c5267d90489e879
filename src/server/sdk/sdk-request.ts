// One request of an analytics SDK protocol (Segment/RudderStack, PostHog) through the write
// path every other route uses: its messages are taken out of the body, the key decides their
// source, and each message is one item of a batch (ingest-batch.ts) whose payload is the
// message as sent, read by its format (read-event.ts). The request is answered 200 once every
// message is committed — counted, deduplicated, kept as not counted, or stored rejected with
// its reason — so one bad message never makes an SDK drop or retry the others; a database
// failure fails the whole request with 503, which the SDKs retry (safe: what was counted comes
// back deduplicated).
import { z } from "zod";
import type { RawEventFormat } from "../../lib/events-schema";
import {
  posthogBatchBodySchema,
  segmentBatchBodySchema,
  type PosthogV1Answer,
  type SdkAnswer,
  type SegmentCallType,
} from "../../lib/sdk-schema";
import { unstorableJson } from "../../lib/storable-json";
import { requireWriter, sourceForSdk, type Principal } from "../auth/principal";
import { takeRateLimit } from "../auth/rate-limit";
import type { ServerContext } from "../context";
import { AppError } from "../errors";
import type { Admission } from "../http/admission";
import { ingestItems, sliced, type CheckedItem, type ItemResult } from "../ingest/ingest-batch";
import { asObject } from "../http/json-body";
import { fieldAt, firstIssue } from "../validation-issue";

/**
 * What an SDK route carries: a batch of messages, or one call (Segment: of the route's type);
 * PostHog's `v1` is Capture V1's batch (`POST /i/v1/analytics/events`), answered per uuid.
 */
export type SdkShape = { protocol: "segment"; call: "batch" | SegmentCallType } | { protocol: "posthog"; call: "batch" | "capture" | "v1" };

export interface SdkRequest {
  shape: SdkShape;
  body: unknown;
  principal: Principal;
  /** A key from the Authorization header (read even when access control is off: it names the source). */
  headerKey: string | undefined;
  admission: Admission;
  /** Told whom the key resolved to (a key in the body is only known here): the access line names it. */
  onPrincipal?(principal: Principal): void;
}

/** Fields that carry the key: never stored with a message. */
const KEY_FIELDS = ["writeKey", "api_key", "token"];

export async function ingestSdkRequest(
  ctx: ServerContext,
  request: SdkRequest,
  signal?: AbortSignal,
): Promise<SdkAnswer | PosthogV1Answer> {
  const { shape } = request;
  const { messages, bodyKey, keyField, single } = messagesOf(shape, request.body);
  // The SDKs batch by bytes, not count (Segment and RudderStack drop a batch refused 413), so a
  // batch of any count within SDK_MAX_REQUEST_BYTES is taken, in slices of MAX_BATCH_EVENTS
  // one after another: the request never holds more of the backlog than it was admitted for.
  const slice = ctx.config.MAX_BATCH_EVENTS;
  request.admission.shrinkTo(Math.min(messages.length, slice));
  const { principal, source } = await sourceForSdk(ctx, request.principal, request.headerKey ?? bodyKey, keyField);
  request.onPrincipal?.(principal);
  requireWriter(principal);
  if (single && messages[0] !== undefined) {
    // A single call is the whole request: over the message limit it is the request that is too large.
    const size = Buffer.byteLength(JSON.stringify(messages[0]), "utf8");
    if (size > ctx.config.SDK_MAX_MESSAGE_BYTES) {
      throw new AppError(
        "PAYLOAD_TOO_LARGE",
        `The message is ${size} bytes; the limit is ${ctx.config.SDK_MAX_MESSAGE_BYTES} bytes per message`,
        { field: "body" },
      );
    }
  }

  const format: RawEventFormat = shape.protocol;
  const name = (index: number, field?: string) => [single ? null : `batch[${index}]`, field].filter(Boolean).join(".") || "body";
  const checked = await sliced(messages, (message, index): CheckedItem => {
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      return { index, status: "rejected", code: "INVALID_EVENT", reason: `${name(index)} must be a JSON object`, field: name(index) };
    }
    const problem = unstorableJson(message);
    if (problem) {
      const field = name(index, fieldAt(problem.path, null, ""));
      return { index, status: "rejected", code: "INVALID_EVENT", reason: `${field} ${problem.message}`, field };
    }
    const payload = withoutKeys(message as Record<string, unknown>);
    return { index, event: { source, payload, format, ...routeRefusal(shape, payload) } };
  });
  const results: ItemResult[] = [];
  for (let start = 0; start < checked.length; start += slice) {
    const part = checked.slice(start, start + slice);
    // Past the key's rate, the slices already committed come back deduplicated when the SDK retries.
    takeRateLimit(ctx, principal, part.length);
    results.push(...(await ingestItems(ctx, part, signal, (index, field) => name(index, field))));
  }
  const counts = tallyResults(results);
  if (shape.protocol === "posthog" && shape.call === "v1") return { ...counts, results: v1Results(messages, results) };
  return counts;
}

/** The answer of a route that takes a batch of messages (SDK protocols, CloudEvents): counts, rejections and a result per message. */
export function tallyResults(results: ItemResult[]): SdkAnswer {
  const tally = (status: string) => results.filter((r) => r.status === status).length;
  const rejections = results
    .filter((r) => r.status === "rejected" || r.status === "failed")
    .map(({ index, code, reason, field }) => ({
      index,
      code: code ?? "INVALID_EVENT",
      reason: reason ?? "rejected",
      ...(field ? { field } : {}),
    }));
  return {
    success: true as const,
    counted: tally("counted"),
    deduplicated: tally("deduplicated"),
    notCounted: tally("not_counted"),
    rejected: tally("rejected"),
    failed: tally("failed"),
    rejections,
    results,
  };
}

/**
 * Capture V1's results, by uuid: `drop` for a message stored rejected or failed (retrying will
 * not help), `ok` for the others. posthog-node retries only uuids answered `retry`, and a
 * database failure fails the whole request instead (5xx, which it retries).
 */
function v1Results(messages: unknown[], results: ItemResult[]): PosthogV1Answer["results"] {
  const out: PosthogV1Answer["results"] = {};
  for (const r of results) {
    const uuid = (messages[r.index] as { uuid?: unknown } | null)?.uuid;
    if (typeof uuid !== "string" || uuid === "") continue;
    out[uuid] =
      r.status === "rejected" || r.status === "failed" ? { result: "drop", ...(r.reason ? { details: r.reason } : {}) } : { result: "ok" };
  }
  return out;
}

/**
 * A single-call Segment route names the call's type (`/v1/identify`): a message that says it is
 * another type is stored rejected, not counted as what it claims (a `track` posted to
 * `/v1/identify` is not a track).
 */
function routeRefusal(shape: SdkShape, message: Record<string, unknown>): { refused?: AppError } {
  if (shape.protocol !== "segment" || shape.call === "batch" || message.type === shape.call) return {};
  return {
    refused: new AppError(
      "INVALID_EVENT",
      `type is ${JSON.stringify(message.type)} but this route takes ${shape.call} calls; send it to /v1/${String(message.type)} or /v1/batch`,
      { field: "type" },
    ),
  };
}

interface Messages {
  messages: unknown[];
  bodyKey: string | undefined;
  /** Where this protocol carries its key in the body, for messages that name it. */
  keyField: string;
  /** True for a single call: the body is the message. */
  single: boolean;
}

/** The messages of a body, and the key it carries; 400 naming `batch` when a batch body has none. */
function messagesOf(shape: SdkShape, body: unknown): Messages {
  if (shape.protocol === "segment") {
    if (shape.call === "batch") {
      const parsed = parseBody(segmentBatchBodySchema, body);
      return { messages: parsed.batch, bodyKey: parsed.writeKey, keyField: "writeKey", single: false };
    }
    const message = asObject(body);
    // A message without a type is of the route's type; one that names another is refused (routeRefusal).
    return { messages: [{ type: shape.call, ...message }], bodyKey: stringField(message, "writeKey"), keyField: "writeKey", single: true };
  }
  // PostHog: /batch takes { api_key, batch: [...] } (or, as older clients send, a bare array);
  // /capture and /e take one event, or a batch as /batch does.
  if (Array.isArray(body) && shape.call !== "v1") return { messages: body, bodyKey: undefined, keyField: "api_key", single: false };
  const object = asObject(body);
  // Capture V1 ({ created_at, batch }, the key as Bearer) and /batch take a batch; /capture and /e either.
  if (shape.call === "batch" || shape.call === "v1" || "batch" in object) {
    const parsed = parseBody(posthogBatchBodySchema, object);
    return { messages: parsed.batch, bodyKey: parsed.api_key ?? parsed.token, keyField: "api_key", single: false };
  }
  return { messages: [object], bodyKey: stringField(object, "api_key") ?? stringField(object, "token"), keyField: "api_key", single: true };
}

function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(asObject(body));
  if (parsed.success) return parsed.data;
  const { field, issue } = firstIssue(parsed.error, null, "body");
  throw new AppError("INVALID_ENVELOPE", issue?.message ?? `${field} is invalid`, { field });
}

function stringField(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  return typeof v === "string" ? v : undefined;
}

/** The message as sent, less the key (a secret is never stored with the data). */
function withoutKeys(message: Record<string, unknown>): Record<string, unknown> {
  if (!KEY_FIELDS.some((k) => Object.hasOwn(message, k))) return message;
  return Object.fromEntries(Object.entries(message).filter(([k]) => !KEY_FIELDS.includes(k)));
}
