// Processing raw events already stored (the recovery worker claims them; tests make them):
// each is read as the request path reads it (read-event.ts) and processed by the same group
// code (group-commit.ts), so a recovered event is counted exactly as its request would have.
// Safe to run concurrently with anything for the same event: processing locks the raw row
// and only a `received` row is processed; a row finished meanwhile is answered from its state.
import type { RawEventFormat } from "../../lib/events-schema";
import type { Database } from "../db/database";
import { AppError } from "../errors";
import { computeDedupKey } from "./dedup-key";
import { processCaptured, type CapturedEvent, type ProcessResult } from "./group-commit";
import { notCountedReason, readEvent, type ReadRules } from "./read-event";
import { outcomeOfFinished, type ProcessOutcome } from "./outcome";

/** A raw event as stored. */
export interface StoredRawEvent {
  id: string;
  source: string;
  payload: unknown;
  format: RawEventFormat;
  idempotency_key: string | null;
  received_at: Date;
}

/** Processes stored `received` raw events as one group; one result each, in order. */
export async function processStoredRawEvents(db: Database, rows: StoredRawEvent[], rules: ReadRules): Promise<ProcessResult[]> {
  const results: (ProcessResult | undefined)[] = new Array(rows.length);
  const toProcess: { index: number; event: CapturedEvent }[] = [];
  for (const [index, raw] of rows.entries()) {
    const payload = (typeof raw.payload === "string" ? JSON.parse(raw.payload) : raw.payload) as Record<string, unknown>;
    try {
      const read = readEvent(raw.format, raw.source, payload, rules);
      if (read.kind === "not_counted") {
        results[index] = await settle(db, raw.id, { outcome: "not_counted" }, notCountedReason(read.call), null);
        continue;
      }
      toProcess.push({ index, event: { rawId: raw.id, receivedAt: new Date(raw.received_at), event: read.event, identity: computeDedupKey(read.event, raw.idempotency_key) } });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      // Rules changed since capture (SDK_VALUE_PROPERTIES), or a payload captured by an older version.
      results[index] = await settle(db, raw.id, { outcome: "rejected", error: err }, err.message, err.code);
    }
  }
  const processed = await processCaptured(
    db,
    toProcess.map((p) => p.event),
  );
  toProcess.forEach((p, i) => (results[p.index] = processed[i]));
  return results as ProcessResult[];
}

/** Processes one stored raw event; one already finished answers as it did the first time. */
export async function processRawEvent(db: Database, rawEventId: string, rules: ReadRules): Promise<ProcessOutcome> {
  const rows = await db.prisma.$queryRaw<(StoredRawEvent & { status: string; processed_event_id: bigint | null; reason: string | null; reason_code: string | null })[]>`
    SELECT id::text AS id, source, payload, format::text AS format, idempotency_key, received_at, status::text AS status, processed_event_id, reason, reason_code
    FROM raw_event WHERE id = ${rawEventId}::uuid`;
  const raw = rows[0];
  if (!raw) throw new Error(`raw event ${rawEventId} does not exist`);
  if (raw.status !== "received") return outcomeOfFinished({ status: raw.status, processedEventId: raw.processed_event_id, reason: raw.reason, reasonCode: raw.reason_code });
  const [result] = await processStoredRawEvents(db, [raw], rules);
  if (!result || "failure" in result) throw result?.failure ?? new Error("no result");
  return result;
}

/** Stores the outcome reading decided for a stored `received` raw event. */
async function settle(db: Database, rawId: string, outcome: ProcessOutcome, reason: string, code: string | null): Promise<ProcessOutcome> {
  const status = outcome.outcome === "not_counted" ? "not_counted" : "rejected";
  await db.prisma.$executeRaw`
    UPDATE raw_event SET status = ${status}::"RawEventStatus", reason = ${reason}, reason_code = ${code}, processed_at = now()
    WHERE id = ${rawId}::uuid AND status = 'received'`;
  return outcome;
}
