// The write path's group stage (docs/write-path.md): what a flush of the group queue does with
// its events. Every event goes through here — a single request is a group of one, concurrent
// requests in one process share their groups (group-queue.ts), and the recovery worker
// processes what it claims with the same processing code (processCaptured):
// - when nothing is to fail on purpose, the whole group is captured and processed in ONE
//   statement (store/capture-and-process.ts: one round trip, one commit, atomic). An event
//   whose key another transaction held at that moment is captured pending and finished right
//   after by the two-stage processing;
// - the two stages are the fallback (and the path of a simulated processing failure): the
//   capture statement commits every raw event of the group first (all or none: 503 for an
//   outage), events already known not to count are stored with their outcome row; then one
//   processing transaction (store/process.ts) counts them;
// - if capture or processing fails for a reason tied to the data (a value the database
//   refuses, a constraint, a raised error, a deadlock), the group falls back to one
//   statement or transaction per event, so one poison event fails alone: an event the
//   database still refuses on its own is stored `failed` with the reason and its code, and
//   answered EVENT_FAILED (not retryable); if the database is unreachable, every event fails
//   fast with 503 (and, after capture, stays `received` for the worker).
// An event is answered only after the commit that finished it; a captured event is always
// processed to the end (exactly-once relies on finishing what was captured).
import { randomFillSync } from "node:crypto";
import { v7 } from "uuid";
import type { RawEventFormat } from "../../lib/events-schema";
import type { Database } from "../db/database";
import { classifyDatabaseError, sqlStateOf } from "../db/database-errors";
import { AppError, errorSummary, isDataError } from "../errors";
import type { ReadDecision } from "./decide-event";
import type { Settled } from "./group-queue";
import { eventFailedError, keyReusedError, type ProcessOutcome } from "./outcome";
import { captureAndProcess, finishPending, insertRawEvents, outcomeOfRaw, processGroup, type CapturedEvent, type FastResult } from "./store";

// Raw event ids are UUIDv7 (time-ordered: new rows go to the right edge of the index), and
// monotonic within a process as the uuid package makes them (a counter within the same
// millisecond). The package draws each id's random bytes with a crypto.getRandomValues call
// of their own: 2.3 µs per id, 5% of a batch's CPU. Here they come from a pool filled 256
// ids at a time (0.3 µs per id), and the package is given the time and counter it would keep.
const randomPool = new Uint8Array(4096);
let poolAt = randomPool.length;
const clock = { msecs: -Infinity, seq: 0 };
function timeOrderedUuid(): string {
  if (poolAt === randomPool.length) {
    randomFillSync(randomPool);
    poolAt = 0;
  }
  const random = randomPool.subarray(poolAt, (poolAt += 16));
  const now = Date.now();
  if (now > clock.msecs) {
    // A fresh millisecond starts the counter at a random 31-bit value, as the package does.
    clock.msecs = now;
    clock.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else if ((clock.seq = (clock.seq + 1) | 0) === 0) clock.msecs++;
  return v7({ random, msecs: clock.msecs, seq: clock.seq });
}

/** One event of a group: what its capture stores, and what reading it decided. */
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

/** The answer for work dropped because its client left before it was captured. */
export function abandoned(): AppError {
  return new AppError("CLIENT_CLOSED", "The client closed the connection before its events were captured; nothing was stored");
}

const settledOf = (r: ProcessResult): Settled<ProcessOutcome> => ("failure" in r ? r : { value: r });

/** Writes a group: one settlement per item, in order. `oneStatement`: GROUP_COMMIT_ONE_STATEMENT. */
export async function writeGroup(db: Database, group: GroupItem[], oneStatement = true): Promise<Settled<ProcessOutcome>[]> {
  if (oneStatement && !group.some((item) => item.failProcessing)) {
    const done = await writeInOneStatement(db, group);
    if (done) return done.map(settledOf);
  }
  return (await writeInTwoStages(db, group)).map(settledOf);
}

/**
 * The fast path; null when the group must take the two stages instead. The statement stored
 * nothing when it failed: a lost or refused connection fails every event at once (503,
 * retried; a capture would fail the same way), anything else (an event the database refuses,
 * a missing table, a statement timeout) goes to the two stages, which capture the raw events
 * first, as the write path promises, and isolate the event at fault.
 */
async function writeInOneStatement(db: Database, group: GroupItem[]): Promise<ProcessResult[] | null> {
  const rows = group.map((item) => ({ ...item, rawId: timeOrderedUuid() }));
  let fast: FastResult[];
  try {
    fast = await captureAndProcess(db, rows);
  } catch (err) {
    if (!isConnectionFailure(err)) return null;
    return group.map(() => ({ failure: err }));
  }
  const results: ProcessResult[] = new Array(group.length);
  const left: { index: number; event: CapturedEvent }[] = [];
  let next = 0;
  group.forEach(({ read }, i) => {
    if (read.kind === "rejected") return void (results[i] = { outcome: "rejected", error: read.error });
    if (read.kind === "not_counted") return void (results[i] = { outcome: "not_counted" });
    const r = fast[next++]!;
    if (r.status === "rejected") results[i] = { outcome: "rejected", error: keyReusedError(read.identity.explicitKey) };
    else if (r.status === "received") left.push({ index: i, event: { rawId: rows[i]!.rawId, receivedAt: r.receivedAt, event: read.event, identity: read.identity } });
    else results[i] = { outcome: r.status, processedEventId: r.processedEventId };
  });
  // Events whose key another transaction was inserting meanwhile: captured pending, processed now in a fresh snapshot.
  if (left.length > 0) {
    const processed = await processCaptured(db, left.map((l) => l.event));
    left.forEach((l, i) => (results[l.index] = processed[i]!));
  }
  return results;
}

/** The two stages: capture committed first (one statement, else one per event for a data error), then processing. */
async function writeInTwoStages(db: Database, group: GroupItem[]): Promise<ProcessResult[]> {
  const results: ProcessResult[] = new Array(group.length);
  let captured: { index: number; rawId: string; receivedAt: Date }[];
  try {
    captured = (await insertRawEvents(db, group)).map((r, index) => ({ index, rawId: r.id, receivedAt: r.receivedAt }));
  } catch (err) {
    if (!isDataError(err) || group.length === 1) return group.map(() => ({ failure: err }));
    // One event the database refuses must not fail the others: capture them one by one.
    captured = [];
    for (const [index, item] of group.entries()) {
      try {
        const [r] = await insertRawEvents(db, [item]);
        captured.push({ index, rawId: r!.id, receivedAt: r!.receivedAt });
      } catch (e) {
        results[index] = { failure: e };
      }
    }
  }
  const toProcess: { index: number; event: CapturedEvent }[] = [];
  for (const c of captured) {
    const read = group[c.index]!.read;
    // Stored with their outcome by the capture itself.
    if (read.kind === "rejected") results[c.index] = { outcome: "rejected", error: read.error };
    else if (read.kind === "not_counted") results[c.index] = { outcome: "not_counted" };
    else toProcess.push({ index: c.index, event: { rawId: c.rawId, receivedAt: c.receivedAt, event: read.event, identity: read.identity } });
  }
  if (toProcess.length > 0) {
    const processed = await processCaptured(
      db,
      toProcess.map((p) => p.event),
      { failBeforeCommit: group.some((item) => item.failProcessing) },
    );
    toProcess.forEach((p, i) => (results[p.index] = processed[i]!));
  }
  return results;
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
