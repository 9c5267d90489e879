-- Meters (OpenMeter's API at /api/v1): CloudEvents as a raw format, each processed event's
-- subject and CloudEvents data, the meters, and their rollups kept by the counting transaction
-- (docs/meters.md).

-- CreateEnum
CREATE TYPE "MeterAggregation" AS ENUM ('SUM', 'COUNT', 'UNIQUE_COUNT', 'AVG', 'MIN', 'MAX', 'LATEST');

-- CreateEnum
CREATE TYPE "MeterTier" AS ENUM ('minute', 'hour', 'day');

-- AlterEnum
ALTER TYPE "RawEventFormat" ADD VALUE 'cloudevents';

-- AlterTable
ALTER TABLE "processed_event" ADD COLUMN     "data" JSONB,
ADD COLUMN     "subject" TEXT;

-- CreateTable
CREATE TABLE "meter" (
    "id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "live_slug" TEXT,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "aggregation" "MeterAggregation" NOT NULL,
    "event_type" TEXT NOT NULL,
    "value_property" TEXT,
    "value_path" TEXT,
    "group_by" JSONB NOT NULL DEFAULT '{}',
    "group_names" TEXT[],
    "group_paths" TEXT[],
    "event_from" TIMESTAMPTZ(3),
    "metadata" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    "series" BIGINT NOT NULL,
    "watermark" BIGINT NOT NULL,
    "backfilled_to" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "meter_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "meter_rollup" (
    "series" BIGINT NOT NULL,
    "tier" "MeterTier" NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "subject" TEXT NOT NULL,
    "group_key" TEXT NOT NULL,
    "count" BIGINT NOT NULL,
    "skipped" BIGINT NOT NULL,
    "sum" DECIMAL(65,30),
    "min" DECIMAL(65,30),
    "max" DECIMAL(65,30),
    "latest_at" TIMESTAMPTZ(3),
    "latest_id" BIGINT,
    "latest_value" DECIMAL(65,30),

    CONSTRAINT "meter_rollup_pkey" PRIMARY KEY ("series","tier","bucket","subject","group_key")
);

-- CreateTable
CREATE TABLE "meter_distinct" (
    "series" BIGINT NOT NULL,
    "tier" "MeterTier" NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "subject" TEXT NOT NULL,
    "group_key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "meter_distinct_pkey" PRIMARY KEY ("series","tier","bucket","subject","group_key","value")
);

-- CreateTable
CREATE TABLE "meter_retired_series" (
    "series" BIGINT NOT NULL,
    "retired_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "meter_retired_series_pkey" PRIMARY KEY ("series")
);

-- CreateIndex
CREATE UNIQUE INDEX "meter_live_slug_key" ON "meter"("live_slug");

-- CreateIndex
CREATE UNIQUE INDEX "meter_series_key" ON "meter"("series");

-- CreateIndex
CREATE INDEX "meter_event_type_idx" ON "meter"("event_type");
