-- CreateTable
CREATE TABLE "metric_aggregate_day" (
    "source" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "day" TIMESTAMPTZ(3) NOT NULL,
    "count" BIGINT NOT NULL,
    "sum" DECIMAL(65,30) NOT NULL,
    "min" DECIMAL(65,30) NOT NULL,
    "max" DECIMAL(65,30) NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "metric_aggregate_day_pkey" PRIMARY KEY ("source","metric","day")
);

-- CreateIndex
CREATE INDEX "metric_aggregate_day_day_idx" ON "metric_aggregate_day"("day");

-- Backfill: the daily rollup of every event processed so far, days in UTC by the event's own
-- time, exactly as the write path adds them (src/server/ingest/rollup.ts). Instances of the
-- previous version still running during a rolling upgrade keep counting without it; once they
-- are gone, `npm run aggregates:check` lists the daily rows they missed and
-- `npm run aggregates:rebuild` rewrites them.
INSERT INTO "metric_aggregate_day" ("source", "metric", "day", "count", "sum", "min", "max", "first_seen_at", "last_seen_at", "updated_at")
SELECT "source", "metric", date_trunc('day', "occurred_at", 'UTC'), count(*), sum("value"), min("value"), max("value"), min("occurred_at"), max("occurred_at"), now()
FROM "processed_event"
GROUP BY 1, 2, 3;
