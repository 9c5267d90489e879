// Client-side retry with exponential backoff and full jitter (AWS Architecture Blog,
// "Exponential Backoff And Jitter"): wait = random(0, min(cap, base · 2^(n-1))) after the
// n-th failed attempt. Full jitter spreads many clients' retries apart after a shared
// outage instead of having them hammer the recovering server in lock-step.
// Pure and framework-free: time and randomness are injected so tests are deterministic.

export interface BackoffPolicy {
  /** Ceiling of the first wait, in milliseconds. */
  baseMs: number;
  /** No wait is ever longer than this. */
  capMs: number;
  /** Attempts in total, the first one included (Infinity: until it succeeds or is stopped). */
  maxAttempts: number;
}

/** The console's policy: like a real client, it retries until the server answers. */
export const defaultBackoffPolicy: BackoffPolicy = { baseMs: 250, capMs: 4_000, maxAttempts: Number.POSITIVE_INFINITY };

/** The longest wait after the `failedAttempt`-th (1-based) failed attempt. */
export function backoffCeiling(failedAttempt: number, policy: BackoffPolicy): number {
  const exp = policy.baseMs * 2 ** Math.max(0, failedAttempt - 1);
  return Math.min(policy.capMs, exp);
}

/** A full-jitter wait: uniform in [0, ceiling). `random` must return values in [0, 1). */
export function fullJitterDelay(failedAttempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(failedAttempt, policy));
}

export type AttemptOutcome = "success" | "retryable-error" | "fatal-error";

export interface AttemptRecord<E> {
  /** 1-based. */
  attempt: number;
  outcome: AttemptOutcome;
  durationMs: number;
  error?: E;
  /** The wait before the next attempt; absent on the last attempt. */
  waitMs?: number;
}

export type RetryResult<T, E> =
  | { ok: true; value: T; attempts: AttemptRecord<E>[] }
  | { ok: false; error: E; retryable: boolean; attempts: AttemptRecord<E>[] };

export interface RetryOptions<E> {
  policy?: BackoffPolicy;
  /** Turns whatever `run` threw into the caller's error type. */
  toError: (thrown: unknown) => E;
  /** Only retryable errors are retried; anything else ends at once. */
  isRetryable: (error: E) => boolean;
  /** Called after every attempt (with its wait, if another attempt follows). */
  onAttempt?: (record: AttemptRecord<E>) => void;
  /** Called when an attempt starts, so a UI can show it in flight. */
  onAttemptStart?: (attempt: number) => void;
  /** Stops retrying (the result is the last error) when aborted. */
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/** Waits `ms`, or less if `signal` aborts first. */
const realSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });

/**
 * Runs `run(attempt)` until it succeeds, fails with a non-retryable error, the policy's
 * attempts are used up, or `signal` aborts. `run` receives the 1-based attempt number so callers can vary what
 * they send per attempt (the console only asks for a simulated failure on the first N).
 */
export async function retryWithBackoff<T, E>(run: (attempt: number) => Promise<T>, opts: RetryOptions<E>): Promise<RetryResult<T, E>> {
  const policy = opts.policy ?? defaultBackoffPolicy;
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? (() => Date.now());
  const attempts: AttemptRecord<E>[] = [];
  for (let attempt = 1; ; attempt++) {
    opts.onAttemptStart?.(attempt);
    const started = now();
    try {
      const value = await run(attempt);
      const record: AttemptRecord<E> = { attempt, outcome: "success", durationMs: now() - started };
      attempts.push(record);
      opts.onAttempt?.(record);
      return { ok: true, value, attempts };
    } catch (thrown) {
      const error = opts.toError(thrown);
      const retryable = opts.isRetryable(error);
      const last = !retryable || attempt >= policy.maxAttempts || opts.signal?.aborted === true;
      const record: AttemptRecord<E> = {
        attempt,
        outcome: retryable ? "retryable-error" : "fatal-error",
        durationMs: now() - started,
        error,
        ...(last ? {} : { waitMs: fullJitterDelay(attempt, policy, opts.random) }),
      };
      attempts.push(record);
      opts.onAttempt?.(record);
      if (last) return { ok: false, error, retryable, attempts };
      await sleep(record.waitMs ?? 0, opts.signal);
      if (opts.signal?.aborted) return { ok: false, error, retryable, attempts };
    }
  }
}
