// The write path for one event (README "Failure model"):
//   validate → capture (commit) → process (one transaction) → answer.
// `200` only after the processing commit; a failure before that leaves either nothing
// (before capture) or a `received` raw event the recovery worker finishes. Retrying is
// always safe, so every infrastructure failure is reported as retryable 503.
// Concurrent requests share capture and processing transactions through group commit
// (group-commit.ts); the one-by-one path (capture-raw-event.ts + process-raw-event.ts)
// serves failure simulation, the recovery worker, and GROUP_COMMIT_MAX_EVENTS=1.
// `signal` aborts when the client has left: an event not yet captured is then dropped
// (CLIENT_CLOSED), one already captured is processed to the end.
import type { FailurePoint, IngestInput, IngestOutput } from "../../lib/ingest-schema";
import type { RawEventFormat } from "../../lib/events-schema";
import type { ServerContext } from "../context";
import type { Database } from "../db/database";
import { AppError, toAppError } from "../errors";
import { captureRawEvent } from "./capture-raw-event";
import { computeDedupKey } from "./dedup-key";
import { abandoned, GroupCommitter } from "./group-commit";
import { normalizeName, type NormalizedEvent } from "./normalize";
import { processRawEvent, type ProcessOutcome } from "./process-raw-event";
import { explicitKeyOf, notCountedReason, readEvent, readRulesOf } from "./read-event";

/**
 * One event whose source is decided (by its write key, or by the body for an operator).
 * `format` says how its payload reads: this service's event (default) or an analytics SDK's
 * message, which is mapped to an event (read-event.ts).
 */
export type IngestEventInput = Omit<IngestInput, "simulate" | "source"> & { source: string; simulate?: FailurePoint; format?: RawEventFormat };

/** What became of an ingested event: counted, a duplicate, or (SDK calls) kept and not counted. */
export type IngestEventResult = IngestOutput & { outcome: "counted" | "deduplicated" | "not_counted" };

export async function ingestEvent(ctx: ServerContext, input: IngestEventInput, signal?: AbortSignal): Promise<IngestEventResult> {
  const { config } = ctx;
  const format = input.format ?? "event";
  assertSimulationAllowed(ctx, input.simulate);
  const payloadJson = JSON.stringify(input.payload);
  const size = Buffer.byteLength(payloadJson, "utf8");
  const [limit, what] = format === "event" ? [config.MAX_EVENT_BYTES, "payload"] : [config.SDK_MAX_MESSAGE_BYTES, "message"];
  const tooLarge = size > limit ? new AppError("PAYLOAD_TOO_LARGE", `${what} is ${size} bytes; the limit is ${limit} bytes per ${what === "payload" ? "event" : "message"}`, { field: what }) : null;
  // An event of this service's API over the limit is refused unstored (413). An SDK message
  // arrives inside a request already bounded by SDK_MAX_REQUEST_BYTES, and the SDKs cannot
  // be told about it (they read only the status): it is stored rejected, so the Events page
  // shows what was dropped and why.
  if (tooLarge && format === "event") throw tooLarge;
  if (input.simulate === "before-capture") throw simulated("before capture: nothing was stored");

  const source = normalizeName(input.source);
  const explicitKey = explicitKeyOf(format, input.payload, input.idempotencyKey);
  // A payload that can never be counted is kept as a `rejected` raw record and answered
  // 422 at once: retrying will not help. An SDK call that is not counted is kept as such.
  let event: NormalizedEvent | null = null;
  let rejection: AppError | null = null;
  let notCounted: string | null = null;
  try {
    if (tooLarge) throw tooLarge;
    const read = readEvent(format, source, input.payload, readRulesOf(config));
    if (read.kind === "event") event = read.event;
    else notCounted = notCountedReason(read.call);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    rejection = err;
  }

  let result: ProcessOutcome;
  try {
    if (input.simulate === "after-capture" || config.GROUP_COMMIT_MAX_EVENTS === 1 || !event) {
      if (signal?.aborted) throw abandoned();
      const raw = await captureRawEvent(ctx.db, {
        source,
        payload: input.payload,
        format,
        idempotencyKey: explicitKey,
        recoveryDelayMs: config.RECOVERY_DELAY_MS,
        ...(rejection ? { status: "rejected" as const, reason: rejection.message } : notCounted ? { status: "not_counted" as const, reason: notCounted } : {}),
      });
      result = rejection
        ? { outcome: "rejected", error: rejection }
        : notCounted
          ? { outcome: "not_counted" }
          : await processRawEvent(ctx.db, raw.id, { rules: readRulesOf(config), failBeforeCommit: input.simulate === "after-capture" });
    } else {
      result = await groupCommitter(ctx).submit(
        {
          source,
          payloadJson,
          format,
          idempotencyKey: explicitKey,
          nextAttemptAt: new Date(Date.now() + config.RECOVERY_DELAY_MS),
          event,
          identity: computeDedupKey(event, explicitKey),
        },
        signal,
      );
    }
  } catch (err) {
    throw toAppError(err);
  }
  if (result.outcome === "rejected") throw result.error;
  if (input.simulate === "after-commit") throw simulated("after commit: the event was counted but this answer was lost");
  return { success: true, deduplicated: result.outcome === "deduplicated", outcome: result.outcome };
}

/** One committer per database handle (and group size): every request of this process shares its groups. */
const committers = new WeakMap<Database, Map<number, GroupCommitter>>();

export function groupCommitter(ctx: ServerContext): GroupCommitter {
  let bySize = committers.get(ctx.db);
  if (!bySize) committers.set(ctx.db, (bySize = new Map()));
  let committer = bySize.get(ctx.config.GROUP_COMMIT_MAX_EVENTS);
  if (!committer) {
    // PGlite has one connection. On PostgreSQL two groups in flight keep the database busy
    // while the next group forms (bench: 1, 2, 4 and 8 measured; 2 was best for batches and
    // level with 1 for single events), leaving pool connections for the worker and readers.
    const flushes = ctx.db.kind === "pglite" ? 1 : Math.min(2, Math.max(1, Math.floor(ctx.config.DB_POOL_SIZE / 2)));
    committer = new GroupCommitter(ctx.db, { maxEvents: ctx.config.GROUP_COMMIT_MAX_EVENTS, maxConcurrentFlushes: flushes, rules: readRulesOf(ctx.config) });
    bySize.set(ctx.config.GROUP_COMMIT_MAX_EVENTS, committer);
  }
  return committer;
}

/** 403 when a request asks for a simulated failure on a server with simulation off. */
export function assertSimulationAllowed(ctx: ServerContext, simulate: FailurePoint | undefined): void {
  if (simulate && !ctx.config.SIMULATION_ENABLED) {
    throw new AppError("SIMULATION_DISABLED", "Failure simulation is disabled on this server (SIMULATION_ENABLED)", { field: "simulate" });
  }
}

function simulated(where: string): AppError {
  return new AppError("SIMULATED_FAILURE", `Simulated database failure ${where}; retry with the same event`);
}
