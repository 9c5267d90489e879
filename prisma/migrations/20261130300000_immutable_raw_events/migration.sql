-- Raw events become immutable after capture: where an event stands moves out of the wide
-- raw_event row into two narrow tables (a pending row while it waits to be processed, an
-- outcome row for every outcome but a first-try count), and the status the console shows
-- is derived by the raw_event_state view. The status words become the write path's one
-- vocabulary: processed -> counted, duplicate -> deduplicated. Every existing row is carried
-- over (test/migrations-forward.test.ts fills a database under the previous schema first).

-- RenameEnumValues
ALTER TYPE "RawEventStatus" RENAME VALUE 'processed' TO 'counted';
ALTER TYPE "RawEventStatus" RENAME VALUE 'duplicate' TO 'deduplicated';

-- CreateTable
CREATE TABLE "raw_event_pending" (
    "raw_event_id" UUID NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,

    CONSTRAINT "raw_event_pending_pkey" PRIMARY KEY ("raw_event_id")
);

-- CreateTable
CREATE TABLE "raw_event_outcome" (
    "raw_event_id" UUID NOT NULL,
    "status" "RawEventStatus" NOT NULL,
    "reason" TEXT,
    "reason_code" TEXT,
    "processed_event_id" BIGINT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "decided_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "raw_event_outcome_pkey" PRIMARY KEY ("raw_event_id")
);

-- MoveData: events still waiting keep their attempts, schedule and last error.
INSERT INTO "raw_event_pending" ("raw_event_id", "attempts", "next_attempt_at", "last_error")
SELECT "id", "attempts", "next_attempt_at", "reason" FROM "raw_event" WHERE "status" = 'received';

-- MoveData: every finished event but one counted on its first try (that one is told by its
-- processed event's raw_event_id alone).
INSERT INTO "raw_event_outcome" ("raw_event_id", "status", "reason", "reason_code", "processed_event_id", "attempts", "decided_at")
SELECT r."id", r."status", r."reason", r."reason_code", r."processed_event_id", r."attempts", coalesce(r."processed_at", r."received_at")
FROM "raw_event" r
WHERE r."status" <> 'received'
  AND NOT (r."status" = 'counted' AND r."attempts" = 0
           AND EXISTS (SELECT 1 FROM "processed_event" p WHERE p."id" = r."processed_event_id" AND p."raw_event_id" = r."id"));

-- DropForeignKey
ALTER TABLE "raw_event" DROP CONSTRAINT "raw_event_processed_event_id_fkey";

-- DropIndex
DROP INDEX "raw_event_status_next_attempt_at_idx";

-- AlterTable
ALTER TABLE "raw_event" DROP COLUMN "attempts",
DROP COLUMN "dedup_key",
DROP COLUMN "next_attempt_at",
DROP COLUMN "processed_at",
DROP COLUMN "processed_event_id",
DROP COLUMN "reason",
DROP COLUMN "reason_code",
DROP COLUMN "status";

-- CreateIndex
CREATE INDEX "raw_event_pending_next_attempt_at_idx" ON "raw_event_pending"("next_attempt_at");

-- AddForeignKey
ALTER TABLE "raw_event_pending" ADD CONSTRAINT "raw_event_pending_raw_event_id_fkey" FOREIGN KEY ("raw_event_id") REFERENCES "raw_event"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "raw_event_outcome" ADD CONSTRAINT "raw_event_outcome_raw_event_id_fkey" FOREIGN KEY ("raw_event_id") REFERENCES "raw_event"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "raw_event_outcome" ADD CONSTRAINT "raw_event_outcome_processed_event_id_fkey" FOREIGN KEY ("processed_event_id") REFERENCES "processed_event"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- CreateView (Prisma Migrate does not manage views; schema.prisma declares it as RawEventState).
-- A raw event is received while it has a pending row, else what its outcome row says, else
-- counted (its processed event points back at it).
CREATE VIEW "raw_event_state" AS
SELECT r."id", r."source", r."payload", r."format", r."idempotency_key", r."received_at",
       CASE WHEN q."raw_event_id" IS NOT NULL THEN 'received'::"RawEventStatus"
            WHEN o."raw_event_id" IS NOT NULL THEN o."status"
            WHEN p."id" IS NOT NULL THEN 'counted'::"RawEventStatus"
            ELSE 'received'::"RawEventStatus" END AS "status",
       coalesce(o."reason", q."last_error") AS "reason",
       o."reason_code",
       coalesce(p."id", o."processed_event_id") AS "processed_event_id",
       coalesce(p."dedup_key", d."dedup_key") AS "dedup_key",
       coalesce(q."attempts", o."attempts", 0) AS "attempts",
       q."next_attempt_at",
       CASE WHEN q."raw_event_id" IS NULL THEN coalesce(o."decided_at", p."created_at") END AS "processed_at"
FROM "raw_event" r
LEFT JOIN "raw_event_pending" q ON q."raw_event_id" = r."id"
LEFT JOIN "raw_event_outcome" o ON o."raw_event_id" = r."id"
LEFT JOIN "processed_event" p ON p."raw_event_id" = r."id"
LEFT JOIN "processed_event" d ON d."id" = o."processed_event_id";
