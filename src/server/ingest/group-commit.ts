// Capture and process: the two database stages of the write path, for groups of events
// (docs/write-path.md: stages, data model, SQL, failure model).
// Every event goes through here — a single request is a group of one, concurrent requests
// in one process share their groups, and the recovery worker processes what it claims with
// the same processing code.
// When nothing is to fail on purpose, a group is captured and processed in ONE statement
// (capture-and-process.ts: one round trip, one commit; atomic, so a failure stores nothing and
// the group falls back to the two stages below, except for an outage, which fails fast). The
// two stages are the fallback, the worker's path, and where an event whose key another
// transaction held is finished:
// - capture is one multi-row INSERT, atomic: all of a group's raw events are stored (each
//   with a pending row), or none are and every request in it gets the error (503 for an
//   outage). Events already known not to count (rejected, not counted) are stored with their
//   outcome row and go no further. The raw row is never written again;
// - processing is one transaction: lock the group's pending rows, insert the processed
//   events in dedup-key order with ON CONFLICT DO NOTHING, record each outcome (delete the
//   pending row; an outcome row for everything but a first-try count), update each touched
//   rollup row once (in key order, so concurrent groups in any number of instances cannot
//   deadlock on them); every request is answered only after that commit;
// - if capture or processing fails for a reason tied to the data (a value the database
//   refuses, a constraint, a raised error, a deadlock), the group falls back to one
//   statement or transaction per event, so one poison event fails alone: an event the
//   database still refuses on its own is stored `failed` with the reason and its code, and
//   answered EVENT_FAILED (not retryable); if it fails because the database is unreachable,
//   every event fails fast with 503 (and, after capture, stays `received` for the worker).
// Groups form naturally: a flush starts as soon as a slot is free and takes everything
// queued (up to maxEvents), so an idle server adds no delay and a busy one batches more. An
// event whose processing is to fail on purpose (simulation) is flushed alone.
// Abandonment: an event whose request signal aborts (its client left) while it still waits
// in the queue is dropped and rejected, never captured; once a flush has taken it, it is
// captured and processed to the end (exactly-once relies on finishing what was captured).
import { v7 as timeOrderedUuid } from "uuid";
import type { RawEventFormat } from "../../lib/events-schema";
import type { Database } from "../db/database";
import { classifyDatabaseError, sqlStateOf } from "../db/database-errors";
import { AppError, errorSummary, isDataError } from "../errors";
import { observeGroup } from "../observability/metrics";
import type { Prisma as P } from "../../generated/prisma/client";
import type { EventIdentity } from "./dedup-key";
import type { ReadDecision } from "./decide-event";
import type { NormalizedEvent } from "./normalize";
import { eventFailedError, keyReusedError, outcomeOfFinished, type ProcessOutcome } from "./outcome";
import { addToRollupsCtes } from "./rollup";
import { captureAndProcess, type FastResult } from "./capture-and-process";

export interface GroupItem {
  source: string;
  /** The payload as JSON text (already produced for the size check). */
  payloadJson: string;
  format: RawEventFormat;
  idempotencyKey: string | null;
  nextAttemptAt: Date;
  read: ReadDecision;
  /** Simulation: flushed alone, its processing fails just before it would commit. */
  failProcessing?: boolean;
}

interface Pending {
  item: GroupItem;
  signal?: AbortSignal;
  resolve(outcome: ProcessOutcome): void;
  reject(err: unknown): void;
}

/** A captured raw event that is to be counted: from a request's group, or claimed by the worker. */
export interface CapturedEvent {
  rawId: string;
  receivedAt: Date;
  event: NormalizedEvent;
  identity: EventIdentity;
}

export interface GroupCommitOptions {
  maxEvents: number;
  maxConcurrentFlushes: number;
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
      const group = this.nextGroup();
      observeGroup(this.db, group.length);
      this.inFlight++;
      this.flushingEvents += group.length;
      void this.flush(group).finally(() => {
        this.inFlight--;
        this.flushingEvents -= group.length;
        this.pump();
      });
    }
  }

  /** Up to maxEvents queued events, in order; an event meant to fail on purpose goes alone. */
  private nextGroup(): Pending[] {
    const solo = this.queue.findIndex((p) => p.item.failProcessing);
    if (solo === 0) return this.queue.splice(0, 1);
    return this.queue.splice(0, Math.min(this.opts.maxEvents, solo === -1 ? this.queue.length : solo));
  }

  private async flush(group: Pending[]): Promise<void> {
    // One statement for the whole group when nothing is to fail on purpose (capture-and-process.ts);
    // the two stages below are its fallback, and the path of a simulated processing failure.
    if (!group.some((p) => p.item.failProcessing) && (await this.flushInOneStatement(group))) return;
    await this.flushInTwoStages(group);
  }

  /**
   * The fast path; false when the group must take the two stages instead. The statement stored
   * nothing when it failed: a lost or refused connection fails every request at once (503,
   * retried; a capture would fail the same way), anything else (an event the database refuses,
   * a missing table, a statement timeout) goes to the two stages, which capture the raw events
   * first, as the write path promises, and isolate the event at fault.
   */
  private async flushInOneStatement(group: Pending[]): Promise<boolean> {
    const rows = group.map((p) => ({ ...p.item, rawId: timeOrderedUuid() }));
    let results: FastResult[];
    try {
      results = await captureAndProcess(this.db, rows);
    } catch (err) {
      if (!isConnectionFailure(err)) return false;
      for (const p of group) p.reject(err);
      return true;
    }
    const left: { pending: Pending; event: CapturedEvent }[] = [];
    let next = 0;
    group.forEach((p, i) => {
      const read = p.item.read;
      if (read.kind === "rejected") return p.resolve({ outcome: "rejected", error: read.error });
      if (read.kind === "not_counted") return p.resolve({ outcome: "not_counted" });
      const r = results[next++]!;
      if (r.status === "rejected") p.resolve({ outcome: "rejected", error: keyReusedError(read.identity.explicitKey) });
      else if (r.status === "received") left.push({ pending: p, event: { rawId: rows[i]!.rawId, receivedAt: r.receivedAt, event: read.event, identity: read.identity } });
      else p.resolve({ outcome: r.status, processedEventId: r.processedEventId });
    });
    // Events whose key another transaction was inserting meanwhile: captured pending, processed now in a fresh snapshot.
    if (left.length > 0) this.settle(left, await processCaptured(this.db, left.map((l) => l.event)));
    return true;
  }

  private settle(items: { pending: Pending }[], results: ProcessResult[]): void {
    items.forEach((item, i) => {
      const r = results[i]!;
      if ("failure" in r) item.pending.reject(r.failure);
      else item.pending.resolve(r);
    });
  }

  private async flushInTwoStages(group: Pending[]): Promise<void> {
    let captured: { pending: Pending; rawId: string; receivedAt: Date }[];
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
    }
    const toProcess: { pending: Pending; event: CapturedEvent }[] = [];
    for (const c of captured) {
      const read = c.pending.item.read;
      // Stored with their outcome by the capture itself.
      if (read.kind === "rejected") c.pending.resolve({ outcome: "rejected", error: read.error });
      else if (read.kind === "not_counted") c.pending.resolve({ outcome: "not_counted" });
      else toProcess.push({ pending: c.pending, event: { rawId: c.rawId, receivedAt: c.receivedAt, event: read.event, identity: read.identity } });
    }
    if (toProcess.length === 0) return;
    const results = await processCaptured(
      this.db,
      toProcess.map((p) => p.event),
      { failBeforeCommit: group.some((p) => p.item.failProcessing) },
    );
    this.settle(toProcess, results);
  }
}

async function captureGroup(db: Database, group: Pending[]): Promise<{ pending: Pending; rawId: string; receivedAt: Date }[]> {
  const rows = await insertRawEvents(
    db,
    group.map((p) => p.item),
  );
  return group.map((pending, i) => ({ pending, rawId: rows[i]!.id, receivedAt: rows[i]!.receivedAt }));
}

/** A raw event to store: `received` (to be processed), or with the outcome reading decided. */
export type CaptureRow = Omit<GroupItem, "read" | "failProcessing"> & { read?: ReadDecision };

/**
 * The capture statement: one INSERT of every raw event of a group, each with its pending row
 * (to be processed) or with the outcome reading already decided (rejected with its reason
 * and code, not counted), in the same statement. The raw row is never written again.
 */
export async function insertRawEvents(db: Database | P.TransactionClient, items: CaptureRow[]): Promise<{ id: string; receivedAt: Date }[]> {
  // Time-ordered ids (UUIDv7): each capture appends to the right edge of raw_event's primary
  // key index instead of touching random pages of it, which costs PostgreSQL less per event.
  const ids = items.map(() => timeOrderedUuid());
  const decided = (i: CaptureRow) => (i.read === undefined || i.read.kind === "event" ? null : i.read);
  const status = (i: CaptureRow) => decided(i)?.kind ?? "received";
  const reason = (i: CaptureRow) => {
    const d = decided(i);
    return d === null ? null : d.kind === "rejected" ? d.error.message : d.reason;
  };
  const client = "prisma" in db ? db.prisma : db;
  const rows = await client.$queryRaw<{ id: string; received_at: Date }[]>`
    WITH t AS (
      SELECT * FROM unnest(${ids}::uuid[], ${items.map((i) => i.source)}::text[], ${items.map((i) => i.payloadJson)}::jsonb[],
                           ${items.map((i) => i.format)}::text[]::"RawEventFormat"[], ${items.map((i) => i.idempotencyKey)}::text[],
                           ${items.map(status)}::text[]::"RawEventStatus"[], ${items.map(reason)}::text[],
                           ${items.map((i) => (i.read?.kind === "rejected" ? i.read.error.code : null))}::text[],
                           ${items.map((i) => i.nextAttemptAt.toISOString())}::timestamptz[])
        AS t(id, source, payload, format, idempotency_key, status, reason, reason_code, next_attempt_at)),
    raw AS (
      INSERT INTO raw_event (id, source, payload, format, idempotency_key)
      SELECT id, source, payload, format, idempotency_key FROM t
      RETURNING id, received_at),
    pending AS (
      INSERT INTO raw_event_pending (raw_event_id, next_attempt_at)
      SELECT id, next_attempt_at FROM t WHERE status = 'received'),
    decided AS (
      INSERT INTO raw_event_outcome (raw_event_id, status, reason, reason_code)
      SELECT id, status, reason, reason_code FROM t WHERE status <> 'received')
    SELECT id::text AS id, received_at FROM raw`;
  const receivedAt = new Map(rows.map((r) => [r.id, new Date(r.received_at)]));
  return ids.map((id) => ({ id, receivedAt: receivedAt.get(id) ?? new Date() }));
}

/** An outcome decided for a captured event outside the group statements (read or refused on its own). */
export interface DecidedOutcome {
  status: "rejected" | "failed" | "not_counted";
  reason: string;
  reasonCode: string | null;
}

/**
 * Finishes a pending raw event with an outcome decided on its own: deletes its pending row and
 * records the outcome, in one statement. False when it was no longer pending (someone else
 * finished it first): then nothing is written.
 */
export async function finishPending(db: Database, rawId: string, outcome: DecidedOutcome): Promise<boolean> {
  const n = await db.prisma.$executeRaw`
    WITH done AS (DELETE FROM raw_event_pending WHERE raw_event_id = ${rawId}::uuid RETURNING raw_event_id, attempts)
    INSERT INTO raw_event_outcome (raw_event_id, status, reason, reason_code, attempts)
    SELECT raw_event_id, ${outcome.status}::text::"RawEventStatus", ${outcome.reason}, ${outcome.reasonCode}, attempts FROM done`;
  return n > 0;
}

/** The database could not be reached at all (no connection, or it was lost or refused), as opposed to a statement that failed. */
function isConnectionFailure(err: unknown): boolean {
  if (err instanceof AppError || classifyDatabaseError(err) !== "unavailable") return false;
  const state = sqlStateOf(err);
  // 08: connection exception; 57P: the server is shutting down, crashed or starting.
  return state === undefined || /^(08|57P)/.test(state);
}

/** One result per event: its outcome, or the failure its request is answered with. */
export type ProcessResult = ProcessOutcome | { failure: unknown };

/**
 * Processes captured events: one transaction for all of them; on an error tied to the data,
 * one transaction per event (a few at a time), and an event the database still refuses on
 * its own is stored `failed`. Shared by the request path and the recovery worker.
 */
export async function processCaptured(db: Database, events: CapturedEvent[], opts: { failBeforeCommit?: boolean } = {}): Promise<ProcessResult[]> {
  try {
    return await processGroup(db, events, opts);
  } catch (err) {
    if (err instanceof AppError || !isDataError(err)) return events.map(() => ({ failure: err }));
    if (events.length === 1) return [await failAlone(db, events[0]!, err)];
  }
  // Isolate the event at fault: one transaction per event, a few at a time.
  const results: ProcessResult[] = new Array(events.length);
  await mapLimited(events, 4, async (e, i) => {
    try {
      results[i] = (await processGroup(db, [e]))[0]!;
    } catch (err) {
      results[i] = err instanceof AppError || !isDataError(err) ? { failure: err } : await failAlone(db, e, err);
    }
  });
  return results;
}

/**
 * An event whose processing failed on its own. Refused by the database for good (a data
 * error): stored `failed` with the database's words as its reason (for the operator; the
 * answer carries a fixed message). Anything else (a conflict, an error we do not recognise)
 * is left `received` for the recovery worker, and its request gets the error.
 */
async function failAlone(db: Database, e: CapturedEvent, err: unknown): Promise<ProcessResult> {
  if (classifyDatabaseError(err) !== "data") return { failure: err };
  try {
    const finished = await finishPending(db, e.rawId, { status: "failed", reason: `the database refused this event: ${errorSummary(err)}`, reasonCode: "EVENT_FAILED" });
    // Finished by someone else meanwhile (the worker, or a client's retry): answer as they did.
    if (!finished) return await outcomeOfRaw(db.prisma, e.rawId);
  } catch (markErr) {
    return { failure: markErr };
  }
  return { outcome: "failed", error: eventFailedError(err) };
}

/**
 * One transaction for the whole group, in two statements; returns each event's outcome,
 * in order. Statement 1 locks the group's pending rows, inserts the first event of each
 * dedup key and deletes the pending rows of those it inserted (an event the worker had
 * retried also gets an outcome row, to keep its attempts). Statement 2 runs in a fresh
 * snapshot, so it sees keys another transaction committed while statement 1 waited on them:
 * it records every other event as `deduplicated` (same content, or the same key where the key
 * alone names the event: the SDK protocols) or `rejected` (a key reused for different content) and deletes their pending rows, then adds what statement 1
 * inserted to the rollups. The raw rows themselves are only read.
 */
async function processGroup(db: Database, group: CapturedEvent[], opts: { failBeforeCommit?: boolean } = {}): Promise<ProcessOutcome[]> {
  return db.prisma.$transaction(async (tx) => {
    // Within the group, the first event of each dedup key is the candidate to insert.
    const candidates = new Map<string, CapturedEvent>();
    for (const c of group) {
      if (!candidates.has(c.identity.dedupKey)) candidates.set(c.identity.dedupKey, c);
    }
    const rows = [...candidates.values()];
    const first = await tx.$queryRaw<{ kind: "locked" | "inserted"; raw_id: string; pid: bigint | null }[]>`
      WITH locked AS (
        SELECT raw_event_id AS id FROM raw_event_pending WHERE raw_event_id = ANY(${group.map((c) => c.rawId)}::uuid[])
        ORDER BY raw_event_id FOR UPDATE),
      v AS (
        SELECT * FROM unnest(${rows.map((c) => c.identity.dedupKey)}::text[], ${rows.map((c) => c.identity.contentHash)}::text[],
                             ${rows.map((c) => c.event.source)}::text[], ${rows.map((c) => c.event.metric)}::text[], ${rows.map((c) => String(c.event.value))}::numeric[],
                             ${rows.map((c) => c.event.timestamp ?? c.receivedAt.toISOString())}::timestamptz[],
                             ${rows.map((c) => JSON.stringify(c.event.attributes))}::jsonb[], ${rows.map((c) => c.rawId)}::uuid[])
          AS v(dedup_key, content_hash, source, metric, value, occurred_at, attributes, raw_event_id)
        WHERE raw_event_id IN (SELECT id FROM locked)),
      ins AS (
        INSERT INTO processed_event (dedup_key, content_hash, source, metric, value, occurred_at, attributes, raw_event_id)
        SELECT * FROM v ORDER BY dedup_key
        ON CONFLICT (dedup_key) DO NOTHING
        RETURNING id, dedup_key, raw_event_id),
      done AS (
        DELETE FROM raw_event_pending AS q USING ins WHERE q.raw_event_id = ins.raw_event_id
        RETURNING q.raw_event_id, q.attempts, ins.id AS pid),
      retried AS (
        INSERT INTO raw_event_outcome (raw_event_id, status, processed_event_id, attempts)
        SELECT raw_event_id, 'counted', pid, attempts FROM done WHERE attempts > 0)
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
    const reused = (c: CapturedEvent) => keyReusedError(c.identity.explicitKey).message;
    const second = await tx.$queryRaw<{ raw_id: string; pid: bigint; same: boolean }[]>`
      WITH v AS (
        SELECT * FROM unnest(${rest.map((c) => c.rawId)}::uuid[], ${rest.map((c) => c.identity.dedupKey)}::text[],
                             ${rest.map((c) => c.identity.contentHash)}::text[], ${rest.map((c) => c.identity.keyAlone)}::boolean[], ${rest.map(reused)}::text[])
          AS v(raw_id, dedup_key, content_hash, key_alone, reason)),
      e AS (
        SELECT v.raw_id, v.reason, p.id AS pid, (v.key_alone OR p.content_hash = v.content_hash) AS same
        FROM v JOIN processed_event p ON p.dedup_key = v.dedup_key),
      done AS (
        DELETE FROM raw_event_pending AS q USING e WHERE q.raw_event_id = e.raw_id
        RETURNING q.raw_event_id, q.attempts, e.pid, e.same, e.reason),
      marked AS (
        INSERT INTO raw_event_outcome (raw_event_id, status, reason, reason_code, processed_event_id, attempts)
        SELECT raw_event_id, (CASE WHEN same THEN 'deduplicated' ELSE 'rejected' END)::"RawEventStatus",
               CASE WHEN same THEN NULL ELSE reason END, CASE WHEN same THEN NULL ELSE 'IDEMPOTENCY_KEY_REUSED' END,
               CASE WHEN same THEN pid END, attempts
        FROM done
        RETURNING raw_event_id::text AS raw_id),
      ${addToRollupsCtes(insertedIds)}
      SELECT done.raw_event_id::text AS raw_id, done.pid, done.same FROM done`;
    const byRawId = new Map(rest.map((c) => [c.rawId, c]));
    for (const r of second) {
      const c = byRawId.get(r.raw_id)!;
      outcomes.set(r.raw_id, r.same ? { outcome: "deduplicated", processedEventId: BigInt(r.pid) } : { outcome: "rejected", error: keyReusedError(c.identity.explicitKey) });
    }
    if (second.length !== rest.length) throw new Error("an event's dedup key has no processed event (its first copy was rejected or failed meanwhile)");

    // Raw rows someone else finished meanwhile (the recovery worker) are answered from their state.
    for (const c of group) if (!locked.has(c.rawId)) outcomes.set(c.rawId, await outcomeOfRaw(tx, c.rawId));
    if (opts.failBeforeCommit) throw new AppError("SIMULATED_FAILURE", "Simulated database failure after capture: processing rolled back; retry with the same event");
    return group.map((c) => outcomes.get(c.rawId)!);
  }, db.transactionOptions);
}

/** The outcome of a raw event someone else finished, read from its derived state. */
export async function outcomeOfRaw(tx: P.TransactionClient | Database["prisma"], rawId: string): Promise<ProcessOutcome> {
  return outcomeOfFinished(await tx.rawEventState.findUniqueOrThrow({ where: { id: rawId }, select: { status: true, processedEventId: true, reason: true, reasonCode: true } }));
}

async function mapLimited<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
