// The processing statements of the two-stage path: the processing transaction of a captured
// group, finishing one pending event with an outcome decided on its own, and reading the
// outcome of one someone else finished. Shared by the request path's fallback and the worker.
import type { Prisma as P } from "../../../generated/prisma/client";
import type { Database } from "../../db/database";
import { AppError } from "../../errors";
import type { EventIdentity } from "../dedup-key";
import type { NormalizedEvent } from "../normalize";
import { keyReusedError, keyReusedReason, outcomeOfFinished, type ProcessOutcome } from "../outcome";
import { addToRollupsCtes } from "../rollup";
import { codeSql, statusSql } from "./sql-words";

/** A captured raw event that is to be counted: from a request's group, or claimed by the worker. */
export interface CapturedEvent {
  rawId: string;
  receivedAt: Date;
  event: NormalizedEvent;
  identity: EventIdentity;
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
export async function processGroup(db: Database, group: CapturedEvent[], opts: { failBeforeCommit?: boolean } = {}): Promise<ProcessOutcome[]> {
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
                             ${rows.map((c) => JSON.stringify(c.event.attributes))}::jsonb[], ${rows.map((c) => c.event.subject)}::text[],
                             ${rows.map((c) => (c.event.data === null ? null : JSON.stringify(c.event.data)))}::jsonb[], ${rows.map((c) => c.rawId)}::uuid[])
          AS v(dedup_key, content_hash, source, metric, value, occurred_at, attributes, subject, data, raw_event_id)
        WHERE raw_event_id IN (SELECT id FROM locked)),
      ins AS (
        INSERT INTO processed_event (dedup_key, content_hash, source, metric, value, occurred_at, attributes, subject, data, raw_event_id)
        SELECT * FROM v ORDER BY dedup_key
        ON CONFLICT (dedup_key) DO NOTHING
        RETURNING id, dedup_key, raw_event_id),
      done AS (
        DELETE FROM raw_event_pending AS q USING ins WHERE q.raw_event_id = ins.raw_event_id
        RETURNING q.raw_event_id, q.attempts, ins.id AS pid),
      retried AS (
        INSERT INTO raw_event_outcome (raw_event_id, status, processed_event_id, attempts)
        SELECT raw_event_id, ${statusSql("counted")}::"RawEventStatus", pid, attempts FROM done WHERE attempts > 0)
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
    const reused = (c: CapturedEvent) => keyReusedReason(c.identity.explicitKey);
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
        SELECT raw_event_id, (CASE WHEN same THEN ${statusSql("deduplicated")} ELSE ${statusSql("rejected")} END)::"RawEventStatus",
               CASE WHEN same THEN NULL ELSE reason END, CASE WHEN same THEN NULL ELSE ${codeSql("IDEMPOTENCY_KEY_REUSED")} END,
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
