-- GET /events: an event's re-sends by their explicit key, and the copies deduplicated against a
-- processed event (a metric filter finds them from it).

-- CreateIndex
CREATE INDEX "raw_event_idempotency_key_idx" ON "raw_event"("idempotency_key");

-- CreateIndex
CREATE INDEX "raw_event_outcome_processed_event_id_idx" ON "raw_event_outcome"("processed_event_id");
