// The deterministic dedup key (README "Dedup key rules").
//   contentHash = SHA-256( JCS({ source, metric, value, timestamp, attributes }) )
//   dedupKey    = explicit key given ? SHA-256( JCS({ source, idempotencyKey }) ) : contentHash
// Scoped by source: the same key or content from two sources are two events; a CloudEvent's id
// is also scoped by its CloudEvents source. The explicit
// key is the Idempotency-Key header, else the payload's own id (eventId; an SDK's
// messageId/uuid). contentHash is always kept: on this service's own API a key re-sent with
// different content is a client bug, detected (422) instead of silently deduplicated. On the
// analytics SDK protocols the message id alone names the event (`keyAlone`), as the SDKs' own
// backends do: a fresh client re-sending a message stamps a new timestamp, and that re-send is
// the same event.
import { hash } from "node:crypto";
import type { RawEventFormat } from "../../lib/events-schema";
import type { IdentifiedBy } from "../../lib/ingest-schema";
import { canonicalJson } from "./canonical-json";
import type { NormalizedEvent } from "./normalize";

export interface EventIdentity {
  dedupKey: string;
  contentHash: string;
  /** The explicit key the identity came from, or null when derived from content. */
  explicitKey: string | null;
  /** How the event was identified: by its explicit key, or by its content (the answers say it). */
  identifiedBy: IdentifiedBy;
  /** True when the key alone names the event (SDK protocols): a re-send with other content is a duplicate, not a reused key. */
  keyAlone: boolean;
}

// One-shot hashing (Node ≥ 20.12): no Hash object per call; two per event to count.
const sha256 = (s: string) => hash("sha256", s, "hex");

/** How an event whose explicit key is `explicitKey` (null: none) is identified: the one rule for answers and stored events. */
export function identifiedByOf(explicitKey: string | null): IdentifiedBy {
  return explicitKey === null ? "content" : "key";
}

/** The identity of an event read from a payload of `format`; `headerKey` is the Idempotency-Key header, if any. */
export function computeDedupKey(event: NormalizedEvent, headerKey?: string | null, format: RawEventFormat = "event"): EventIdentity {
  const contentHash = sha256(
    canonicalJson({
      source: event.source,
      metric: event.metric,
      value: event.value,
      timestamp: event.timestamp,
      attributes: event.attributes,
    }),
  );
  const explicitKey = headerKey ?? event.eventId;
  // A CloudEvent's id names it within its own source (the CloudEvents rule, and OpenMeter's).
  const scope = format === "cloudevents" ? { source: event.source, cloudEventSource: event.attributes.source ?? null } : { source: event.source };
  const dedupKey = explicitKey === null ? contentHash : sha256(canonicalJson({ ...scope, idempotencyKey: explicitKey }));
  return { dedupKey, contentHash, explicitKey, identifiedBy: identifiedByOf(explicitKey), keyAlone: explicitKey !== null && format !== "event" };
}
