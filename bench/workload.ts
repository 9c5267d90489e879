// The events `npm run bench` sends, the same for every side it compares: each side gets a
// workload object of its own, built from the same seed, so every side sees the same sequence
// of events, retries and groups (it only gets further along it when it is faster). A
// workload lives for the whole run: later rounds continue it instead of re-sending round 1.
import { seededRandom } from "../e2e/support/seeded-random";

/** The sources events come from, one write key each. */
export const sources = Array.from({ length: 20 }, (_, i) => `client-${i}`);

export interface SingleEvent {
  /** Sent as the Idempotency-Key header. */
  key: string;
  source: string;
  /** The JSON request body. */
  body: string;
}

/** Single events: about `retryShare` of them re-send an earlier event (same key, same body). */
export class SingleEventWorkload {
  private next = 0;
  private readonly sent: SingleEvent[] = [];
  private readonly random: () => number;

  constructor(
    private readonly retryShare = 0.5,
    seed = 1,
  ) {
    this.random = seededRandom(seed);
  }

  take(): SingleEvent {
    if (this.sent.length > 0 && this.random() < this.retryShare) return this.sent[Math.floor(this.random() * this.sent.length)]!;
    const n = this.next++;
    const source = sources[n % sources.length]!;
    const event = {
      key: `bench-${n}`,
      source,
      body: JSON.stringify({ source, payload: { metric: `metric-${n % 10}`, value: (n % 1000) / 10, region: "eu" } }),
    };
    this.sent.push(event);
    if (this.sent.length > 50_000) this.sent.splice(0, 10_000);
    return event;
  }
}

export interface BatchEvent {
  source: string;
  payload: { metric: string; value: number; eventId: string };
}

/** One request of POST /ingest/batch, and one group of the bare-SQL baseline. */
export interface BatchGroup {
  source: string;
  events: BatchEvent[];
  /** A re-send of an earlier group (as a client retries a batch whose answer it lost). */
  retry: boolean;
}

/**
 * Batches of `size` events of one source each (a write key writes one source), sources in
 * turn; about `retryShare` of them re-send an earlier batch whole (every event comes back
 * deduplicated). A re-sent batch is one at least `minAge` batches old, so it is rarely still
 * in flight on another connection (if it is, its events wait on the first copy's commit and
 * come back deduplicated, on every side alike); only the first `minAge` batches cannot be
 * re-sends, so the share holds from the first seconds of a run even for a slow side.
 */
export class BatchWorkload {
  private nextEvent = 0;
  private nextGroup = 0;
  private readonly sent: BatchGroup[] = [];
  private readonly random: () => number;
  private static readonly minAge = 16;
  private static readonly keep = 2_000;

  constructor(
    private readonly size: number,
    private readonly retryShare: number,
    seed = 2,
  ) {
    this.random = seededRandom(seed);
  }

  take(): BatchGroup {
    const old = this.sent.length - BatchWorkload.minAge;
    if (old > 0 && this.random() < this.retryShare) return { ...this.sent[Math.floor(this.random() * old)]!, retry: true };
    const source = sources[this.nextGroup++ % sources.length]!;
    const events = Array.from({ length: this.size }, (): BatchEvent => {
      const n = this.nextEvent++;
      return { source, payload: { metric: `metric-${n % 10}`, value: (n % 1000) / 10, eventId: `batch-${n}` } };
    });
    const group = { source, events, retry: false };
    this.sent.push(group);
    if (this.sent.length > BatchWorkload.keep + 500) this.sent.splice(0, 500);
    return group;
  }
}
