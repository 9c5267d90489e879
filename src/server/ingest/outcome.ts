// What became of an event, in one vocabulary: the outcome the write path answers with is the
// raw event's status (RawEventStatus, shown on the Events page) and the word the API's
// answers use; the code stored beside its reason says why. An outcome read back from storage
// is rebuilt from the stored code, never from the reason's text.
//
//   outcome / status   reason code                                              answer
//   counted            —                                                        200 deduplicated: false
//   deduplicated       —                                                        200 deduplicated: true
//   not_counted        —                                                        200 (SDK calls kept, not counted)
//   rejected           INVALID_EVENT, IDEMPOTENCY_KEY_REUSED, EVENT_KEY_REQUIRED,  422 / 413
//                      PAYLOAD_TOO_LARGE
//   failed             EVENT_FAILED                                             500, not retryable
//   (received: captured, not finished yet; no outcome)
import type { RawEventStatus } from "../../generated/prisma/enums";
import { AppError, type AppErrorCode } from "../errors";

/** Each outcome is named by its raw status (Extract fails to compile if a word drifts). */
export type ProcessOutcome =
  | { outcome: Extract<RawEventStatus, "counted" | "deduplicated">; processedEventId: bigint }
  | { outcome: Extract<RawEventStatus, "not_counted"> }
  | { outcome: Extract<RawEventStatus, "rejected" | "failed">; error: AppError };

/**
 * The reason stored with an event whose explicit key was re-sent with a different event. A
 * string of its own: the group statements pass one per event to count, and building an
 * Error (its stack trace) for each was 7% of a batch's CPU.
 */
export function keyReusedReason(explicitKey: string | null): string {
  return `${keyReusedReasonAround[0]}${explicitKey}${keyReusedReasonAround[1]}`;
}

/** The text around the key in keyReusedReason: the group statement writes the same reason from the stored key (sql-words.ts). */
export const keyReusedReasonAround = ['Idempotency key "', '" was already used for a different event; use a new key for a new event'] as const;

/** 422 for an explicit key re-sent with a different event (IETF Idempotency-Key draft). */
export function keyReusedError(explicitKey: string | null): AppError {
  return new AppError("IDEMPOTENCY_KEY_REUSED", keyReusedReason(explicitKey), { field: "idempotencyKey" });
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
    case "counted":
      return { outcome: "counted", processedEventId: raw.processedEventId ?? 0n };
    case "deduplicated":
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
