-- AlterTable
ALTER TABLE "raw_event" ADD COLUMN     "reason_code" TEXT;

-- Existing outcomes get their code once, here, from the reason they were stored with; from
-- now on the code is written with the outcome and never read back from text.
UPDATE "raw_event" SET "reason_code" = CASE
    WHEN "status" = 'failed' THEN 'EVENT_FAILED'
    WHEN "reason" LIKE '%was already used for a different event%' THEN 'IDEMPOTENCY_KEY_REUSED'
    ELSE 'INVALID_EVENT' END
  WHERE "status" IN ('rejected', 'failed');
