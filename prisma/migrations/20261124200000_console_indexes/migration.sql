-- DropIndex
DROP INDEX "raw_event_processed_event_id_idx";

-- DropIndex
DROP INDEX "processed_event_source_metric_occurred_at_idx";

-- CreateIndex
CREATE INDEX "raw_event_received_at_idx" ON "raw_event"("received_at");

-- CreateIndex
CREATE INDEX "processed_event_created_at_idx" ON "processed_event"("created_at");
