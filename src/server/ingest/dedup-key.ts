// The deterministic dedup key (README "Dedup key rules").
//   contentHash = SHA-256( JCS({ source, metric, value, timestamp, attributes }) )
//   dedupKey    = explicit key given ? SHA-256( JCS({ source, idempotencyKey }) ) : contentHash
// Scoped by source: the same key or content from two sources are two events. The explicit
// key is the Idempotency-Key header, else payload.eventId. contentHash is always kept so a
// key re-sent with different content is detected (422) instead of silently deduplicated.
import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical-json";
import type { NormalizedEvent } from "./normalize";

export interface EventIdentity {
  dedupKey: string;
  contentHash: string;
  /** The explicit key the identity came from, or null when derived from content. */
  explicitKey: string | null;
}

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

export function computeDedupKey(event: NormalizedEvent, headerKey?: string | null): EventIdentity {
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
  const dedupKey = explicitKey === null ? contentHash : sha256(canonicalJson({ source: event.source, idempotencyKey: explicitKey }));
  return { dedupKey, contentHash, explicitKey };
}
