// How many raw events sit in each status: lets an operator watch `received` drain to zero
// as the recovery worker catches up. Read from the narrow rows, not the derived view: every
// raw event is pending (received), has an outcome row (its status), or neither (counted on
// its first try), so three counts give all six numbers without joining a row per event.
import { rawEventStatuses, type StatusCounts } from "../../lib/events-schema";
import { Prisma } from "../../generated/prisma/client";
import type { Database } from "../db/database";

export async function countRawEventsByStatus(db: Database, filter: { source?: string } = {}): Promise<StatusCounts> {
  // A literal condition per case (not `$1 IS NULL OR …`), so the planner can use the source index.
  const where = filter.source === undefined ? Prisma.empty : Prisma.sql`WHERE r.source = ${filter.source}`;
  const [row] = await db.prisma.$queryRaw<{ total: bigint; pending: bigint; outcomes: Record<string, number> | null }[]>`
    SELECT (SELECT count(*) FROM raw_event r ${where}) AS total,
           (SELECT count(*) FROM raw_event_pending q JOIN raw_event r ON r.id = q.raw_event_id
             ${where}) AS pending,
           (SELECT json_object_agg(status, n) FROM (
              SELECT o.status::text AS status, count(*) AS n FROM raw_event_outcome o JOIN raw_event r ON r.id = o.raw_event_id
              ${where} GROUP BY o.status) AS s) AS outcomes`;
  // Every status is present, zero included, so the UI never special-cases a missing key.
  const counts = Object.fromEntries(rawEventStatuses.map((s) => [s, 0])) as StatusCounts;
  const outcomes = row?.outcomes ?? {};
  let decided = 0;
  for (const s of rawEventStatuses) {
    const n = Number(outcomes[s] ?? 0);
    counts[s] = n;
    decided += n;
  }
  counts.received = Number(row?.pending ?? 0);
  counts.counted += Number(row?.total ?? 0) - counts.received - decided;
  return counts;
}
