// What became of an event, in one vocabulary (src/server/ingest/outcome.ts), pure: every row of
// the table at the top of outcome.ts — the outcome, the raw status it is stored as, the reason
// code, and the answer it gives (ingest-event.ts's answer(): the body of a 200, or the error and
// its HTTP status) — and the outcome rebuilt from a stored status and code (outcomeOfFinished).
import { describe, expect, it } from "vitest";
import { RawEventStatus } from "../src/generated/prisma/enums";
import { sdkResultSchema } from "../src/lib/sdk-schema";
import { loadConfig } from "../src/server/config";
import { AppError } from "../src/server/errors";
import { decideEvent, decideRulesOf, type ReadDecision } from "../src/server/ingest/decide-event";
import { answer } from "../src/server/ingest/ingest-event";
import { eventFailedError, keyReusedError, outcomeOfFinished, type ProcessOutcome } from "../src/server/ingest/outcome";
import { notCountedReason } from "../src/server/ingest/read-event";

const rules = decideRulesOf(loadConfig({}));
const byKey = decideEvent("event", "s", { metric: "m", value: 1, eventId: "e-1" }, "e-1", rules);
const byContent = decideEvent("event", "s", { metric: "m", value: 1 }, null, rules);
const notCounted = decideEvent("segment", "s", { type: "identify", userId: "u-1" }, null, rules);
const invalid = decideEvent("event", "s", { metric: "m" }, null, rules);

/** An error's answer: its HTTP status and body. */
const errorAnswer = (e: AppError) => ({ status: e.status, body: e.toBody() });

describe("the outcome vocabulary", () => {
  it("names each finished raw status once: every status but `received`, and the SDK answers' result words", () => {
    const finished = Object.values(RawEventStatus).filter((s) => s !== "received");
    expect(new Set(finished)).toEqual(new Set(["counted", "deduplicated", "not_counted", "rejected", "failed"]));
    expect(new Set(sdkResultSchema.shape.status.options)).toEqual(new Set(finished));
  });
});

describe("each outcome's answer (the table at the top of outcome.ts)", () => {
  it("decided as the table's rows need", () => {
    expect(byKey).toMatchObject({ kind: "event", identity: { identifiedBy: "key", explicitKey: "e-1" } });
    expect(byContent).toMatchObject({ kind: "event", identity: { identifiedBy: "content", explicitKey: null } });
    expect(notCounted).toEqual({ kind: "not_counted", reason: notCountedReason("identify") });
    expect(invalid).toMatchObject({ kind: "rejected", error: { code: "INVALID_EVENT", field: "payload.value", message: "payload.value is required" } });
  });

  it.each<[string, ProcessOutcome, ReadDecision, unknown]>([
    ["counted, by key: 200 deduplicated: false", { outcome: "counted", processedEventId: 7n }, byKey, { success: true, deduplicated: false, identifiedBy: "key", outcome: "counted" }],
    ["counted, by content", { outcome: "counted", processedEventId: 7n }, byContent, { success: true, deduplicated: false, identifiedBy: "content", outcome: "counted" }],
    ["deduplicated: 200 deduplicated: true", { outcome: "deduplicated", processedEventId: 7n }, byKey, { success: true, deduplicated: true, identifiedBy: "key", outcome: "deduplicated" }],
    ["deduplicated, by content", { outcome: "deduplicated", processedEventId: 7n }, byContent, { success: true, deduplicated: true, identifiedBy: "content", outcome: "deduplicated" }],
    ["not_counted: 200, no identity", { outcome: "not_counted" }, notCounted, { success: true, deduplicated: false, outcome: "not_counted" }],
  ])("%s", (_name, result, read, expected) => {
    expect(answer(result, read, undefined)).toEqual(expected);
  });

  const tooLarge = new AppError("PAYLOAD_TOO_LARGE", "message is 40000 bytes; the limit is 32768 bytes per message", { field: "message" });
  const failed = eventFailedError(new Error("value out of range"));
  it.each<[string, AppError, ReadDecision, { status: number; body: unknown }]>([
    [
      "rejected INVALID_EVENT: 422 naming the field",
      (invalid as { error: AppError }).error,
      invalid,
      { status: 422, body: { error: { code: "INVALID_EVENT", message: "payload.value is required", field: "payload.value", retryable: false } } },
    ],
    [
      "rejected IDEMPOTENCY_KEY_REUSED: 422 naming idempotencyKey",
      keyReusedError("e-1"),
      byKey,
      {
        status: 422,
        body: {
          error: {
            code: "IDEMPOTENCY_KEY_REUSED",
            message: 'Idempotency key "e-1" was already used for a different event; use a new key for a new event',
            field: "idempotencyKey",
            retryable: false,
          },
        },
      },
    ],
    [
      "rejected PAYLOAD_TOO_LARGE: 413",
      tooLarge,
      { kind: "rejected", error: tooLarge },
      { status: 413, body: { error: { code: "PAYLOAD_TOO_LARGE", message: "message is 40000 bytes; the limit is 32768 bytes per message", field: "message", retryable: false } } },
    ],
    [
      "failed EVENT_FAILED: 500, not retryable, a fixed message",
      failed,
      byKey,
      { status: 500, body: { error: { code: "EVENT_FAILED", message: "The database refused to store this event; it is kept as failed with the reason (see the Events page)", retryable: false } } },
    ],
  ])("%s", (_name, error, read, expected) => {
    const outcome: ProcessOutcome = error.code === "EVENT_FAILED" ? { outcome: "failed", error } : { outcome: "rejected", error };
    expect(() => answer(outcome, read, undefined)).toThrow(error);
    expect(errorAnswer(error)).toEqual(expected);
  });

  it("EVENT_FAILED keeps the database's error as its cause (for the log), never in the answer", () => {
    expect(failed.cause).toEqual(new Error("value out of range"));
    expect(JSON.stringify(failed.toBody())).not.toContain("value out of range");
  });
});

describe("the outcome rebuilt from a stored status and code (outcomeOfFinished)", () => {
  const stored = (status: string, over: { processedEventId?: bigint | null; reason?: string | null; reasonCode?: string | null } = {}) => ({
    status,
    processedEventId: null,
    reason: null,
    reasonCode: null,
    ...over,
  });

  it.each<[string, ReturnType<typeof stored>, ProcessOutcome]>([
    ["counted", stored("counted", { processedEventId: 5n }), { outcome: "counted", processedEventId: 5n }],
    ["counted, its event id missing: 0", stored("counted"), { outcome: "counted", processedEventId: 0n }],
    ["deduplicated", stored("deduplicated", { processedEventId: 9n }), { outcome: "deduplicated", processedEventId: 9n }],
    ["deduplicated, its event id missing: 0", stored("deduplicated"), { outcome: "deduplicated", processedEventId: 0n }],
    ["not_counted (its reason is for the Events page)", stored("not_counted", { reason: notCountedReason("identify") }), { outcome: "not_counted" }],
  ])("%s", (_name, raw, expected) => {
    expect(outcomeOfFinished(raw)).toEqual(expected);
  });

  it.each<[string, ReturnType<typeof stored>, { code: string; message: string; field: string | undefined; status: number }]>([
    [
      "rejected INVALID_EVENT: the stored reason, no field",
      stored("rejected", { reason: "payload.value is required", reasonCode: "INVALID_EVENT" }),
      { code: "INVALID_EVENT", message: "payload.value is required", field: undefined, status: 422 },
    ],
    [
      "rejected with no code (stored before codes were): INVALID_EVENT",
      stored("rejected", { reason: "payload.metric is required" }),
      { code: "INVALID_EVENT", message: "payload.metric is required", field: undefined, status: 422 },
    ],
    ["rejected with no reason: `rejected`", stored("rejected", { reasonCode: "INVALID_EVENT" }), { code: "INVALID_EVENT", message: "rejected", field: undefined, status: 422 }],
    [
      "rejected IDEMPOTENCY_KEY_REUSED: the field rebuilt from the code",
      stored("rejected", { reason: keyReusedError("e-1").message, reasonCode: "IDEMPOTENCY_KEY_REUSED" }),
      { code: "IDEMPOTENCY_KEY_REUSED", message: keyReusedError("e-1").message, field: "idempotencyKey", status: 422 },
    ],
    [
      "rejected PAYLOAD_TOO_LARGE: 413",
      stored("rejected", { reason: "message is 40000 bytes; the limit is 32768 bytes per message", reasonCode: "PAYLOAD_TOO_LARGE" }),
      { code: "PAYLOAD_TOO_LARGE", message: "message is 40000 bytes; the limit is 32768 bytes per message", field: undefined, status: 413 },
    ],
    [
      "rejected EVENT_KEY_REQUIRED (REQUIRE_EVENT_KEY): 422",
      stored("rejected", { reason: "This server requires every event to carry a key (REQUIRE_EVENT_KEY): send messageId", reasonCode: "EVENT_KEY_REQUIRED" }),
      { code: "EVENT_KEY_REQUIRED", message: "This server requires every event to carry a key (REQUIRE_EVENT_KEY): send messageId", field: undefined, status: 422 },
    ],
    [
      "failed: EVENT_FAILED with the fixed message, never the stored reason",
      stored("failed", { reason: "the database refused this event: value out of range (SQLSTATE 22003)", reasonCode: "EVENT_FAILED" }),
      { code: "EVENT_FAILED", message: "The database refused to store this event; it is kept as failed with the reason (see the Events page)", field: undefined, status: 500 },
    ],
  ])("%s", (_name, raw, expected) => {
    const rebuilt = outcomeOfFinished(raw);
    expect(rebuilt.outcome).toBe(raw.status);
    const { error } = rebuilt as { error: AppError };
    expect(error).toBeInstanceOf(AppError);
    expect({ code: error.code, message: error.message, field: error.field, status: error.status }).toEqual(expected);
  });

  it("an error stored as its message and code is rebuilt with the same status, code and message (a field is not stored: only IDEMPOTENCY_KEY_REUSED gets its own back)", () => {
    for (const error of [keyReusedError("k"), new AppError("PAYLOAD_TOO_LARGE", "payload is 70000 bytes; the limit is 65536 bytes per event", { field: "payload" })]) {
      const rebuilt = outcomeOfFinished(stored("rejected", { reason: error.message, reasonCode: error.code })) as { error: AppError };
      expect(rebuilt.error.status).toBe(error.status);
      expect(rebuilt.error.toBody().error).toMatchObject({ code: error.code, message: error.message, retryable: false });
    }
  });

  it.each(["received", "pending", ""])("a raw event %j is not finished: throws", (status) => {
    expect(() => outcomeOfFinished(stored(status))).toThrow(new Error(`raw event is not finished: ${status}`));
  });
});
