// The write path, top to bottom (docs/write-path.md). Every event takes these stages,
// whatever route it came by (REST, tRPC, batch, SDK protocols):
//   1. check envelope: simulation allowed, size within the limit;
//   2. normalize and 3. identify (decide-event.ts, shared with the recovery worker): read the
//      payload as an event to count with the key that names it (explicitKeyOf) and its dedup
//      key, or decide it is rejected (its reason kept) or, for an SDK call, not counted;
//   4. capture and 5. process: group-queue.ts and write-group.ts, where a single event is a group of one and
//      concurrent events share one statement that captures and processes them all (one
//      round trip, one commit), or, as its fallback, one capture statement and one
//      processing transaction;
//   6. answer: `200` only after the processing commit.
// A failure before capture leaves nothing; after it, a `received` raw event the recovery
// worker finishes with the same processing code. Outages are retryable 503s; an event the
// database refuses for good is stored `failed` and answered EVENT_FAILED, not retryable.
// `signal` aborts when the client has left: an event not yet captured is then dropped
// (CLIENT_CLOSED), one already captured is processed to the end.
import type { FailurePoint, IngestInput, IngestOutput } from "../../lib/ingest-schema";
import type { RawEventFormat } from "../../lib/events-schema";
import type { ServerContext } from "../context";
import type { Database } from "../db/database";
import { AppError, toAppError } from "../errors";
import { observeGroup, observeIngest } from "../observability/metrics";
import { decideEvent, decideRulesOf, type ReadDecision } from "./decide-event";
import { GroupQueue } from "./group-queue";
import { abandoned, writeGroup, type GroupItem } from "./write-group";
import { normalizeName } from "../../lib/names";
import type { ProcessOutcome } from "./outcome";
import { explicitKeyOf } from "./read-event";

/**
 * One event whose source is decided (by its write key, or by the body for an operator).
 * `format` says how its payload reads: this service's event (default) or an analytics SDK's
 * message, which is mapped to an event (read-event.ts).
 */
export type IngestEventInput = Omit<IngestInput, "simulate" | "source"> & {
  source: string;
  simulate?: FailurePoint;
  format?: RawEventFormat;
  /** Refused by its route before it is read (an SDK call whose type is not its route's): captured `rejected` with this error. */
  refused?: AppError;
};

/**
 * What became of an ingested event: counted, a duplicate, or (SDK calls) kept and not counted,
 * and how it was identified (absent only for an SDK call not counted, which has no identity).
 */
export type IngestEventResult =
  | (IngestOutput & { outcome: "counted" | "deduplicated" })
  | { success: true; deduplicated: false; outcome: "not_counted"; identifiedBy?: undefined };

export function ingestEvent(ctx: ServerContext, input: IngestEventInput, signal?: AbortSignal): Promise<IngestEventResult> {
  return observeIngest(ctx.db, () => writeEvent(ctx, input, signal));
}

async function writeEvent(ctx: ServerContext, input: IngestEventInput, signal?: AbortSignal): Promise<IngestEventResult> {
  const item = prepareEvent(ctx, input);
  let result: ProcessOutcome;
  try {
    result = await groupCommitter(ctx).submit(item, signal);
  } catch (err) {
    throw toAppError(err);
  }
  return answer(result, item.read, input.simulate);
}

/**
 * Stages 1 to 3 for one event, before anything is stored: its group item (what its capture
 * stores and what reading decided). Throws for an event refused unstored (413, a simulated
 * failure before capture).
 */
export function prepareEvent(ctx: ServerContext, input: IngestEventInput): GroupItem {
  const { payloadJson, format, tooLarge } = checkEnvelope(ctx, input);
  if (input.simulate === "before-capture") throw simulated("before capture: nothing was stored");
  const source = normalizeName(input.source);
  const idempotencyKey = explicitKeyOf(format, input.payload, input.idempotencyKey);
  const refusal = tooLarge ?? input.refused;
  const read: ReadDecision = refusal
    ? { kind: "rejected", error: refusal }
    : decideEvent(format, source, input.payload, idempotencyKey, decideRulesOf(ctx.config));
  return {
    source,
    payloadJson,
    format,
    idempotencyKey,
    nextAttemptAt: new Date(Date.now() + ctx.config.RECOVERY_DELAY_MS),
    read,
    failProcessing: input.simulate === "after-capture",
  };
}

/** Stage 1: what must hold before anything is stored. An SDK message over its limit is stored rejected (returned as `tooLarge`). */
function checkEnvelope(
  ctx: ServerContext,
  input: IngestEventInput,
): { payloadJson: string; format: RawEventFormat; tooLarge: AppError | null } {
  const { config } = ctx;
  const format = input.format ?? "event";
  assertSimulationAllowed(ctx, input.simulate);
  const payloadJson = JSON.stringify(input.payload);
  const size = Buffer.byteLength(payloadJson, "utf8");
  const [limit, what] = format === "event" ? [config.MAX_EVENT_BYTES, "payload"] : [config.SDK_MAX_MESSAGE_BYTES, "message"];
  const tooLarge =
    size > limit
      ? new AppError(
          "PAYLOAD_TOO_LARGE",
          `${what} is ${size} bytes; the limit is ${limit} bytes per ${what === "payload" ? "event" : "message"}`,
          { field: what },
        )
      : null;
  // An event of this service's API over the limit is refused unstored (413). An SDK message
  // arrives inside a request already bounded by SDK_MAX_REQUEST_BYTES, and the SDKs cannot
  // be told about it (they read only the status): it is stored rejected, so the Events page
  // shows what was dropped and why.
  if (tooLarge && format === "event") throw tooLarge;
  return { payloadJson, format, tooLarge };
}

/** Stage 6: the answer, once processing has committed. */
export function answer(result: ProcessOutcome, read: ReadDecision, simulate: FailurePoint | undefined): IngestEventResult {
  if (result.outcome === "rejected" || result.outcome === "failed") throw result.error;
  if (simulate === "after-commit") throw simulated("after commit: the event was counted but this answer was lost");
  if (result.outcome === "not_counted") return { success: true, deduplicated: false, outcome: "not_counted" };
  if (read.kind !== "event") throw new Error(`an event decided ${read.kind} cannot be ${result.outcome}`);
  return {
    success: true,
    deduplicated: result.outcome === "deduplicated",
    identifiedBy: read.identity.identifiedBy,
    outcome: result.outcome,
  };
}

/** The group queue of the write path: events in, their outcomes out (write-group.ts does the work). */
export type GroupCommitter = GroupQueue<GroupItem, ProcessOutcome>;

/** One committer per database handle (and group shape): every request of this process shares its groups. */
const committers = new WeakMap<Database, Map<string, GroupCommitter>>();

export function groupCommitter(ctx: ServerContext): GroupCommitter {
  let bySize = committers.get(ctx.db);
  if (!bySize) committers.set(ctx.db, (bySize = new Map()));
  const shape = `${ctx.config.GROUP_COMMIT_MAX_EVENTS}:${ctx.config.GROUP_COMMIT_ONE_STATEMENT}`;
  let committer = bySize.get(shape);
  if (!committer) {
    // PGlite has one connection. On PostgreSQL two groups in flight keep the database busy
    // while the next group forms, leaving pool connections for the worker and readers; while
    // full groups wait (large batches) four may run. Bench, 2026-12-07: with 4 for every group
    // batches gained (×1.12 → ×1.18) and single events lost (×1.17 → ×0.95, p99 35 → 46 ms),
    // since small groups split the same load into more commits.
    // Without grouping (GROUP_COMMIT_MAX_EVENTS=1) events take a transaction each, as many at
    // once as the pool allows, less room for the worker and readers.
    const { DB_POOL_SIZE: pool, GROUP_COMMIT_MAX_EVENTS: maxEvents } = ctx.config;
    const half = Math.max(1, Math.floor(pool / 2));
    const [flushes, fullFlushes] =
      ctx.db.kind === "pglite" ? [1, 1] : maxEvents === 1 ? [Math.max(1, pool - 2), Math.max(1, pool - 2)] : [Math.min(2, half), Math.min(4, half)];
    const db = ctx.db;
    const oneStatement = ctx.config.GROUP_COMMIT_ONE_STATEMENT;
    committer = new GroupQueue<GroupItem, ProcessOutcome>({
      maxItems: maxEvents,
      maxConcurrentFlushes: flushes,
      maxConcurrentFullFlushes: fullFlushes,
      flush: (items) => writeGroup(db, items, oneStatement),
      // An event whose processing is to fail on purpose fails its group alone.
      alone: (item) => item.failProcessing === true,
      dropped: abandoned,
      onGroup: (size) => observeGroup(db, size),
    });
    bySize.set(shape, committer);
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
