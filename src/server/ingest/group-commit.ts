// Group commit: concurrent ingest requests in one process are coalesced into one capture
// statement and one processing transaction, instead of a transaction each. Semantics are
// those of the one-by-one path (process-raw-event.ts), per event:
// - capture is one multi-row INSERT, atomic: all of a group's raw events are stored, or
//   none are and every request in it gets 503;
// - processing is one transaction: lock the group's raw rows, insert the processed events
//   in dedup-key order with ON CONFLICT DO NOTHING, update each touched rollup row once
//   (in key order, so concurrent groups in any number of instances cannot deadlock on
//   them), mark every raw row; every request is answered only after that commit;
// - if capture or processing fails for a reason tied to the data (a value the database
//   refuses, a constraint, a raised error, a deadlock), the group falls back to one
//   statement or transaction per event, so one poison event fails alone; if it fails
//   because the database is unreachable, every event fails fast with 503 (and, after
//   capture, stays `received` for the recovery worker).
// Groups form naturally: a flush starts as soon as a slot is free and takes everything
// queued (up to maxEvents), so an idle server adds no delay and a busy one batches more.
// Abandonment: an event whose request signal aborts (its client left) while it still waits
// in the queue is dropped and rejected, never captured; once a flush has taken it, it is
// captured and processed to the end (exactly-once relies on finishing what was captured).
import { randomUUID } from "node:crypto";
import type { Database } from "../db/database";
import { AppError, isDataError } from "../errors";
import type { Prisma as P } from "../../generated/prisma/client";
import type { EventIdentity } from "./dedup-key";
import type { RawEventFormat } from "../../lib/events-schema";
import type { NormalizedEvent } from "./normalize";
import type { ReadRules } from "./read-event";
import { addToRollupsSql } from "./rollup";
import { keyReusedError, outcomeOfFinished, processRawEvent, type ProcessOutcome } from "./process-raw-event";

export interface GroupItem {
  source: string;
  /** The payload as JSON text (already produced for the size check). */
  payloadJson: string;
  format: RawEventFormat;
  idempotencyKey: string | null;
  nextAttemptAt: Date;
  event: NormalizedEvent;
  identity: EventIdentity;
}

interface Pending {
  item: GroupItem;
  signal?: AbortSignal;
  resolve(outcome: ProcessOutcome): void;
  reject(err: unknown): void;
}

interface Captured {
  pending: Pending;
  rawId: string;
  receivedAt: Date;
}

export interface GroupCommitOptions {
  maxEvents: number;
  maxConcurrentFlushes: number;
  /** How payloads are read when an event falls back to processing on its own. */
  rules: ReadRules;
}

/** The answer for work dropped because its client left before it was captured. */
export function abandoned(): AppError {
  return new AppError("CLIENT_CLOSED", "The client closed the connection before its events were captured; nothing was stored");
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private flushingEvents = 0;
  /** Signals with an abort listener already (one per request, however many events it has). */
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(
    private readonly db: Database,
    private readonly opts: GroupCommitOptions,
  ) {}

  /** Events queued, not yet taken by a flush (diagnostics and tests). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Events in flushes under way: being captured or processed. */
  get flushing(): number {
    return this.flushingEvents;
  }

  submit(item: GroupItem, signal?: AbortSignal): Promise<ProcessOutcome> {
    if (signal?.aborted) return Promise.reject(abandoned());
    if (signal && !this.watched.has(signal)) {
      this.watched.add(signal);
      signal.addEventListener("abort", () => this.dropAbandoned(signal), { once: true });
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ item, signal, resolve, reject });
      // Let requests that arrived in the same tick join the group before it leaves.
      if (this.queue.length === 1) setImmediate(() => this.pump());
      else if (this.queue.length >= this.opts.maxEvents) this.pump();
    });
  }

  private dropAbandoned(signal: AbortSignal): void {
    const kept: Pending[] = [];
    for (const p of this.queue) {
      if (p.signal === signal) p.reject(abandoned());
      else kept.push(p);
    }
    this.queue = kept;
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxConcurrentFlushes && this.queue.length > 0) {
      const group = this.queue.splice(0, this.opts.maxEvents);
      this.inFlight++;
      this.flushingEvents += group.length;
      void this.flush(group).finally(() => {
        this.inFlight--;
        this.flushingEvents -= group.length;
        this.pump();
      });
    }
  }

  private async flush(group: Pending[]): Promise<void> {
    let captured: Captured[];
    try {
      captured = await captureGroup(this.db, group);
    } catch (err) {
      if (!isDataError(err) || group.length === 1) {
        for (const p of group) p.reject(err);
        return;
      }
      // One event the database refuses must not fail the others: capture them one by one.
      captured = [];
      for (const p of group) {
        try {
          captured.push(...(await captureGroup(this.db, [p])));
        } catch (e) {
          p.reject(e);
        }
      }
      if (captured.length === 0) return;
    }
    const toProcess = captured;
    try {
      const outcomes = await processGroup(this.db, toProcess);
      toProcess.forEach((c, i) => c.pending.resolve(outcomes[i]!));
    } catch (err) {
      if (!isDataError(err)) {
        for (const c of toProcess) c.pending.reject(err);
        return;
      }
      // Isolate the event at fault: one transaction per event, a few at a time.
      await mapLimited(toProcess, 4, async (c) => {
        try {
          c.pending.resolve(await processRawEvent(this.db, c.rawId, { rules: this.opts.rules }));
        } catch (e) {
          c.pending.reject(e);
        }
      });
    }
  }
}

async function captureGroup(db: Database, group: Pending[]): Promise<Captured[]> {
  const ids = group.map(() => randomUUID());
  const items = group.map((p) => p.item);
  const rows = await db.prisma.$queryRaw<{ id: string; received_at: Date }[]>`
    INSERT INTO raw_event (id, source, payload, format, idempotency_key, status, reason, next_attempt_at)
    SELECT id, source, payload, format, idempotency_key, 'received', NULL, next_attempt_at
    FROM unnest(${ids}::uuid[], ${items.map((i) => i.source)}::text[], ${items.map((i) => i.payloadJson)}::jsonb[],
                ${items.map((i) => i.format)}::text[]::"RawEventFormat"[],
                ${items.map((i) => i.idempotencyKey)}::text[], ${items.map((i) => i.nextAttemptAt.toISOString())}::timestamptz[])
      AS t(id, source, payload, format, idempotency_key, next_attempt_at)
    RETURNING id::text AS id, received_at`;
  const receivedAt = new Map(rows.map((r) => [r.id, new Date(r.received_at)]));
  return group.map((pending, i) => ({ pending, rawId: ids[i]!, receivedAt: receivedAt.get(ids[i]!) ?? new Date() }));
}

/**
 * One transaction for the whole group, in two statements; returns each event's outcome,
 * in order. Statement 1 locks the group's raw rows, inserts the first event of each dedup
 * key and marks those raw rows `processed`. Statement 2 runs in a fresh snapshot, so it
 * sees keys another transaction committed while statement 1 waited on them: it marks
 * every other event `duplicate` (same content) or `rejected` (a key reused for different
 * content), then adds what statement 1 inserted to the rollups.
 */
async function processGroup(db: Database, group: Captured[]): Promise<ProcessOutcome[]> {
  return db.prisma.$transaction(async (tx) => {
    // Within the group, the first event of each dedup key is the candidate to insert.
    const candidates = new Map<string, Captured>();
    for (const c of group) {
      const key = c.pending.item.identity.dedupKey;
      if (!candidates.has(key)) candidates.set(key, c);
    }
    const rows = [...candidates.values()];
    const ev = (c: Captured) => c.pending.item.event;
    const first = await tx.$queryRaw<{ kind: "locked" | "inserted"; raw_id: string; pid: bigint | null }[]>`
      WITH locked AS (
        SELECT id FROM raw_event WHERE id = ANY(${group.map((c) => c.rawId)}::uuid[]) AND status = 'received'
        ORDER BY id FOR UPDATE),
      v AS (
        SELECT * FROM unnest(${rows.map((c) => c.pending.item.identity.dedupKey)}::text[], ${rows.map((c) => c.pending.item.identity.contentHash)}::text[],
                             ${rows.map((c) => ev(c).source)}::text[], ${rows.map((c) => ev(c).metric)}::text[], ${rows.map((c) => String(ev(c).value))}::numeric[],
                             ${rows.map((c) => ev(c).timestamp ?? c.receivedAt.toISOString())}::timestamptz[],
                             ${rows.map((c) => JSON.stringify(ev(c).attributes))}::jsonb[], ${rows.map((c) => c.rawId)}::uuid[])
          AS v(dedup_key, content_hash, source, metric, value, occurred_at, attributes, raw_event_id)
        WHERE raw_event_id IN (SELECT id FROM locked)),
      ins AS (
        INSERT INTO processed_event (dedup_key, content_hash, source, metric, value, occurred_at, attributes, raw_event_id)
        SELECT * FROM v ORDER BY dedup_key
        ON CONFLICT (dedup_key) DO NOTHING
        RETURNING id, dedup_key, raw_event_id),
      upd AS (
        UPDATE raw_event AS r SET status = 'processed', dedup_key = ins.dedup_key, processed_event_id = ins.id, reason = NULL, processed_at = now()
        FROM ins WHERE r.id = ins.raw_event_id)
      SELECT 'locked' AS kind, id::text AS raw_id, NULL::bigint AS pid FROM locked
      UNION ALL
      SELECT 'inserted', raw_event_id::text, id FROM ins`;

    const locked = new Set(first.filter((r) => r.kind === "locked").map((r) => r.raw_id));
    const outcomes = new Map<string, ProcessOutcome>();
    for (const r of first) if (r.kind === "inserted") outcomes.set(r.raw_id, { outcome: "counted", processedEventId: BigInt(r.pid!) });

    // Statement 2: duplicates and key clashes, then the rollup rows, last, so their locks
    // (the only rows every group shares) are held for as short a time as possible.
    const rest = group.filter((c) => locked.has(c.rawId) && !outcomes.has(c.rawId));
    const insertedIds = first.filter((r) => r.kind === "inserted").map((r) => String(r.pid));
    const reused = (c: Captured) => keyReusedError(c.pending.item.identity.explicitKey).message;
    const second = await tx.$queryRaw<{ raw_id: string; pid: bigint; same: boolean }[]>`
      WITH v AS (
        SELECT * FROM unnest(${rest.map((c) => c.rawId)}::uuid[], ${rest.map((c) => c.pending.item.identity.dedupKey)}::text[],
                             ${rest.map((c) => c.pending.item.identity.contentHash)}::text[], ${rest.map(reused)}::text[])
          AS v(raw_id, dedup_key, content_hash, reason)),
      e AS (
        SELECT v.raw_id, v.dedup_key, v.reason, p.id AS pid, p.content_hash = v.content_hash AS same
        FROM v JOIN processed_event p ON p.dedup_key = v.dedup_key),
      marked AS (
        UPDATE raw_event AS r SET
          status = (CASE WHEN e.same THEN 'duplicate' ELSE 'rejected' END)::"RawEventStatus",
          dedup_key = CASE WHEN e.same THEN e.dedup_key END,
          processed_event_id = CASE WHEN e.same THEN e.pid END,
          reason = CASE WHEN e.same THEN NULL ELSE e.reason END,
          processed_at = now()
        FROM e WHERE r.id = e.raw_id
        RETURNING r.id::text AS raw_id, e.pid, e.same),
      agg AS (${addToRollupsSql(insertedIds)})
      SELECT raw_id, pid, same FROM marked`;
    const byRawId = new Map(rest.map((c) => [c.rawId, c]));
    for (const r of second) {
      const c = byRawId.get(r.raw_id)!;
      outcomes.set(
        r.raw_id,
        r.same
          ? { outcome: "deduplicated", processedEventId: BigInt(r.pid) }
          : { outcome: "rejected", error: keyReusedError(c.pending.item.identity.explicitKey) },
      );
    }
    if (second.length !== rest.length) throw new Error("an event's dedup key has no processed event (its first copy was rejected or failed meanwhile)");

    // Raw rows someone else finished meanwhile (the recovery worker) are answered from their state.
    for (const c of group) if (!locked.has(c.rawId)) outcomes.set(c.rawId, await outcomeOfRaw(tx, c.rawId));
    return group.map((c) => outcomes.get(c.rawId)!);
  }, db.transactionOptions);
}

async function outcomeOfRaw(tx: P.TransactionClient, rawId: string): Promise<ProcessOutcome> {
  return outcomeOfFinished(await tx.rawEvent.findUniqueOrThrow({ where: { id: rawId }, select: { status: true, processedEventId: true, reason: true } }));
}

async function mapLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
