// The three analytics SDKs, unmodified, as test clients behind one small interface: Segment's
// @segment/analytics-node, RudderStack's @rudderstack/rudder-sdk-node and posthog-node, each
// pointed at this service and configured only through its documented options. The interface
// lets a suite send the same calls through all three, wait until each SDK has delivered (or
// given up on) everything, and read what the SDK itself reported: calls delivered, calls it
// gave up on and why, and every failed HTTP attempt it saw (retries included).
//
// What each SDK does, read from its code (versions in package-lock.json):
// - Segment: POST <host>/v1/batch, JSON (no gzip), `Authorization: Basic base64(writeKey + ":")`
//   and `writeKey` in the body too; batches of `flushAt` (default 15) or every `flushInterval`
//   (default 10 s); every batch is its own request, in parallel. Retries 5xx (not 501/505/511),
//   408/410/429/460 and network errors up to `maxRetries` (default 10) with backoff
//   500 ms × 2^n × [1, 2) capped at 60 s (not configurable); honours Retry-After on 429 only.
//   A batch that fails for good is reported through the `error` event and each call's callback.
// - RudderStack: POST <dataPlaneUrl>/v1/batch, gzip (Content-Encoding: gzip) and, as axios
//   posts a Buffer, `Content-Type: application/x-www-form-urlencoded`; Basic auth with the
//   write key as user name; no key in the body. The first call is sent at once, then batches of
//   `flushAt` (default 20) or every `flushInterval` (default 10 s), one after another. Stamps
//   `sentAt` on each message at every send and `originalTimestamp` (the time of the call) unless
//   given. axios-retry retries 5xx, 429 and network errors `retryCount` times (default 3) after
//   max(2^n × 100 ms, Retry-After) + up to 20 %. No request timeout by default. A failed flush
//   goes to `errorHandler` (without one, to an unhandled rejection) and each call's callback.
// - PostHog: POST <host>/batch/ (trailing slash), gzip, `api_key` in the body, no Authorization
//   header. Batches of up to `maxBatchSize` (default 100) when `flushAt` (default 20) calls are
//   queued or every `flushInterval` (default 5 s in Node), one after another. Retries 408, 429,
//   5xx and network errors `fetchRetryCount` times (default 3) every `fetchRetryDelay` (default
//   3 s), ignoring Retry-After; a batch still failing with an HTTP status is DROPPED (only
//   network failures stay queued). Failures are emitted as `error` events. identify() takes no
//   uuid or timestamp: each call is a new `$identify` event.
import { Analytics as SegmentAnalytics } from "@segment/analytics-node";
import RudderAnalytics from "@rudderstack/rudder-sdk-node";
import { PostHog, type PostHogOptions } from "posthog-node";

export const sdkNames = ["segment", "rudderstack", "posthog"] as const;
export type SdkName = (typeof sdkNames)[number];

/** A counted call: Segment/RudderStack `track`, PostHog `capture`. */
export interface SdkTrack {
  /** messageId (PostHog: uuid, which PostHog requires to be a UUID). */
  messageId: string;
  event: string;
  userId: string;
  properties: Record<string, string | number | boolean>;
  /** Absent: the SDK stamps the time of the call itself (as an app that passes none gets). */
  timestamp?: Date;
}

/** An identify call (PostHog's ignores messageId and timestamp: the SDK takes neither). */
export interface SdkIdentify {
  messageId: string;
  userId: string;
  traits: Record<string, string>;
  timestamp: Date;
}

/** A page view: Segment/RudderStack `page`, PostHog a captured `$pageview`. */
export interface SdkPage {
  messageId: string;
  userId: string;
  name: string;
  timestamp: Date;
}

export interface SdkReport {
  /** Calls the SDK reported delivered (PostHog: the calls of every successful flush). */
  delivered: number;
  /** Why the SDK gave up on calls (one entry per failed batch or call). */
  failures: string[];
  /** Failed HTTP attempts the SDK saw, retries included, by status or network error code. */
  failedAttempts: Record<string, number>;
}

export interface SdkClient {
  readonly name: SdkName;
  readonly report: SdkReport;
  track(call: SdkTrack): void;
  identify(call: SdkIdentify): void;
  page(call: SdkPage): void;
  /** Delivers everything queued (the SDK's own flush and retries) and stops the SDK. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * How long the SDK keeps retrying a failed batch.
 * - `brief`: a couple of quick retries, for suites where nothing should fail (a 5xx there
 *   is a bug to see at once, not minutes later).
 * - `outage`: enough to outlast PostgreSQL stopped for several seconds and restarted (see
 *   outageRetries for each SDK's default and what is set instead).
 */
export type RetryBudget = "brief" | "outage";

export interface SdkClientOptions {
  /** http://127.0.0.1:<port> of the service. */
  host: string;
  /** The write key (Segment/RudderStack write key, PostHog project API key). */
  key: string;
  flushAt: number;
  flushIntervalMs: number;
  retries: RetryBudget;
  /** posthog-node's transport (its POSTHOG_CAPTURE_MODE): `v0` (default) posts /batch/, `v1` Capture V1's /i/v1/analytics/events. */
  posthogCaptureMode?: "v0" | "v1";
}

/**
 * The retry settings for an outage, per SDK, with the default they replace. The budget must
 * outlast the outage (a few seconds), PostgreSQL's restart and crash recovery, and the 503s
 * that take up to DB_CONNECT_TIMEOUT_MS + DB_QUERY_TIMEOUT_MS each, on a loaded machine.
 */
export const outageRetries = {
  /**
   * Default maxRetries 10 with a fixed backoff of 1–2 s, 2–4 s, 4–8 s, … (cap 60 s): about
   * five minutes, already enough; stated here so the test does not depend on the default.
   */
  segment: { maxRetries: 10 },
  /**
   * Default retryCount 3: with Retry-After: 1 the waits are about 1 s, 1 s, 1 s, so a batch
   * is abandoned after roughly 3–4 s plus the 503s' own time: shorter than the outage. 10
   * retries wait max(2^n × 100 ms, 1 s): about 200 s in all, retrying within a second or two
   * early on, so a recovery is noticed promptly.
   */
  rudderstack: { retryCount: 10 },
  /**
   * Default 3 retries 3 s apart (about 9 s), after which an HTTP failure drops the batch: too
   * close to the outage's length. 30 retries 1 s apart: 30 s of retrying, noticing a
   * recovery within a second.
   */
  posthog: { fetchRetryCount: 30, fetchRetryDelay: 1000 },
} as const;

const briefRetries = {
  segment: { maxRetries: 2 },
  rudderstack: { retryCount: 2 },
  posthog: { fetchRetryCount: 2, fetchRetryDelay: 200 },
} as const;

export function createSdkClient(name: SdkName, options: SdkClientOptions): SdkClient {
  const report: SdkReport = { delivered: 0, failures: [], failedAttempts: {} };
  const sawFailedAttempt = (what: string | number) => (report.failedAttempts[what] = (report.failedAttempts[what] ?? 0) + 1);
  if (name === "segment") return segmentClient(options, report, sawFailedAttempt);
  if (name === "rudderstack") return rudderstackClient(options, report, sawFailedAttempt);
  return posthogClient(options, report, sawFailedAttempt);
}

type SawFailedAttempt = (what: string | number) => void;

const describeError = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function segmentClient(options: SdkClientOptions, report: SdkReport, sawFailedAttempt: SawFailedAttempt): SdkClient {
  const budget = options.retries === "outage" ? outageRetries.segment : briefRetries.segment;
  const sdk = new SegmentAnalytics({
    writeKey: options.key,
    host: options.host,
    flushAt: options.flushAt,
    flushInterval: options.flushIntervalMs,
    ...budget,
  });
  sdk.on("http_response", ({ status }) => {
    if (status < 200 || status >= 300) sawFailedAttempt(status);
  });
  // Per-call callbacks see the outcome of every call (the `error` event repeats the failures).
  const settled = (err: unknown) => {
    if (err === undefined) report.delivered++;
    else report.failures.push(describeError(err));
  };
  return {
    name: "segment",
    report,
    track: (c) =>
      sdk.track({ messageId: c.messageId, event: c.event, userId: c.userId, properties: c.properties, timestamp: c.timestamp }, settled),
    identify: (c) => sdk.identify({ messageId: c.messageId, userId: c.userId, traits: c.traits, timestamp: c.timestamp }, settled),
    page: (c) => sdk.page({ messageId: c.messageId, userId: c.userId, name: c.name, timestamp: c.timestamp }, settled),
    // On timeout closeAndFlush aborts the batches still retrying: they end as failures.
    close: (timeoutMs) => sdk.closeAndFlush({ timeout: timeoutMs }),
  };
}

/** What axios-retry hands onRetry and RudderStack's errorHandler: an axios error. */
interface HttpError {
  code?: string;
  message?: string;
  response?: { status: number };
}

function rudderstackClient(options: SdkClientOptions, report: SdkReport, sawFailedAttempt: SawFailedAttempt): SdkClient {
  const budget = options.retries === "outage" ? outageRetries.rudderstack : briefRetries.rudderstack;
  let calls = 0;
  let settledCalls = 0;
  const sdk = new RudderAnalytics(options.key, {
    dataPlaneUrl: options.host,
    flushAt: options.flushAt,
    flushInterval: options.flushIntervalMs,
    // The SDK's own logger prints every failed attempt; the report collects them instead.
    logLevel: "none",
    // axios would honour HTTP(S)_PROXY from the environment; the service is local.
    axiosConfig: { proxy: false },
    axiosRetryConfig: { onRetry: (_retry: number, err: HttpError) => sawFailedAttempt(err.response?.status ?? err.code ?? "network") },
    // With an errorHandler a failed flush is reported here instead of rejecting a promise
    // nobody awaits (the SDK flushes from inside track()).
    errorHandler: (err: HttpError) => {
      sawFailedAttempt(err.response?.status ?? err.code ?? "network");
    },
    ...budget,
  });
  // The SDK calls each call's callback with the error of its batch, if any (its types say
  // `() => void`; the code passes (err, data)).
  const settled = (err?: HttpError) => {
    settledCalls++;
    if (err === undefined) report.delivered++;
    else report.failures.push(err.response ? `HTTP ${err.response.status}` : (err.code ?? err.message ?? "network error"));
  };
  const call = <T>(send: (params: T, cb: (err?: HttpError) => void) => unknown, params: T) => {
    calls++;
    send(params, settled);
  };
  // messageId is sent as given (the SDK only fills it in when absent) but missing from its types.
  type WithId<T> = T & { messageId: string };
  return {
    name: "rudderstack",
    report,
    track: (c) =>
      call<WithId<RudderAnalytics.TrackParams>>((p, cb) => sdk.track(p, cb), {
        messageId: c.messageId,
        event: c.event,
        userId: c.userId,
        properties: c.properties,
        timestamp: c.timestamp,
      }),
    identify: (c) =>
      call<WithId<RudderAnalytics.IdentifyParams>>((p, cb) => sdk.identify(p, cb), {
        messageId: c.messageId,
        userId: c.userId,
        traits: c.traits,
        timestamp: c.timestamp,
      }),
    page: (c) =>
      call<WithId<RudderAnalytics.PageParams>>((p, cb) => sdk.page(p, cb), {
        messageId: c.messageId,
        userId: c.userId,
        name: c.name,
        timestamp: c.timestamp,
      }),
    // flush() sends one batch of at most flushAt calls (after the one in flight), so it is
    // called until every call has been settled by its callback.
    async close(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (settledCalls < calls) {
        if (Date.now() > deadline)
          throw new Error(`RudderStack SDK: ${calls - settledCalls} of ${calls} calls not settled after ${timeoutMs} ms`);
        await sdk.flush();
        // Callbacks run on setImmediate after the batch's request settles.
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

function posthogClient(options: SdkClientOptions, report: SdkReport, sawFailedAttempt: SawFailedAttempt): SdkClient {
  const budget = options.retries === "outage" ? outageRetries.posthog : briefRetries.posthog;
  // The SDK reports no HTTP status short of giving up; this fetch is the global one, watched.
  const fetch: NonNullable<PostHogOptions["fetch"]> = async (url, init) => {
    try {
      const res = await globalThis.fetch(url, init as RequestInit);
      if (res.status < 200 || res.status >= 300) sawFailedAttempt(res.status);
      return res;
    } catch (err) {
      sawFailedAttempt((err as { cause?: { code?: string } }).cause?.code ?? "network");
      throw err;
    }
  };
  // The SDK reads its transport from POSTHOG_CAPTURE_MODE when it is constructed, and only then.
  const modeBefore = process.env.POSTHOG_CAPTURE_MODE;
  process.env.POSTHOG_CAPTURE_MODE = options.posthogCaptureMode ?? "v0";
  const sdk = new PostHog(options.key, {
    host: options.host,
    flushAt: options.flushAt,
    flushInterval: options.flushIntervalMs,
    maxBatchSize: options.flushAt,
    fetch,
    ...budget,
  });
  if (modeBefore === undefined) delete process.env.POSTHOG_CAPTURE_MODE;
  else process.env.POSTHOG_CAPTURE_MODE = modeBefore;
  sdk.on("flush", (messages: unknown[]) => (report.delivered += messages.length));
  sdk.on("error", (err: unknown) => report.failures.push(describeError(err)));
  return {
    name: "posthog",
    report,
    track: (c) =>
      sdk.capture({ uuid: c.messageId, event: c.event, distinctId: c.userId, properties: c.properties, timestamp: c.timestamp }),
    identify: (c) => sdk.identify({ distinctId: c.userId, properties: c.traits }),
    page: (c) =>
      sdk.capture({ uuid: c.messageId, event: "$pageview", distinctId: c.userId, properties: { title: c.name }, timestamp: c.timestamp }),
    async close(timeoutMs) {
      // flush() rejects with what it could not deliver, already reported through the `error`
      // event; shutdown() would print it again, response object and all.
      await sdk.flush().catch(() => {});
      await sdk.shutdown(timeoutMs);
    },
  };
}
