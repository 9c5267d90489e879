// What became of an event, in one vocabulary: the outcome the write path answers with, the
// raw event's stored status and the code stored beside its reason. An outcome read back from
// storage is rebuilt from the stored code, never from the reason's text.
//
//   outcome        raw status    reason code               answer
//   counted        processed     —                         200 deduplicated: false
//   deduplicated   duplicate     —                         200 deduplicated: true
//   not_counted    not_counted   —                         200 (SDK calls kept, not counted)
//   rejected       rejected      INVALID_EVENT, IDEMPOTENCY_KEY_REUSED, PAYLOAD_TOO_LARGE   422 / 413
//   failed         failed        EVENT_FAILED              500, not retryable
import type { RawEventStatus } from "../../generated/prisma/enums";
import { AppError, type AppErrorCode } from "../errors";

export type ProcessOutcome =
  | { outcome: "counted" | "deduplicated"; processedEventId: bigint }
  | { outcome: "not_counted" }
  | { outcome: "rejected" | "failed"; error: AppError };

/** The raw status each outcome is stored as. */
export const rawStatusOf: Record<ProcessOutcome["outcome"], RawEventStatus> = {
  counted: "processed",
  deduplicated: "duplicate",
  not_counted: "not_counted",
  rejected: "rejected",
  failed: "failed",
};

/** 422 for an explicit key re-sent with a different event (IETF Idempotency-Key draft). */
export function keyReusedError(explicitKey: string | null): AppError {
  return new AppError("IDEMPOTENCY_KEY_REUSED", `Idempotency key "${explicitKey}" was already used for a different event; use a new key for a new event`, {
    field: "idempotencyKey",
  });
}

/**
 * The database refused this one event for good (a value or constraint it will not take, an
 * error raised by a trigger): it is stored `failed`, the detail in its reason for the
 * operator, and the answer says retrying will not help, with a fixed message.
 */
export function eventFailedError(cause?: unknown): AppError {
  return new AppError("EVENT_FAILED", "The database refused to store this event; it is kept as failed with the reason (see the Events page)", { cause });
}

const rejectionField: Partial<Record<AppErrorCode, string>> = { IDEMPOTENCY_KEY_REUSED: "idempotencyKey" };

/** The outcome of a raw event someone else already finished (the worker, or an earlier attempt). */
export function outcomeOfFinished(raw: { status: string; processedEventId: bigint | null; reason: string | null; reasonCode: string | null }): ProcessOutcome {
  switch (raw.status) {
    case "processed":
      return { outcome: "counted", processedEventId: raw.processedEventId ?? 0n };
    case "duplicate":
      return { outcome: "deduplicated", processedEventId: raw.processedEventId ?? 0n };
    case "not_counted":
      return { outcome: "not_counted" };
    case "rejected": {
      const code = (raw.reasonCode ?? "INVALID_EVENT") as AppErrorCode;
      return { outcome: "rejected", error: new AppError(code, raw.reason ?? "rejected", { field: rejectionField[code] }) };
    }
    case "failed":
      return { outcome: "failed", error: eventFailedError() };
    default:
      throw new Error(`raw event is not finished: ${raw.status}`);
  }
}
