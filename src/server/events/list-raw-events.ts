// Raw events for the operator console, newest first, with the processed event each one was
// counted as (or deduplicated against). Cursor pagination on (receivedAt, id) through
// Prisma's cursor, so a page is stable while new events keep arriving at the top.
import type { RawEventsPage, rawEventsInputSchema } from "../../lib/events-schema";
import type { Database } from "../db/database";
import type { z } from "zod";

/** Payload bytes one page of raw events carries at most (plus one row). */
export const PAGE_PAYLOAD_BYTES = 1024 * 1024;

export type ListRawEventsInput = z.output<typeof rawEventsInputSchema>;

export async function listRawEvents(db: Database, input: ListRawEventsInput): Promise<RawEventsPage> {
  // The raw_event_state view: each raw event with the status derived from its pending and
  // outcome rows (prisma/schema.prisma, RawEventState).
  const rows = await db.prisma.rawEventState.findMany({
    where: { ...(input.status ? { status: input.status } : {}), ...(input.source ? { source: input.source } : {}) },
    orderBy: [{ receivedAt: "desc" }, { id: "desc" }],
    // One extra row tells whether another page exists without a count query.
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
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
