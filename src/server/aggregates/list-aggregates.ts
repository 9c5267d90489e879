// GET /aggregates: reads the rollup maintained by processRawEvent, so the cost is
// O(groups) whatever the number of events, and the numbers are exact (numeric columns).
import type { Aggregate, AggregatesInput } from "../../lib/ingest-schema";
import type { Database } from "../db/database";

export async function listAggregates(db: Database, filter: AggregatesInput = {}): Promise<Aggregate[]> {
  const rows = await db.prisma.metricAggregate.findMany({
    where: { ...(filter.source ? { source: filter.source } : {}), ...(filter.metric ? { metric: filter.metric } : {}) },
    orderBy: [{ source: "asc" }, { metric: "asc" }],
  });
  return rows.map((r) => {
    const count = Number(r.count);
    return {
      source: r.source,
      metric: r.metric,
      count,
      sum: r.sum.toNumber(),
      avg: r.sum.div(count).toNumber(),
      min: r.min.toNumber(),
      max: r.max.toNumber(),
      firstSeenAt: r.firstSeenAt.toISOString(),
      lastSeenAt: r.lastSeenAt.toISOString(),
    };
  });
}
