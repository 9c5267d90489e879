// Step 3 of the write path: one transaction that normalizes a captured raw event, claims
// its dedup key in processed_event (unique index), updates the rollup and marks the raw
// event. All or nothing.
//
// Safe to run concurrently for the same event from anywhere (the request, a client retry
// that captured its own raw copy, the recovery worker in any instance):
// - the raw row is locked FOR UPDATE and only a `received` row is processed, so one raw
//   event is processed once;
// - INSERT … ON CONFLICT DO NOTHING on the unique dedup key lets exactly one transaction
//   insert the processed event; the others wait for it to commit, see the row and become
//   duplicates. Only the inserting transaction touches the rollup, so counts stay exact.
import { AppError } from "../errors";
import type { Database } from "../db/database";
import type { Prisma as P } from "../../generated/prisma/client";
import { computeDedupKey } from "./dedup-key";
import type { RawEventFormat } from "../../lib/events-schema";
import { notCountedReason, readEvent, type ReadRules } from "./read-event";
import { addToRollupsSql } from "./rollup";

export type ProcessOutcome =
  | { outcome: "counted" | "deduplicated"; processedEventId: bigint }
  | { outcome: "not_counted" }
  | { outcome: "rejected"; error: AppError };

export interface ProcessOptions {
  /** How payloads are read (readRulesOf(config)). */
  rules: ReadRules;
  /** Simulation: throw inside the transaction, just before it would commit. */
  failBeforeCommit?: boolean;
}

interface LockedRaw {
  status: string;
  format: RawEventFormat;
  source: string;
  payload: unknown;
  idempotency_key: string | null;
  received_at: Date;
  processed_event_id: bigint | null;
  reason: string | null;
}

export async function processRawEvent(db: Database, rawEventId: string, opts: ProcessOptions): Promise<ProcessOutcome> {
  return db.prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<LockedRaw[]>`
      SELECT status::text AS status, format::text AS format, source, payload, idempotency_key, received_at, processed_event_id, reason
      FROM raw_event WHERE id = ${rawEventId}::uuid FOR UPDATE`;
    const raw = rows[0];
    if (!raw) throw new Error(`raw event ${rawEventId} does not exist`);
    if (raw.status !== "received") return outcomeOfFinished({ status: raw.status, processedEventId: raw.processed_event_id, reason: raw.reason });

    const outcome = await processLocked(tx, rawEventId, raw, opts.rules);
    if (opts.failBeforeCommit) throw new AppError("SIMULATED_FAILURE", "Simulated failure after capture: processing rolled back");
    return outcome;
  }, db.transactionOptions);
}

async function processLocked(tx: P.TransactionClient, rawEventId: string, raw: LockedRaw, rules: ReadRules): Promise<ProcessOutcome> {
  const reject = async (error: AppError): Promise<ProcessOutcome> => {
    await tx.rawEvent.update({ where: { id: rawEventId }, data: { status: "rejected", reason: error.message, processedAt: new Date() } });
    return { outcome: "rejected", error };
  };

  let read;
  try {
    const payload = (typeof raw.payload === "string" ? JSON.parse(raw.payload) : raw.payload) as Record<string, unknown>;
    read = readEvent(raw.format, raw.source, payload, rules);
  } catch (err) {
    if (err instanceof AppError) return reject(err);
    throw err;
  }
  if (read.kind === "not_counted") {
    await tx.rawEvent.update({ where: { id: rawEventId }, data: { status: "not_counted", reason: notCountedReason(read.call), processedAt: new Date() } });
    return { outcome: "not_counted" };
  }
  const { event } = read;
  const identity = computeDedupKey(event, raw.idempotency_key);
  const occurredAt = event.timestamp ? new Date(event.timestamp) : raw.received_at;

  const inserted = await tx.processedEvent.createManyAndReturn({
    data: [
      {
        dedupKey: identity.dedupKey,
        contentHash: identity.contentHash,
        source: event.source,
        metric: event.metric,
        value: String(event.value),
        occurredAt,
        attributes: event.attributes as P.InputJsonObject,
        rawEventId,
      },
    ],
    skipDuplicates: true,
    select: { id: true },
  });

  const counted = inserted[0];
  if (counted) {
    await tx.$executeRaw(addToRollupsSql([counted.id]));
    await tx.rawEvent.update({
      where: { id: rawEventId },
      data: { status: "processed", dedupKey: identity.dedupKey, processedEventId: counted.id, processedAt: new Date(), reason: null },
    });
    return { outcome: "counted", processedEventId: counted.id };
  }

  const existing = await tx.processedEvent.findUniqueOrThrow({
    where: { dedupKey: identity.dedupKey },
    select: { id: true, contentHash: true },
  });
  if (existing.contentHash !== identity.contentHash) {
    return reject(keyReusedError(identity.explicitKey));
  }
  await tx.rawEvent.update({
    where: { id: rawEventId },
    data: { status: "duplicate", dedupKey: identity.dedupKey, processedEventId: existing.id, processedAt: new Date(), reason: null },
  });
  return { outcome: "deduplicated", processedEventId: existing.id };
}

const KEY_REUSED = "was already used for a different event";

/** 422 for an explicit key re-sent with a different event (IETF Idempotency-Key draft). */
export function keyReusedError(explicitKey: string | null): AppError {
  return new AppError("IDEMPOTENCY_KEY_REUSED", `Idempotency key "${explicitKey}" ${KEY_REUSED}; use a new key for a new event`, {
    field: "idempotencyKey",
  });
}

/** The outcome of a raw event someone else already finished (worker or earlier attempt). */
export function outcomeOfFinished(raw: { status: string; processedEventId: bigint | null; reason: string | null }): ProcessOutcome {
  switch (raw.status) {
    case "processed":
      return { outcome: "counted", processedEventId: raw.processedEventId ?? 0n };
    case "duplicate":
      return { outcome: "deduplicated", processedEventId: raw.processedEventId ?? 0n };
    case "not_counted":
      return { outcome: "not_counted" };
    case "rejected":
      return {
        outcome: "rejected",
        error: raw.reason?.includes(KEY_REUSED)
          ? new AppError("IDEMPOTENCY_KEY_REUSED", raw.reason, { field: "idempotencyKey" })
          : new AppError("INVALID_EVENT", raw.reason ?? "rejected"),
      };
    default:
      throw new Error(`raw event gave up processing: ${raw.reason ?? raw.status}`);
  }
}
