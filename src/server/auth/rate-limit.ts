// Rate limits, in this process (each instance limits on its own, so N instances behind a
// balancer allow up to N times the rate), all token buckets (TokenBuckets below):
// - per write key: events are the unit, a batch of 200 takes 200 tokens; a refused request
//   takes nothing, and its Retry-After says when enough tokens will be back;
// - per client address, failed credentials (a wrong sign-in token, an unknown key): each takes
//   a token; an address whose bucket is empty has its next attempts refused 429 before the
//   credential is compared, the right one too, until a token is back (AUTH_FAILURES_PER_MINUTE;
//   about 1,000 guesses a second otherwise). See principal.ts and http/session-route.ts.
import type { Config } from "../config";
import type { ServerContext } from "../context";
import { AppError } from "../errors";
import type { Principal } from "./principal";

export interface RateLimit {
  /** Tokens back per second (continuous refill). */
  perSecond: number;
  /** The bucket's size: what may be taken at once after a quiet time. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_BUCKETS = 100_000;

/** Token buckets by key, at most MAX_BUCKETS of them (the oldest is forgotten first: it starts full again). */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(readonly limit: RateLimit) {}

  /** Tokens `key` holds now. */
  available(key: string, now = Date.now()): number {
    return this.refilled(key, now).tokens;
  }

  /** Seconds until `key` holds `tokens` (at least 1). */
  secondsUntil(key: string, tokens: number, now = Date.now()): number {
    return Math.max(1, Math.ceil((tokens - this.available(key, now)) / this.limit.perSecond));
  }

  /** Takes `tokens` (the bucket may go no lower than 0). */
  take(key: string, tokens: number, now = Date.now()): void {
    const bucket = this.refilled(key, now);
    bucket.tokens = Math.max(0, bucket.tokens - tokens);
  }

  private refilled(key: string, now: number): Bucket {
    const { perSecond, burst } = this.limit;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
      bucket = { tokens: burst, at: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    return bucket;
  }
}

export class RateLimiter {
  private readonly buckets: TokenBuckets;

  constructor(private readonly limit: { eventsPerSecond: number; burst: number }) {
    this.buckets = new TokenBuckets({ perSecond: limit.eventsPerSecond, burst: limit.burst });
  }

  /** Takes `events` tokens for `key`, or throws 429 RATE_LIMITED with the seconds to wait. */
  take(key: string, events: number, now = Date.now()): void {
    const { eventsPerSecond, burst } = this.limit;
    if (eventsPerSecond <= 0) return;
    if (events > burst) {
      throw new AppError("RATE_LIMITED", `This request holds ${events} events; this key may send at most ${burst} at once (RATE_LIMIT_BURST)`, { field: "events" });
    }
    if (this.buckets.available(key, now) < events) {
      const retryAfterSeconds = this.buckets.secondsUntil(key, events, now);
      throw new AppError("RATE_LIMITED", `Rate limit of ${eventsPerSecond} events/s for this key reached; retry in ${retryAfterSeconds} s`, {
        field: "authorization",
        retryAfterSeconds,
      });
    }
    this.buckets.take(key, events, now);
  }
}

/** One limiter per process configuration. */
const limiters = new WeakMap<Config, RateLimiter>();

/** Takes `events` from a write key's bucket (operators and open servers are not limited). */
export function takeRateLimit(ctx: ServerContext, principal: Principal, events: number): void {
  if (principal.kind !== "write") return;
  let limiter = limiters.get(ctx.config);
  if (!limiter) {
    limiter = new RateLimiter({ eventsPerSecond: ctx.config.RATE_LIMIT_EVENTS_PER_SECOND, burst: ctx.config.RATE_LIMIT_BURST });
    limiters.set(ctx.config, limiter);
  }
  limiter.take(principal.keyPrefix, events);
}

/** Failed credentials per client address (AUTH_FAILURES_PER_MINUTE; 0 = none counted). */
export class FailedAuthThrottle {
  private readonly buckets: TokenBuckets | null;

  constructor(readonly perMinute: number) {
    this.buckets = perMinute > 0 ? new TokenBuckets({ perSecond: perMinute / 60, burst: perMinute }) : null;
  }

  /** Whether `address` has used up its failed attempts for now. */
  locked(address: string, now = Date.now()): boolean {
    return this.buckets !== null && this.buckets.available(address, now) < 1;
  }

  /** The 429 an attempt from a locked address gets, however good its credential. */
  refusal(address: string, now = Date.now()): AppError {
    const retryAfterSeconds = this.buckets?.secondsUntil(address, 1, now) ?? 1;
    return new AppError(
      "RATE_LIMITED",
      `Too many wrong credentials from this address (at most ${this.perMinute} a minute, AUTH_FAILURES_PER_MINUTE); retry in ${retryAfterSeconds} s`,
      { field: "authorization", retryAfterSeconds },
    );
  }

  /** Throws the refusal when `address` is locked. */
  check(address: string, now = Date.now()): void {
    if (this.locked(address, now)) throw this.refusal(address, now);
  }

  /** Counts one wrong credential from `address`. */
  noteFailure(address: string, now = Date.now()): void {
    this.buckets?.take(address, 1, now);
  }
}

const throttles = new WeakMap<Config, FailedAuthThrottle>();

/** The failed-credential throttle of this process configuration. */
export function failedAuthThrottle(config: Config): FailedAuthThrottle {
  let throttle = throttles.get(config);
  if (!throttle) throttles.set(config, (throttle = new FailedAuthThrottle(config.AUTH_FAILURES_PER_MINUTE)));
  return throttle;
}
