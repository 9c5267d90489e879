// tRPC `events.*`: the operator console's read side over raw and processed events.
// Thin: parse input, call the domain function in src/server/events, validate the output.
import {
  rawEventsInputSchema,
  rawEventsPageSchema,
  statusCountsInputSchema,
  statusCountsSchema,
  timeSeriesInputSchema,
  timeSeriesSchema,
} from "../../../lib/events-schema";
import { countRawEventsByStatus } from "../../events/count-raw-events-by-status";
import { listRawEvents } from "../../events/list-raw-events";
import { processedEventSeries } from "../../events/processed-event-series";
import { publicProcedure, router } from "../trpc";

export const eventsRouter = router({
  /** Raw events, newest first, cursor-paginated, filterable by status and source. */
  list: publicProcedure
    .input(rawEventsInputSchema)
    .output(rawEventsPageSchema)
    .query(({ ctx, input }) => listRawEvents(ctx.db, input)),
  /** Raw events per status (every status present). */
  statusCounts: publicProcedure
    .input(statusCountsInputSchema)
    .output(statusCountsSchema)
    .query(({ ctx, input }) => countRawEventsByStatus(ctx.db, input)),
  /** Processed events per minute or hour, dense, oldest first. */
  series: publicProcedure
    .input(timeSeriesInputSchema)
    .output(timeSeriesSchema)
    .query(({ ctx, input }) => processedEventSeries(ctx.db, input)),
});
