// What a captured payload is, decided in one place for the request path and the recovery
// worker alike: an event to count (normalized, with its identity), a payload that can never
// be counted (rejected, with the reason and code it is stored with), or an SDK call kept raw
// and not counted. Pure: the same payload, key and rules always decide the same.
import type { RawEventFormat } from "../../lib/events-schema";
import type { Config } from "../config";
import { AppError } from "../errors";
import { computeDedupKey, type EventIdentity } from "./dedup-key";
import type { NormalizedEvent } from "./normalize";
import { notCountedReason, readEvent, type ReadRules } from "./read-event";

/** What reading an event decided before it is stored: count it, or store it with its outcome. */
export type ReadDecision =
  | { kind: "event"; event: NormalizedEvent; identity: EventIdentity }
  | { kind: "rejected"; error: AppError }
  | { kind: "not_counted"; reason: string };

/** What deciding depends on besides the payload (from the configuration). */
export interface DecideRules extends ReadRules {
  /** REQUIRE_EVENT_KEY: an event without an explicit key is rejected instead of identified by content. */
  requireEventKey: boolean;
}

/** How payloads are decided under this configuration. */
export function decideRulesOf(config: Config): DecideRules {
  return { valueProperties: config.SDK_VALUE_PROPERTIES, requireEventKey: config.REQUIRE_EVENT_KEY };
}

/**
 * Decides a payload of `format` whose explicit key (explicitKeyOf: the Idempotency-Key header,
 * else the payload's own id) is `explicitKey`. A payload that cannot be counted is `rejected`
 * with an AppError naming the field at fault; other errors are thrown.
 */
export function decideEvent(
  format: RawEventFormat,
  source: string,
  payload: Record<string, unknown>,
  explicitKey: string | null,
  rules: DecideRules,
): ReadDecision {
  try {
    const read = readEvent(format, source, payload, rules);
    if (read.kind === "not_counted") return { kind: "not_counted", reason: notCountedReason(read.call) };
    if (explicitKey === null && rules.requireEventKey) return { kind: "rejected", error: eventKeyRequiredError(format) };
    return { kind: "event", event: read.event, identity: computeDedupKey(read.event, explicitKey, format) };
  } catch (err) {
    // A payload that can never be counted is kept as a `rejected` raw record: retrying will not help.
    if (err instanceof AppError) return { kind: "rejected", error: err };
    throw err;
  }
}

/** The fields that would name an event of each format explicitly. */
const keyFields: Record<RawEventFormat, string> = {
  event: "the Idempotency-Key header or payload.eventId",
  segment: "messageId",
  posthog: "uuid",
  cloudevents: "id (with its source)",
};

/** 422 under REQUIRE_EVENT_KEY for an event that carries no key, naming the fields that would do. */
export function eventKeyRequiredError(format: RawEventFormat): AppError {
  const field = format === "event" ? "payload.eventId" : keyFields[format];
  return new AppError(
    "EVENT_KEY_REQUIRED",
    `This server requires every event to carry a key (REQUIRE_EVENT_KEY): send ${keyFields[format]}`,
    { field },
  );
}
