// The write path for one event (DESIGN.md "Write path and failure semantics"):
//   validate → capture (commit) → process (one transaction) → answer.
// `200` only after the processing commit; a failure before that leaves either nothing
// (before capture) or a `received` raw event the recovery worker finishes. Retrying is
// always safe, so every infrastructure failure is reported as retryable 503.
import type { FailurePoint, IngestInput, IngestOutput } from "../../lib/ingest-schema";
import type { ServerContext } from "../context";
import { AppError, toAppError } from "../errors";
import { captureRawEvent } from "./capture-raw-event";
import { normalizeEvent } from "./normalize";
import { processRawEvent } from "./process-raw-event";

export type IngestEventInput = Omit<IngestInput, "simulate"> & { simulate?: FailurePoint };

export async function ingestEvent(ctx: ServerContext, input: IngestEventInput): Promise<IngestOutput> {
  const { config } = ctx;
  if (input.simulate && !config.SIMULATION_ENABLED) {
    throw new AppError("SIMULATION_DISABLED", "Failure simulation is disabled on this server (SIMULATION_ENABLED)", { field: "simulate" });
  }
  const size = Buffer.byteLength(JSON.stringify(input.payload), "utf8");
  if (size > config.MAX_EVENT_BYTES) {
    throw new AppError("PAYLOAD_TOO_LARGE", `payload is ${size} bytes; the limit is ${config.MAX_EVENT_BYTES} bytes per event`, { field: "payload" });
  }
  if (input.simulate === "before-capture") throw simulated("before capture: nothing was stored");

  const source = input.source.trim();
  const explicitKey = input.idempotencyKey ?? stringOrNull(input.payload.eventId);
  const capture = { source, payload: input.payload, idempotencyKey: explicitKey, recoveryDelayMs: config.RECOVERY_DELAY_MS };

  // A payload that can never be counted is kept as a `rejected` raw record and answered
  // 422 at once: retrying will not help.
  try {
    normalizeEvent(source, input.payload);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    await captureRawEvent(ctx.db, { ...capture, status: "rejected", reason: err.message }).catch((e: unknown) => {
      throw toAppError(e);
    });
    throw err;
  }

  try {
    const raw = await captureRawEvent(ctx.db, capture);
    const result = await processRawEvent(ctx.db, raw.id, { failBeforeCommit: input.simulate === "after-capture" });
    if (result.outcome === "rejected") throw result.error;
    if (input.simulate === "after-commit") throw simulated("after commit: the event was counted but this answer was lost");
    return { success: true, deduplicated: result.outcome === "deduplicated" };
  } catch (err) {
    throw toAppError(err);
  }
}

function simulated(where: string): AppError {
  return new AppError("SIMULATED_FAILURE", `Simulated database failure ${where}; retry with the same event`);
}

function stringOrNull(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : null;
}
