// GET /events, GET /events/{id} and the tRPC events.list / events.get: captured events, newest
// first by when they were captured, each with the processed record beside it and, for a
// deduplicated event, the event it repeats. A read key bound to one source has its source
// applied before these run (the callers scope it).
//
// Rows come from the raw_event_state view (the one rule for an event's status: its pending and
// outcome rows) joined to the processed event it was counted as or deduplicated against.
// Pages are keyset-paginated on (received_at, id), so a page never shifts while new events
// arrive at the top: paging on from a cursor sees every event that was there, once.
// Which index a page is read from:
// - every filter on the raw event (source, received time, key, identity) is a condition on
//   raw_event itself, which the view passes down: raw_event(source, received_at),
//   raw_event(received_at) and raw_event(idempotency_key) serve them;
// - a filter on the processed record (metric, own time) of a metric with few events finds its
//   raw events from the processed events (processed_event(source, metric, occurred_at), and
//   raw_event_outcome(processed_event_id) for the copies deduplicated against them) and sorts
//   those; a metric with many events is read in the raw events' own order, where its events
//   are frequent enough that a page is found quickly. The rollup says which (its count).
import { Prisma } from "../../generated/prisma/client";
import { EVENTS_PAGE, type EventsPage, type EventsQuery, type EventView } from "../../lib/events-schema";
import type { Database } from "../db/database";
import { identifiedByOf } from "../ingest/dedup-key";
import { decodeEventsCursor, encodeEventsCursor, type EventsPosition } from "./events-cursor";

/** Payload and attribute bytes one page of events carries at most (plus one row). */
export const PAGE_PAYLOAD_BYTES = 1024 * 1024;

/** Below this many processed events, a metric's page is found from its processed events (then sorted). */
export const METRIC_CANDIDATES_MAX = 10_000;

interface EventRow {
  id: string;
  source: string;
  status: EventView["status"];
  format: EventView["format"];
  idempotency_key: string | null;
  reason: string | null;
  reason_code: string | null;
  received_at: Date;
  attempts: number;
  payload: unknown;
  p_id: string | null;
  metric: string | null;
  value: number | null;
  occurred_at: Date | null;
  attributes: Record<string, unknown> | null;
  dedup_key: string | null;
  p_raw_event_id: string | null;
  p_created_at: Date | null;
}

/** One event with its processed record: the select every read here shares. */
const eventSelect = Prisma.sql`
  SELECT v.id::text AS id, v.source, v.status::text AS status, v.format::text AS format, v.idempotency_key, v.reason, v.reason_code,
         v.received_at, v.attempts, v.payload,
         p.id::text AS p_id, p.metric, p.value::float8 AS value, p.occurred_at, p.attributes, p.dedup_key,
         p.raw_event_id::text AS p_raw_event_id, p.created_at AS p_created_at
  FROM raw_event_state v
  LEFT JOIN processed_event p ON p.id = v.processed_event_id`;

function toEventView(r: EventRow): EventView {
  const identifiedBy = identifiedByOf(r.idempotency_key);
  const processed =
    r.p_id === null
      ? null
      : { id: r.p_id, metric: r.metric!, value: r.value!, occurredAt: r.occurred_at!.toISOString(), attributes: r.attributes ?? {}, dedupKey: r.dedup_key! };
  return {
    id: r.id,
    source: r.source,
    status: r.status,
    format: r.format,
    identifiedBy,
    idempotencyKey: r.idempotency_key,
    reason: r.reason,
    reasonCode: r.reason_code,
    receivedAt: r.received_at.toISOString(),
    attempts: Number(r.attempts),
    payload: r.payload,
    processed,
    // A duplicate has no processed record of its own: it repeats the one it matched, by its own identity's rule.
    repeats:
      r.status === "deduplicated" && r.p_id !== null
        ? { processedEventId: r.p_id, rawEventId: r.p_raw_event_id, firstSeenAt: r.p_created_at!.toISOString(), identifiedBy }
        : null,
  };
}

/** The conditions on the processed record (alias `p`). */
function processedConditions(q: EventsQuery): Prisma.Sql[] {
  const where: Prisma.Sql[] = [];
  if (q.metric !== undefined) where.push(Prisma.sql`p.metric = ${q.metric}`);
  if (q.from !== undefined) where.push(Prisma.sql`p.occurred_at >= ${q.from}::timestamptz`);
  if (q.to !== undefined) where.push(Prisma.sql`p.occurred_at < ${q.to}::timestamptz`);
  return where;
}

/**
 * The raw events whose processed record a metric filter selects, when the metric has few
 * events (null: read the raw events in order instead). The sources come from the rollup, so
 * processed_event(source, metric, occurred_at) serves the lookup with or without a source filter.
 */
async function metricCandidates(db: Database, q: EventsQuery, most: number): Promise<Prisma.Sql | null> {
  if (q.metric === undefined) return null;
  const [group] = await db.prisma.$queryRaw<{ sources: string[] | null; count: number | null }[]>`
    SELECT array_agg(source) AS sources, sum(count)::float8 AS count FROM metric_aggregate
    WHERE metric = ${q.metric} ${q.source !== undefined ? Prisma.sql`AND source = ${q.source}` : Prisma.empty}`;
  if ((group?.count ?? 0) > most) return null;
  const where = Prisma.join([Prisma.sql`p.source = ANY(${group?.sources ?? []}::text[])`, ...processedConditions(q)], " AND ");
  return Prisma.sql`v.id IN (
    SELECT p.raw_event_id FROM processed_event p WHERE ${where} AND p.raw_event_id IS NOT NULL
    UNION ALL
    SELECT o.raw_event_id FROM processed_event p JOIN raw_event_outcome o ON o.processed_event_id = p.id WHERE ${where})`;
}

/**
 * The narrow row a status other than `counted` implies (a pending row for `received`, an
 * outcome row of that status for the others), said outright beside the view's derived status:
 * the planner can then find a rare status's events from those rows instead of deriving the
 * status of every raw event in order.
 */
function narrowStatus(status: EventsQuery["status"]): Prisma.Sql[] {
  if (status === undefined || status === "counted") return [];
  if (status === "received") return [Prisma.sql`EXISTS (SELECT 1 FROM raw_event_pending q WHERE q.raw_event_id = v.id)`];
  return [Prisma.sql`EXISTS (SELECT 1 FROM raw_event_outcome o WHERE o.raw_event_id = v.id AND o.status = ${status}::text::"RawEventStatus")`];
}

/** Every condition of a list (alias `v` for the event, `p` for its processed record). */
function listConditions(q: EventsQuery, after: EventsPosition | null): Prisma.Sql[] {
  const where: Prisma.Sql[] = [];
  if (q.source !== undefined) where.push(Prisma.sql`v.source = ${q.source}`);
  if (q.status !== undefined) where.push(Prisma.sql`v.status = ${q.status}::text::"RawEventStatus"`, ...narrowStatus(q.status));
  // identifiedByOf's rule, as a condition: a stored explicit key is `key`, none is `content`.
  if (q.identity !== undefined) where.push(q.identity === "key" ? Prisma.sql`v.idempotency_key IS NOT NULL` : Prisma.sql`v.idempotency_key IS NULL`);
  if (q.key !== undefined) where.push(Prisma.sql`v.idempotency_key = ${q.key}`);
  if (q.receivedFrom !== undefined) where.push(Prisma.sql`v.received_at >= ${q.receivedFrom}::timestamptz`);
  if (q.receivedTo !== undefined) where.push(Prisma.sql`v.received_at < ${q.receivedTo}::timestamptz`);
  where.push(...processedConditions(q));
  if (after) where.push(Prisma.sql`(v.received_at, v.id) < (${after.receivedAt}::timestamptz, ${after.id}::uuid)`);
  return where;
}

/** One page of events, newest first, and the cursor of the next page. `q.source` is already scoped. */
export async function listEvents(db: Database, q: EventsQuery, opts: { metricCandidatesMax?: number } = {}): Promise<EventsPage> {
  const after = decodeEventsCursor(q);
  const limit = q.limit ?? EVENTS_PAGE.defaultLimit;
  const candidates = await metricCandidates(db, q, opts.metricCandidatesMax ?? METRIC_CANDIDATES_MAX);
  const where = [...listConditions(q, after), ...(candidates ? [candidates] : [])];
  const rows = await db.prisma.$queryRaw<EventRow[]>`
    ${eventSelect}
    ${where.length > 0 ? Prisma.sql`WHERE ${Prisma.join(where, " AND ")}` : Prisma.empty}
    ORDER BY v.received_at DESC, v.id DESC
    LIMIT ${limit + 1}`;
  // A page also stops at about PAGE_PAYLOAD_BYTES of payloads and attributes (always at least
  // one row), so one call cannot return 200 × 2 × 64 KB: the next page starts where this one stopped.
  let kept = Math.min(rows.length, limit);
  let bytes = 0;
  for (let i = 0; i < kept; i++) {
    bytes += JSON.stringify(rows[i]!.payload).length + (rows[i]!.attributes === null ? 0 : JSON.stringify(rows[i]!.attributes).length);
    if (bytes > PAGE_PAYLOAD_BYTES && i > 0) kept = i;
  }
  const page = rows.slice(0, kept);
  const last = page.at(-1);
  return {
    items: page.map(toEventView),
    nextCursor: rows.length > page.length && last ? encodeEventsCursor(q, { receivedAt: last.received_at.toISOString(), id: last.id }) : null,
  };
}

/** One event by id, or null when there is none (or it belongs to another source than `source`, when given). */
export async function getEvent(db: Database, id: string, source?: string): Promise<EventView | null> {
  const rows = await db.prisma.$queryRaw<EventRow[]>`
    ${eventSelect}
    WHERE v.id = ${id}::uuid ${source !== undefined ? Prisma.sql`AND v.source = ${source}` : Prisma.empty}`;
  return rows[0] ? toEventView(rows[0]) : null;
}
