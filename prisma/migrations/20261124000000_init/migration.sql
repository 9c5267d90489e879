-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "RawEventStatus" AS ENUM ('received', 'processed', 'duplicate', 'rejected', 'failed');

-- CreateTable
CREATE TABLE "raw_event" (
    "id" UUID NOT NULL,
    "source" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "idempotency_key" TEXT,
    "status" "RawEventStatus" NOT NULL DEFAULT 'received',
    "reason" TEXT,
    "dedup_key" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),
    "processed_event_id" BIGINT,

    CONSTRAINT "raw_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "processed_event" (
    "id" BIGSERIAL NOT NULL,
    "dedup_key" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "value" DECIMAL(65,30) NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "attributes" JSONB NOT NULL,
    "raw_event_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "metric_aggregate" (
    "source" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "count" BIGINT NOT NULL,
    "sum" DECIMAL(65,30) NOT NULL,
    "min" DECIMAL(65,30) NOT NULL,
    "max" DECIMAL(65,30) NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "metric_aggregate_pkey" PRIMARY KEY ("source","metric")
);

-- CreateIndex
CREATE INDEX "raw_event_status_next_attempt_at_idx" ON "raw_event"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "raw_event_source_received_at_idx" ON "raw_event"("source", "received_at");

-- CreateIndex
CREATE INDEX "raw_event_processed_event_id_idx" ON "raw_event"("processed_event_id");

-- CreateIndex
CREATE UNIQUE INDEX "processed_event_dedup_key_key" ON "processed_event"("dedup_key");

-- CreateIndex
CREATE UNIQUE INDEX "processed_event_raw_event_id_key" ON "processed_event"("raw_event_id");

-- CreateIndex
CREATE INDEX "processed_event_source_metric_occurred_at_idx" ON "processed_event"("source", "metric", "occurred_at");

-- AddForeignKey
ALTER TABLE "raw_event" ADD CONSTRAINT "raw_event_processed_event_id_fkey" FOREIGN KEY ("processed_event_id") REFERENCES "processed_event"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "processed_event" ADD CONSTRAINT "processed_event_raw_event_id_fkey" FOREIGN KEY ("raw_event_id") REFERENCES "raw_event"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
