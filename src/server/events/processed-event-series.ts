// Processed events over time, bucketed by minute or hour, computed in SQL over
// processed_event (by processing time, created_at: what an operator watching live wants).
// Buckets are aligned on epoch multiples, not on the session time zone, so PGlite and any
// PostgreSQL server agree; empty buckets are filled here so charts get a dense series.
import { bucketWindow, type TimeSeries, type timeSeriesInputSchema } from "../../lib/events-schema";
import type { Database } from "../db/database";
import type { z } from "zod";

export type ProcessedEventSeriesInput = z.output<typeof timeSeriesInputSchema>;

interface BucketRow {
  bucket_ms: number;
  count: number;
  sum: number;
}

export async function processedEventSeries(db: Database, input: ProcessedEventSeriesInput, now = new Date()): Promise<TimeSeries> {
  const { bucketMs, buckets } = bucketWindow[input.bucket];
  const lastStart = Math.floor(now.getTime() / bucketMs) * bucketMs;
  const firstStart = lastStart - (buckets - 1) * bucketMs;
  const source = input.source ?? null;
  const metric = input.metric ?? null;
  const rows = await db.prisma.$queryRaw<BucketRow[]>`
    SELECT (floor(extract(epoch FROM created_at) * 1000 / ${bucketMs}::float8) * ${bucketMs}::float8)::float8 AS bucket_ms,
           count(*)::int AS count,
           coalesce(sum(value), 0)::float8 AS sum
    FROM processed_event
    WHERE created_at >= to_timestamp(${firstStart}::float8 / 1000)
      AND (${source}::text IS NULL OR source = ${source}::text)
      AND (${metric}::text IS NULL OR metric = ${metric}::text)
    GROUP BY 1
    ORDER BY 1`;
  const byStart = new Map(rows.map((r) => [Number(r.bucket_ms), r]));
  const points = Array.from({ length: buckets }, (_, i) => {
    const start = firstStart + i * bucketMs;
    const row = byStart.get(start);
    return { start: new Date(start).toISOString(), count: row ? Number(row.count) : 0, sum: row ? Number(row.sum) : 0 };
  });
  return { bucket: input.bucket, bucketMs, points };
}
