// The write path's fast path: a whole group captured and processed in ONE statement, so one
// round trip and one commit (docs/write-path.md, "One statement per group"). It is atomic:
// every raw event of the group is stored and every event that can be decided is finished
// (counted, deduplicated, rejected for a reused key, or stored with the outcome reading
// decided), with the rollups, or nothing is stored at all and no request has been answered.
// A raw event is therefore never lost: when the statement fails for a reason tied to the
// data, the group takes the two-stage path (capture committed first, then processing), which
// isolates the event at fault; when the database is unreachable every request gets the error.
//
// One thing a single statement cannot decide: an event whose dedup key another transaction is
// inserting at the same moment. ON CONFLICT DO NOTHING waits for that transaction, but this
// statement's snapshot cannot see the row it committed. Such an event (and the group's other
// copies of its key) is captured with a pending row instead, and processed right after by the
// two-stage code (processCaptured), which reads in a fresh snapshot.
//
// Locks: processed events are inserted in dedup-key order before any rollup row is touched,
// and rollup rows in key order, as in the two-stage path, so groups cannot deadlock.
import { Prisma } from "../../../generated/prisma/client";
import type { Database } from "../../db/database";
import type { ReadDecision } from "../decide-event";
import { addEventsToRollupsCtes } from "../rollup";
import { codeSql, keyReusedReasonSql, statusSql } from "./sql-words";

/** One event of the group: what the capture stores, and what reading decided. */
export interface GroupRow {
  rawId: string;
  source: string;
  payloadJson: string;
  format: string;
  idempotencyKey: string | null;
  nextAttemptAt: Date;
  read: ReadDecision;
}

/** What the statement decided for an event to count: finished, or left pending (a key in flight elsewhere). */
export type FastResult =
  | { rawId: string; status: "counted" | "deduplicated"; processedEventId: bigint }
  | { rawId: string; status: "rejected" }
  | { rawId: string; status: "received"; receivedAt: Date };

/**
 * Captures and processes the group in one statement (autocommit). Returns a result for each
 * row whose read decision is `event`, in the order given; rows decided otherwise (rejected,
 * not counted) are stored with their outcome and need no result.
 */
export async function captureAndProcess(db: Database, rows: GroupRow[]): Promise<FastResult[]> {
  // A pending row (a key in flight elsewhere) is retried from the group's earliest time.
  const nextAttemptAt = rows.reduce((t, r) => (r.nextAttemptAt < t ? r.nextAttemptAt : t), rows[0]!.nextAttemptAt);
  const result = (await db.query(groupStatement.text, [groupJson(rows), nextAttemptAt.toISOString()])) as {
    raw_id: string;
    status: FastResult["status"];
    pid: bigint | string | null;
    received_at: Date;
  }[];
  const byId = new Map(result.map((r) => [r.raw_id, r]));
  const out: FastResult[] = [];
  for (const row of rows) {
    if (row.read.kind !== "event") continue;
    const r = byId.get(row.rawId);
    if (!r) throw new Error(`the group statement returned no result for raw event ${row.rawId}`);
    if (r.status === "counted" || r.status === "deduplicated") out.push({ rawId: row.rawId, status: r.status, processedEventId: BigInt(r.pid!) });
    else if (r.status === "rejected") out.push({ rawId: row.rawId, status: "rejected" });
    else out.push({ rawId: row.rawId, status: "received", receivedAt: new Date(r.received_at) });
  }
  return out;
}

/**
 * The group as the statement's one parameter: a JSON array with an object per row, written
 * here rather than by JSON.stringify so that each payload's JSON text (already made for the
 * size check) goes in as it is, unescaped and unparsed. One JSON text instead of eighteen
 * array parameters: pg escaped every element of each (payloads twice over) and sent them all.
 */
function groupJson(rows: GroupRow[]): string {
  const seenKeys = new Set<string>();
  let out = "[";
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    // Ids, hashes, formats, codes and ISO times need no escaping; every other text goes through JSON.stringify.
    out += `${i === 0 ? "" : ","}{"id":"${r.rawId}","source":${JSON.stringify(r.source)},"payload":${r.payloadJson},"format":"${r.format}"`;
    if (r.idempotencyKey !== null) out += `,"idempotency_key":${JSON.stringify(r.idempotencyKey)}`;
    const read = r.read;
    if (read.kind === "rejected") {
      out += `,"decided":"rejected","reason":${JSON.stringify(read.error.message)},"reason_code":"${read.error.code}"}`;
      continue;
    }
    if (read.kind === "not_counted") {
      out += `,"decided":"not_counted","reason":${JSON.stringify(read.reason)}}`;
      continue;
    }
    const { identity, event } = read;
    // Within the group, the first event of each dedup key is the candidate to insert.
    const candidate = !seenKeys.has(identity.dedupKey);
    seenKeys.add(identity.dedupKey);
    out += `,"dedup_key":"${identity.dedupKey}","content_hash":"${identity.contentHash}","key_alone":${identity.keyAlone},"candidate":${candidate},"metric":${JSON.stringify(event.metric)},"value":"${event.value}","attributes":${JSON.stringify(event.attributes)}`;
    if (event.subject !== null) out += `,"subject":${JSON.stringify(event.subject)}`;
    if (event.data !== null) out += `,"data":${JSON.stringify(event.data)}`;
    out += event.timestamp === null ? "}" : `,"occurred_at":"${event.timestamp}"}`;
  }
  return `${out}]`;
}

/**
 * The statement: constant text, the group in $1 and the time a pending row is next tried in
 * $2. Not a named prepared statement: measured,
 * PostgreSQL's generic plan for it cost more CPU per event (about 78 µs against 60) than
 * planning each call.
 */
const groupStatement = Prisma.sql`
    WITH t AS (
      SELECT * FROM json_to_recordset(${Prisma.raw("$1")}::json)
      AS t(id uuid, source text, payload jsonb, format "RawEventFormat", idempotency_key text,
           decided text, reason text, reason_code text, dedup_key text, content_hash text, key_alone boolean, candidate boolean,
           metric text, value numeric, occurred_at timestamptz, attributes jsonb, subject text, data jsonb)),
    raw AS (
      INSERT INTO raw_event (id, source, payload, format, idempotency_key)
      SELECT id, source, payload, format, idempotency_key FROM t
      RETURNING id, received_at),
    decided AS (
      INSERT INTO raw_event_outcome (raw_event_id, status, reason, reason_code)
      SELECT id, decided::"RawEventStatus", reason, reason_code FROM t WHERE decided IS NOT NULL),
    seen AS (
      SELECT p.id, p.dedup_key, p.content_hash FROM processed_event p
      WHERE p.dedup_key IN (SELECT dedup_key FROM t WHERE dedup_key IS NOT NULL)),
    ins AS (
      INSERT INTO processed_event (dedup_key, content_hash, source, metric, value, occurred_at, attributes, subject, data, raw_event_id)
      -- An event without its own time occurred when it was received: now(), as received_at's default.
      SELECT dedup_key, content_hash, source, metric, value, coalesce(occurred_at, now()), attributes, subject, data, id FROM t
      WHERE candidate AND dedup_key NOT IN (SELECT dedup_key FROM seen)
      ORDER BY dedup_key
      ON CONFLICT (dedup_key) DO NOTHING
      RETURNING id, dedup_key, content_hash, raw_event_id, source, metric, value, occurred_at, attributes, subject, data),
    firsts AS (
      SELECT id, dedup_key, content_hash, raw_event_id FROM ins
      UNION ALL SELECT id, dedup_key, content_hash, NULL FROM seen),
    r AS (
      SELECT t.id AS raw_id, f.id AS pid, t.idempotency_key,
             CASE WHEN f.id IS NULL THEN ${statusSql("received")}
                  WHEN f.raw_event_id = t.id THEN ${statusSql("counted")}
                  WHEN t.key_alone OR f.content_hash = t.content_hash THEN ${statusSql("deduplicated")}
                  ELSE ${statusSql("rejected")} END AS status
      FROM t LEFT JOIN firsts f ON f.dedup_key = t.dedup_key
      WHERE t.dedup_key IS NOT NULL),
    pending AS (
      INSERT INTO raw_event_pending (raw_event_id, next_attempt_at)
      SELECT raw_id, ${Prisma.raw("$2")}::timestamptz FROM r WHERE status = ${statusSql("received")}),
    marked AS (
      INSERT INTO raw_event_outcome (raw_event_id, status, reason, reason_code, processed_event_id)
      SELECT raw_id, status::"RawEventStatus", CASE WHEN status = ${statusSql("rejected")} THEN ${keyReusedReasonSql("idempotency_key")} END,
             CASE WHEN status = ${statusSql("rejected")} THEN ${codeSql("IDEMPOTENCY_KEY_REUSED")} END, CASE WHEN status = ${statusSql("deduplicated")} THEN pid END
      FROM r WHERE status IN (${statusSql("deduplicated")}, ${statusSql("rejected")})),
    ${addEventsToRollupsCtes(Prisma.sql`ins`)}
    SELECT r.raw_id::text AS raw_id, r.status, r.pid, raw.received_at FROM r JOIN raw ON raw.id = r.raw_id`;
