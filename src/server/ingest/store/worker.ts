// The recovery worker's statements: claiming due pending raw events, and putting one off until
// its next attempt. Safe in every instance at once: a claim is one UPDATE of the pending rows
// over a `FOR UPDATE SKIP LOCKED` sub-select that also pushes their next attempt past the
// lease, so two workers never hold the same event.
import type { RawEventFormat } from "../../../lib/events-schema";
import type { Database } from "../../db/database";

/** A claimed raw event as stored, with the attempt this claim is. */
export interface ClaimedRawEvent {
  id: string;
  source: string;
  payload: unknown;
  format: RawEventFormat;
  idempotency_key: string | null;
  received_at: Date;
  attempts: number;
}

/** Claims up to `limit` due events for `leaseMs` (their next attempt is pushed that far), oldest due first. */
export function claimDueRawEvents(db: Database, limit: number, leaseMs: number): Promise<ClaimedRawEvent[]> {
  return db.prisma.$queryRaw<ClaimedRawEvent[]>`
    WITH claimed AS (
      UPDATE raw_event_pending SET attempts = attempts + 1, next_attempt_at = now() + ${leaseMs}::float8 * interval '1 millisecond'
      WHERE raw_event_id IN (
        SELECT raw_event_id FROM raw_event_pending
        WHERE next_attempt_at <= now()
        ORDER BY next_attempt_at LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING raw_event_id, attempts)
    SELECT r.id::text AS id, r.source, r.payload, r.format::text AS format, r.idempotency_key, r.received_at, c.attempts
    FROM claimed c JOIN raw_event r ON r.id = c.raw_event_id`;
}

/** Records why an attempt failed and when the next may start, by the database's clock (instances' clocks may differ). */
export async function postponeRawEvent(db: Database, rawId: string, reason: string, delayMs: number): Promise<void> {
  await db.prisma.$executeRaw`
    UPDATE raw_event_pending SET last_error = ${reason}, next_attempt_at = now() + ${delayMs}::float8 * interval '1 millisecond'
    WHERE raw_event_id = ${rawId}::uuid`;
}
