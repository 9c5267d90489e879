// Per-key rate limit: a token bucket per write key, in this process (each instance limits on
// its own, so N instances behind a balancer allow up to N times the rate). Events are the
// unit: a batch of 200 takes 200 tokens. Refill is continuous; a refused request takes
// nothing, and its Retry-After says when enough tokens will be back.
import type { Config } from "../config";
import type { ServerContext } from "../context";
import { AppError } from "../errors";
import type { Principal } from "./principal";

export interface RateLimit {
  eventsPerSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_BUCKETS = 100_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limit: RateLimit) {}

  /** Takes `events` tokens for `key`, or throws 429 RATE_LIMITED with the seconds to wait. */
  take(key: string, events: number, now = Date.now()): void {
    const { eventsPerSecond, burst } = this.limit;
    if (eventsPerSecond <= 0) return;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
      bucket = { tokens: burst, at: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * eventsPerSecond);
    bucket.at = now;
    if (events > burst) {
      throw new AppError("RATE_LIMITED", `This request holds ${events} events; this key may send at most ${burst} at once (RATE_LIMIT_BURST)`, { field: "events" });
    }
    if (bucket.tokens < events) {
      const retryAfterSeconds = Math.max(1, Math.ceil((events - bucket.tokens) / eventsPerSecond));
      throw new AppError("RATE_LIMITED", `Rate limit of ${eventsPerSecond} events/s for this key reached; retry in ${retryAfterSeconds} s`, {
        field: "authorization",
        retryAfterSeconds,
      });
    }
    bucket.tokens -= events;
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
