// Processing raw events already stored (the recovery worker claims them; tests make them):
// each is decided as the request path decides it (decide-event.ts) and processed by the same group
// code (group-commit.ts), so a recovered event is counted exactly as its request would have.
// Safe to run concurrently with anything for the same event: processing locks the event's
// pending row and only a pending event is processed; one finished meanwhile is answered from
// its state.
import type { RawEventFormat } from "../../lib/events-schema";
import type { Database } from "../db/database";
import { decideEvent, type DecideRules } from "./decide-event";
import { finishPending, outcomeOfRaw, processCaptured, type CapturedEvent, type DecidedOutcome, type ProcessResult } from "./group-commit";
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
export async function processStoredRawEvents(db: Database, rows: StoredRawEvent[], rules: DecideRules): Promise<ProcessResult[]> {
  const results: (ProcessResult | undefined)[] = new Array(rows.length);
  const toProcess: { index: number; event: CapturedEvent }[] = [];
  for (const [index, raw] of rows.entries()) {
    const payload = (typeof raw.payload === "string" ? JSON.parse(raw.payload) : raw.payload) as Record<string, unknown>;
    // The stored key is the one the request decided with (explicitKeyOf, at capture).
    const read = decideEvent(raw.format, raw.source, payload, raw.idempotency_key, rules);
    if (read.kind === "not_counted") {
      results[index] = await settle(db, raw.id, { outcome: "not_counted" }, { status: "not_counted", reason: read.reason, reasonCode: null });
    } else if (read.kind === "rejected") {
      // Rules changed since capture (SDK_VALUE_PROPERTIES, REQUIRE_EVENT_KEY), or a payload captured by an older version.
      const err = read.error;
      results[index] = await settle(db, raw.id, { outcome: "rejected", error: err }, { status: "rejected", reason: err.message, reasonCode: err.code });
    } else {
      toProcess.push({ index, event: { rawId: raw.id, receivedAt: new Date(raw.received_at), event: read.event, identity: read.identity } });
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
export async function processRawEvent(db: Database, rawEventId: string, rules: DecideRules): Promise<ProcessOutcome> {
  const raw = await db.prisma.rawEventState.findUnique({
    where: { id: rawEventId },
    select: { id: true, source: true, payload: true, format: true, idempotencyKey: true, receivedAt: true, status: true, processedEventId: true, reason: true, reasonCode: true },
  });
  if (!raw) throw new Error(`raw event ${rawEventId} does not exist`);
  // Finished already (by the worker, or an earlier attempt): answered from the row just read.
  if (raw.status !== "received") return outcomeOfFinished(raw);
  const [result] = await processStoredRawEvents(db, [{ id: raw.id, source: raw.source, payload: raw.payload, format: raw.format, idempotency_key: raw.idempotencyKey, received_at: raw.receivedAt }], rules);
  if (!result || "failure" in result) throw result?.failure ?? new Error("no result");
  return result;
}

/** Records the outcome reading decided for a stored, still pending raw event. */
async function settle(db: Database, rawId: string, outcome: ProcessOutcome, decided: DecidedOutcome): Promise<ProcessOutcome> {
  return (await finishPending(db, rawId, decided)) ? outcome : outcomeOfRaw(db.prisma, rawId);
}
