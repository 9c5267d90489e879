// The client the contract assumes: it sends one event with its own Idempotency-Key and
// retries until it sees 200 — exponential backoff with full jitter, the SAME key and body
// every time, spread over every app instance, within a bounded total time. Every attempt's
// result is recorded so the suite can tell what a client saw under each fault. Access
// control is on: every attempt carries the client's write key, which decides the source.
import { authorizationHeader, type AuthScheme } from "./keys-cli";

/** Who sends an event: the source its write key writes, and how it presents the key. */
export interface Writer {
  source: string;
  /** The Authorization header value: Bearer, or Basic with the key as user name. */
  authorization: string;
  /** Whether the body names the source too (the key decides it; a body may omit it). */
  sourceInBody: boolean;
}

export function writer(source: string, key: string, scheme: AuthScheme = "bearer", sourceInBody = true): Writer {
  return { source, authorization: authorizationHeader(key, scheme), sourceInBody };
}

export interface FaultEvent extends Writer {
  /** Idempotency-Key; also stored as payload attribute `ref` so it can be counted per key. */
  key: string;
  metric: string;
  value: number;
}

export interface Attempt {
  instance: string;
  /** HTTP status, or the network error's code when there was no answer. */
  result: number | string;
  ms: number;
}

export interface Outcome {
  event: FaultEvent;
  acknowledged: boolean;
  /** `deduplicated` of the 200 that acknowledged it (true: an earlier attempt had counted it). */
  deduplicated?: boolean;
  attempts: Attempt[];
}

export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  /** The client gives up on an event this long after its first attempt. */
  giveUpAfterMs: number;
  /** One attempt may take this long before the client abandons it. */
  requestTimeoutMs: number;
  /** An impatient client stops after this many attempts (default: no limit but time). */
  maxAttempts?: number;
}

export const defaultPolicy: RetryPolicy = { baseMs: 50, capMs: 1500, giveUpAfterMs: 90_000, requestTimeoutMs: 20_000 };

export function eventBody(event: FaultEvent): string {
  const payload = { metric: event.metric, value: event.value, ref: event.key };
  return JSON.stringify(event.sourceInBody ? { source: event.source, payload } : { payload });
}

/** The headers of an ingest request carrying `event`. */
export function ingestHeaders(event: FaultEvent): Record<string, string> {
  return { "content-type": "application/json", "idempotency-key": event.key, authorization: event.authorization };
}

/** One POST /ingest attempt; never throws. */
export async function postOnce(instance: string, event: FaultEvent, timeoutMs: number): Promise<{ attempt: Attempt; body?: unknown }> {
  const started = Date.now();
  try {
    const res = await fetch(`${instance}/ingest`, {
      method: "POST",
      headers: ingestHeaders(event),
      body: eventBody(event),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body: unknown = await res.json().catch(() => undefined);
    return { attempt: { instance, result: res.status, ms: Date.now() - started }, body };
  } catch (err) {
    return { attempt: { instance, result: networkErrorCode(err), ms: Date.now() - started } };
  }
}

function networkErrorCode(err: unknown): string {
  if (!(err instanceof Error)) return "ERROR";
  if (err.name === "TimeoutError" || err.name === "AbortError") return "CLIENT_TIMEOUT";
  const cause = (err as Error & { cause?: { code?: string } }).cause;
  return cause?.code ?? err.name;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends `event` until an instance answers 200 or the policy gives up. `instances()` is
 * asked before every attempt (instances come and go); attempts rotate over them.
 */
export async function sendUntilAcknowledged(instances: () => string[], event: FaultEvent, policy: RetryPolicy = defaultPolicy): Promise<Outcome> {
  const started = Date.now();
  const attempts: Attempt[] = [];
  const offset = Math.floor(Math.random() * 1000);
  const maxAttempts = policy.maxAttempts ?? Number.POSITIVE_INFINITY;
  for (let n = 0; n < maxAttempts && (n === 0 || Date.now() - started < policy.giveUpAfterMs); n++) {
    const list = instances();
    const instance = list[(offset + n) % list.length];
    if (!instance) throw new Error("no app instance to send to");
    const { attempt, body } = await postOnce(instance, event, policy.requestTimeoutMs);
    attempts.push(attempt);
    if (attempt.result === 200) {
      const deduplicated = typeof body === "object" && body !== null && (body as { deduplicated?: unknown }).deduplicated === true;
      return { event, acknowledged: true, deduplicated, attempts };
    }
    // 4xx other than 408/429 would mean the suite sent a bad event or a bad key: stop, it is
    // a test bug (or an auth bug) the verdict reports.
    if (typeof attempt.result === "number" && attempt.result >= 400 && attempt.result < 500 && attempt.result !== 408 && attempt.result !== 429) {
      return { event, acknowledged: false, attempts };
    }
    const backoff = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(n, 16));
    await sleep(Math.random() * backoff);
  }
  return { event, acknowledged: false, attempts };
}
