// How many raw events sit in each status: lets an operator watch `received` drain to zero
// as the recovery worker catches up. One GROUP BY over the (status, next_attempt_at) index.
import { rawEventStatuses, type StatusCounts } from "../../lib/events-schema";
import type { Database } from "../db/database";

export async function countRawEventsByStatus(db: Database, filter: { source?: string } = {}): Promise<StatusCounts> {
  const groups = await db.prisma.rawEvent.groupBy({
    by: ["status"],
    where: filter.source ? { source: filter.source } : {},
    _count: { _all: true },
  });
  // Every status is present, zero included, so the UI never special-cases a missing key.
  const counts = Object.fromEntries(rawEventStatuses.map((s) => [s, 0])) as StatusCounts;
  for (const g of groups) counts[g.status] = g._count._all;
  return counts;
}
