// Raw events for the operator console, newest first, with the processed event each one was
// counted as (or deduplicated against). Cursor pagination on (receivedAt, id), so a page is
// stable while new events keep arriving at the top. Rows come from the raw_event_state view
// (status derived from the pending and outcome rows); a filter on a status that lives in a
// narrow table (received: pending; the outcomes) finds its page there first, so a rare
// status does not scan every raw event through the view.
import { Prisma } from "../../generated/prisma/client";
import type { RawEventsPage, RawEventStatus, rawEventsInputSchema } from "../../lib/events-schema";
import type { Database } from "../db/database";
import type { z } from "zod";

/** Payload bytes one page of raw events carries at most (plus one row). */
export const PAGE_PAYLOAD_BYTES = 1024 * 1024;

export type ListRawEventsInput = z.output<typeof rawEventsInputSchema>;

export async function listRawEvents(db: Database, input: ListRawEventsInput): Promise<RawEventsPage> {
  // The raw_event_state view: each raw event with the status derived from its pending and
  // outcome rows (prisma/schema.prisma, RawEventState).
  const ids = await pageFromNarrowRows(db, input);
  const rows = await db.prisma.rawEventState.findMany({
    where:
      ids === null
        ? { ...(input.status ? { status: input.status } : {}), ...(input.source ? { source: input.source } : {}) }
        : { id: { in: ids } },
    orderBy: [{ receivedAt: "desc" }, { id: "desc" }],
    // One extra row tells whether another page exists without a count query.
    take: input.limit + 1,
    ...(input.cursor && ids === null ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    select: {
      id: true,
      source: true,
      status: true,
      format: true,
      reason: true,
      idempotencyKey: true,
      dedupKey: true,
      attempts: true,
      receivedAt: true,
      processedAt: true,
      processedEventId: true,
      payload: true,
    },
  });
  // A page also stops at about PAGE_PAYLOAD_BYTES of payloads (always at least one row), so
  // one call cannot return 200 × 64 KB: the next page starts where this one stopped.
  let kept = Math.min(rows.length, input.limit);
  let bytes = 0;
  for (let i = 0; i < kept; i++) {
    bytes += JSON.stringify(rows[i]!.payload).length;
    if (bytes > PAGE_PAYLOAD_BYTES && i > 0) kept = i;
  }
  const page = rows.slice(0, kept);
  const processedIds = [...new Set(page.flatMap((r) => (r.processedEventId === null ? [] : [r.processedEventId])))];
  const processed = new Map(
    (
      await db.prisma.processedEvent.findMany({
        where: { id: { in: processedIds } },
        select: { id: true, metric: true, value: true, occurredAt: true, rawEventId: true },
      })
    ).map((p) => [p.id, p]),
  );
  return {
    items: page.map((r) => {
      const p = r.processedEventId === null ? undefined : processed.get(r.processedEventId);
      return {
        id: r.id,
        source: r.source,
        status: r.status,
        format: r.format,
        reason: r.reason,
        idempotencyKey: r.idempotencyKey,
        dedupKey: r.dedupKey,
        attempts: r.attempts,
        receivedAt: r.receivedAt.toISOString(),
        processedAt: r.processedAt?.toISOString() ?? null,
        processedEventId: r.processedEventId?.toString() ?? null,
        processedEvent: p ? { id: p.id.toString(), metric: p.metric, value: p.value.toNumber(), occurredAt: p.occurredAt.toISOString(), rawEventId: p.rawEventId } : null,
        payload: r.payload,
      };
    }),
    nextCursor: rows.length > page.length ? (page[page.length - 1]?.id ?? null) : null,
  };
}

/**
 * The ids of one page (plus one) for a status told by a narrow table: pending rows for
 * `received`, outcome rows for the others but `counted`. Null for no filter or `counted`
 * (most raw events: the view finds them in the raw table's own order quickly).
 */
async function pageFromNarrowRows(db: Database, input: ListRawEventsInput): Promise<string[] | null> {
  const status: RawEventStatus | undefined = input.status;
  if (status === undefined || status === "counted") return null;
  const narrow =
    status === "received"
      ? Prisma.sql`JOIN raw_event_pending q ON q.raw_event_id = r.id`
      : Prisma.sql`JOIN raw_event_outcome o ON o.raw_event_id = r.id AND o.status = ${status}::text::"RawEventStatus"`;
  const conditions = [
    ...(input.source ? [Prisma.sql`r.source = ${input.source}`] : []),
    ...(input.cursor ? [Prisma.sql`(r.received_at, r.id) < (SELECT c.received_at, c.id FROM raw_event c WHERE c.id = ${input.cursor}::uuid)`] : []),
  ];
  const where = conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty;
  const rows = await db.prisma.$queryRaw<{ id: string }[]>`
    SELECT r.id::text AS id FROM raw_event r ${narrow} ${where}
    ORDER BY r.received_at DESC, r.id DESC LIMIT ${input.limit + 1}`;
  return rows.map((r) => r.id);
}
