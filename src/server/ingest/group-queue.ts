// Group commit's queue, generic over its item and result and free of SQL: concurrent callers
// submit items, and a flush takes everything queued (up to maxItems) as soon as a flush slot is
// free, so an idle process adds no delay and a busy one makes larger groups. What a flush does
// with its group is the caller's (write-group.ts: capture and process).
// - Items submitted in the same tick of the event loop leave together.
// - An item `alone` says must not share its group (a simulated failure) is flushed by itself.
// - An item whose caller's signal aborts while it still waits in the queue is dropped and its
//   promise rejected with `dropped()`; once a flush has taken it, it runs to the end.

/** What a flush settles each item with: its result, or the failure its caller gets. */
export type Settled<R> = { value: R } | { failure: unknown };

export interface GroupQueueOptions<I, R> {
  maxItems: number;
  maxConcurrentFlushes: number;
  /** Handles one group; one settlement per item, in order. Throwing fails every item of the group. */
  flush(items: I[]): Promise<Settled<R>[]>;
  /** True for an item that must be flushed alone. */
  alone?(item: I): boolean;
  /** The error an item dropped before any flush took it is rejected with. */
  dropped(): unknown;
  /** Told the size of each group as it leaves (metrics). */
  onGroup?(size: number): void;
}

interface Waiting<I, R> {
  item: I;
  signal?: AbortSignal;
  resolve(result: R): void;
  reject(err: unknown): void;
}

export class GroupQueue<I, R> {
  private queue: Waiting<I, R>[] = [];
  private inFlight = 0;
  private flushingItems = 0;
  /** Signals with an abort listener already (one per request, however many items it has). */
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(private readonly opts: GroupQueueOptions<I, R>) {}

  /** Items queued, not yet taken by a flush (diagnostics and tests). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Items in flushes under way. */
  get flushing(): number {
    return this.flushingItems;
  }

  submit(item: I, signal?: AbortSignal): Promise<R> {
    if (signal?.aborted) return Promise.reject(this.opts.dropped());
    if (signal && !this.watched.has(signal)) {
      this.watched.add(signal);
      signal.addEventListener("abort", () => this.dropAbandoned(signal), { once: true });
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ item, signal, resolve, reject });
      // Let requests that arrived in the same tick join the group before it leaves.
      if (this.queue.length === 1) setImmediate(() => this.pump());
      else if (this.queue.length >= this.opts.maxItems) this.pump();
    });
  }

  private dropAbandoned(signal: AbortSignal): void {
    const kept: Waiting<I, R>[] = [];
    for (const w of this.queue) {
      if (w.signal === signal) w.reject(this.opts.dropped());
      else kept.push(w);
    }
    this.queue = kept;
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxConcurrentFlushes && this.queue.length > 0) {
      const group = this.nextGroup();
      this.opts.onGroup?.(group.length);
      this.inFlight++;
      this.flushingItems += group.length;
      void this.flush(group).finally(() => {
        this.inFlight--;
        this.flushingItems -= group.length;
        this.pump();
      });
    }
  }

  /** Up to maxItems queued items, in order; an item that must go alone goes alone. */
  private nextGroup(): Waiting<I, R>[] {
    const alone = this.opts.alone;
    const solo = alone ? this.queue.findIndex((w) => alone(w.item)) : -1;
    if (solo === 0) return this.queue.splice(0, 1);
    return this.queue.splice(0, Math.min(this.opts.maxItems, solo === -1 ? this.queue.length : solo));
  }

  private async flush(group: Waiting<I, R>[]): Promise<void> {
    let settled: Settled<R>[];
    try {
      settled = await this.opts.flush(group.map((w) => w.item));
    } catch (err) {
      for (const w of group) w.reject(err);
      return;
    }
    group.forEach((w, i) => {
      const s = settled[i];
      if (s === undefined) w.reject(new Error("the flush settled fewer items than its group held"));
      else if ("failure" in s) w.reject(s.failure);
      else w.resolve(s.value);
    });
  }
}
