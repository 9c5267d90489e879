// The capture statement of the two-stage path (and of anything that stores raw events to be
// processed later: tests, imports of stored events). The raw row is never written again.
import { v7 as timeOrderedUuid } from "uuid";
import type { RawEventFormat } from "../../../lib/events-schema";
import type { Prisma as P } from "../../../generated/prisma/client";
import type { Database } from "../../db/database";
import type { ReadDecision } from "../decide-event";
import { statusSql } from "./sql-words";

/** A raw event to store: `received` (to be processed), or with the outcome reading decided. */
export interface CaptureRow {
  source: string;
  payloadJson: string;
  format: RawEventFormat;
  idempotencyKey: string | null;
  nextAttemptAt: Date;
  read?: ReadDecision;
}

/**
 * The capture statement: one INSERT of every raw event of a group, each with its pending row
 * (to be processed) or with the outcome reading already decided (rejected with its reason
 * and code, not counted), in the same statement. The raw row is never written again.
 */
export async function insertRawEvents(db: Database | P.TransactionClient, items: CaptureRow[]): Promise<{ id: string; receivedAt: Date }[]> {
  // Time-ordered ids (UUIDv7): each capture appends to the right edge of raw_event's primary
  // key index instead of touching random pages of it, which costs PostgreSQL less per event.
  const ids = items.map(() => timeOrderedUuid());
  const decided = (i: CaptureRow) => (i.read === undefined || i.read.kind === "event" ? null : i.read);
  const status = (i: CaptureRow) => decided(i)?.kind ?? "received";
  const reason = (i: CaptureRow) => {
    const d = decided(i);
    return d === null ? null : d.kind === "rejected" ? d.error.message : d.reason;
  };
  const client = "prisma" in db ? db.prisma : db;
  const rows = await client.$queryRaw<{ id: string; received_at: Date }[]>`
    WITH t AS (
      SELECT * FROM unnest(${ids}::uuid[], ${items.map((i) => i.source)}::text[], ${items.map((i) => i.payloadJson)}::jsonb[],
                           ${items.map((i) => i.format)}::text[]::"RawEventFormat"[], ${items.map((i) => i.idempotencyKey)}::text[],
                           ${items.map(status)}::text[]::"RawEventStatus"[], ${items.map(reason)}::text[],
                           ${items.map((i) => (i.read?.kind === "rejected" ? i.read.error.code : null))}::text[],
                           ${items.map((i) => i.nextAttemptAt.toISOString())}::timestamptz[])
        AS t(id, source, payload, format, idempotency_key, status, reason, reason_code, next_attempt_at)),
    raw AS (
      INSERT INTO raw_event (id, source, payload, format, idempotency_key)
      SELECT id, source, payload, format, idempotency_key FROM t
      RETURNING id, received_at),
    pending AS (
      INSERT INTO raw_event_pending (raw_event_id, next_attempt_at)
      SELECT id, next_attempt_at FROM t WHERE status = ${statusSql("received")}),
    decided AS (
      INSERT INTO raw_event_outcome (raw_event_id, status, reason, reason_code)
      SELECT id, status, reason, reason_code FROM t WHERE status <> ${statusSql("received")})
    SELECT id::text AS id, received_at FROM raw`;
  const receivedAt = new Map(rows.map((r) => [r.id, new Date(r.received_at)]));
  return ids.map((id) => ({ id, receivedAt: receivedAt.get(id) ?? new Date() }));
}
