// Group commit's queue, generic over its item and result and free of SQL: concurrent callers
// submit items, and a flush takes everything queued (up to maxItems) as soon as a flush slot is
// free, so an idle process adds no delay and a busy one makes larger groups. What a flush does
// with its group is the caller's (write-group.ts: capture and process).
// - A caller submits one item (a single event) or many (a batch's events) as one entry: one
//   promise per entry, settled when every one of its items is, with one settlement per item in
//   order. An entry's items may leave in several groups (maxItems), in order.
// - Items submitted in the same tick of the event loop leave together.
// - An item `alone` says must not share its group (a simulated failure) is flushed by itself.
// - An entry whose caller's signal aborts while items of it still wait in the queue: those are
//   dropped, settled with `dropped()`; items a flush has taken run to the end.

/** What a flush settles each item with: its result, or the failure its caller gets. */
export type Settled<R> = { value: R } | { failure: unknown };

export interface GroupQueueOptions<I, R> {
  maxItems: number;
  maxConcurrentFlushes: number;
  /**
   * Flushes allowed in flight while a full group (maxItems) waits: large batches keep more of
   * the database busy, small groups stay at maxConcurrentFlushes. Defaults to maxConcurrentFlushes.
   */
  maxConcurrentFullFlushes?: number;
  /** Handles one group; one settlement per item, in order. Throwing fails every item of the group. */
  flush(items: I[]): Promise<Settled<R>[]>;
  /** True for an item that must be flushed alone. */
  alone?(item: I): boolean;
  /** The error an item dropped before any flush took it is settled with. */
  dropped(): unknown;
  /** Told the size of each group as it leaves (metrics). */
  onGroup?(size: number): void;
}

/** One caller's items: those before `next` have been taken by flushes. */
interface Entry<I, R> {
  items: readonly I[];
  next: number;
  results: Settled<R>[];
  /** Items not settled yet. */
  open: number;
  signal?: AbortSignal;
  settle(results: Settled<R>[]): void;
}

/** A flush's share of one entry: its items from..to. */
interface Slice<I, R> {
  entry: Entry<I, R>;
  from: number;
  to: number;
}

export class GroupQueue<I, R> {
  private queue: Entry<I, R>[] = [];
  private queuedItems = 0;
  private inFlight = 0;
  private flushingItems = 0;
  /** Signals with an abort listener already (one per request, however many entries it has). */
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(private readonly opts: GroupQueueOptions<I, R>) {}

  /** Items queued, not yet taken by a flush (diagnostics and tests). */
  get waiting(): number {
    return this.queuedItems;
  }

  /** Items in flushes under way. */
  get flushing(): number {
    return this.flushingItems;
  }

  /** One item; its result, or its failure thrown. */
  async submit(item: I, signal?: AbortSignal): Promise<R> {
    const [settled] = await this.submitAll([item], signal);
    if ("failure" in settled!) throw settled.failure;
    return settled!.value;
  }

  /** Several items as one entry; one settlement per item, in order (never rejects). */
  submitAll(items: readonly I[], signal?: AbortSignal): Promise<Settled<R>[]> {
    if (items.length === 0) return Promise.resolve([]);
    if (signal?.aborted) return Promise.resolve(items.map(() => ({ failure: this.opts.dropped() })));
    if (signal && !this.watched.has(signal)) {
      this.watched.add(signal);
      signal.addEventListener("abort", () => this.dropAbandoned(signal), { once: true });
    }
    return new Promise((settle) => {
      const wasEmpty = this.queuedItems === 0;
      this.queue.push({ items, next: 0, results: new Array<Settled<R>>(items.length), open: items.length, signal, settle });
      this.queuedItems += items.length;
      // Let requests that arrived in the same tick join the group before it leaves.
      if (this.queuedItems >= this.opts.maxItems) this.pump();
      else if (wasEmpty) setImmediate(() => this.pump());
    });
  }

  private dropAbandoned(signal: AbortSignal): void {
    const kept: Entry<I, R>[] = [];
    for (const e of this.queue) {
      if (e.signal !== signal) {
        kept.push(e);
        continue;
      }
      const left = e.items.length - e.next;
      this.queuedItems -= left;
      this.settleRange(e, e.next, e.items.length, () => ({ failure: this.opts.dropped() }));
      e.next = e.items.length;
    }
    this.queue = kept;
  }

  private pump(): void {
    while (this.queuedItems > 0 && this.inFlight < this.flushLimit()) {
      const group = this.nextGroup();
      const size = group.reduce((n, s) => n + s.to - s.from, 0);
      this.opts.onGroup?.(size);
      this.inFlight++;
      this.flushingItems += size;
      void this.flush(group).finally(() => {
        this.inFlight--;
        this.flushingItems -= size;
        this.pump();
      });
    }
  }

  /** How many flushes may be in flight now: more while a full group waits. */
  private flushLimit(): number {
    const { maxConcurrentFlushes: small, maxConcurrentFullFlushes: full = small, maxItems } = this.opts;
    return this.queuedItems >= maxItems ? Math.max(small, full) : small;
  }

  /** Up to maxItems queued items, in order; an item that must go alone goes alone. */
  private nextGroup(): Slice<I, R>[] {
    const alone = this.opts.alone ?? (() => false);
    const group: Slice<I, R>[] = [];
    let size = 0;
    while (this.queue.length > 0 && size < this.opts.maxItems) {
      const entry = this.queue[0]!;
      const from = entry.next;
      const limit = Math.min(entry.items.length, from + this.opts.maxItems - size);
      const solo = alone(entry.items[from]!);
      if (solo && size > 0) break; // it leaves alone, in the next group
      // Up to the limit, or to the next item that must go alone.
      let to = from + 1;
      if (!solo) while (to < limit && !alone(entry.items[to]!)) to++;
      group.push({ entry, from, to });
      size += to - from;
      entry.next = to;
      if (to === entry.items.length) this.queue.shift();
      // Alone, or the rest of this entry is the next group's.
      if (solo || to < entry.items.length) break;
    }
    this.queuedItems -= size;
    return group;
  }

  private async flush(group: Slice<I, R>[]): Promise<void> {
    const items: I[] = [];
    for (const s of group) for (let i = s.from; i < s.to; i++) items.push(s.entry.items[i]!);
    let settled: Settled<R>[];
    try {
      settled = await this.opts.flush(items);
    } catch (err) {
      for (const s of group) this.settleRange(s.entry, s.from, s.to, () => ({ failure: err }));
      return;
    }
    let k = 0;
    for (const s of group) {
      this.settleRange(s.entry, s.from, s.to, () => settled[k++] ?? { failure: new Error("the flush settled fewer items than its group held") });
    }
  }

  private settleRange(entry: Entry<I, R>, from: number, to: number, result: () => Settled<R>): void {
    for (let i = from; i < to; i++) entry.results[i] = result();
    entry.open -= to - from;
    if (entry.open === 0 && to > from) entry.settle(entry.results);
  }
}
