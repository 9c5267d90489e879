// GET /aggregates: reads the rollup maintained by the write path, so the cost is
// O(groups) whatever the number of events, and the numbers are exact (numeric columns,
// converted to the nearest double only on the way out).
import type { Aggregate, AggregatesInput } from "../../lib/ingest-schema";
import type { Database } from "../db/database";

interface Row {
  source: string;
  metric: string;
  count: number;
  sum: number;
  avg: number;
  min: number;
  max: number;
  first_seen_at: Date;
  last_seen_at: Date;
}

export async function listAggregates(db: Database, filter: AggregatesInput = {}): Promise<Aggregate[]> {
  // One query, converted in SQL: no per-row Decimal objects on a path clients poll.
  const rows = await db.prisma.$queryRaw<Row[]>`
    SELECT source, metric, count::float8 AS count, sum::float8 AS sum, (sum / count)::float8 AS avg,
           min::float8 AS min, max::float8 AS max, first_seen_at, last_seen_at
    FROM metric_aggregate
    WHERE (${filter.source ?? null}::text IS NULL OR source = ${filter.source ?? null}::text)
      AND (${filter.metric ?? null}::text IS NULL OR metric = ${filter.metric ?? null}::text)
    ORDER BY source, metric`;
  return rows.map((r) => ({
    source: r.source,
    metric: r.metric,
    count: r.count,
    sum: r.sum,
    avg: r.avg,
    min: r.min,
    max: r.max,
    firstSeenAt: new Date(r.first_seen_at).toISOString(),
    lastSeenAt: new Date(r.last_seen_at).toISOString(),
  }));
}
