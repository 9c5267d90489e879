-- DropForeignKey
ALTER TABLE "processed_event" DROP CONSTRAINT "processed_event_raw_event_id_fkey";

-- AlterTable
ALTER TABLE "processed_event" ALTER COLUMN "raw_event_id" DROP NOT NULL;

-- AddForeignKey
ALTER TABLE "processed_event" ADD CONSTRAINT "processed_event_raw_event_id_fkey" FOREIGN KEY ("raw_event_id") REFERENCES "raw_event"("id") ON DELETE SET NULL ON UPDATE CASCADE;
