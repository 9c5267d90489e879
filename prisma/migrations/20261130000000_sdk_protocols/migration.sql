-- CreateEnum
CREATE TYPE "RawEventFormat" AS ENUM ('event', 'segment', 'posthog');

-- AlterEnum
ALTER TYPE "RawEventStatus" ADD VALUE 'not_counted';

-- AlterTable
ALTER TABLE "raw_event" ADD COLUMN     "format" "RawEventFormat" NOT NULL DEFAULT 'event';
