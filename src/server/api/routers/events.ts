// tRPC `events.*`: the operator console's read side over raw events (the events over time
// come from the rollups: aggregatesSummary with a bucket).
// Thin: parse input, call the domain function in src/server/events, validate the output.
import { rawEventsInputSchema, rawEventsPageSchema, statusCountsInputSchema, statusCountsSchema } from "../../../lib/events-schema";
import { countRawEventsByStatus } from "../../events/count-raw-events-by-status";
import { listRawEvents } from "../../events/list-raw-events";
import { scopedSource } from "../../auth/principal";
import { principalOf, publicProcedure, router, type TrpcContext } from "../trpc";

/** The input with its source filter narrowed to what the caller may read. */
const scoped = <T extends { source?: string }>(ctx: TrpcContext, input: T): T => ({ ...input, source: scopedSource(principalOf(ctx), input.source) });

export const eventsRouter = router({
  /** Raw events, newest first, cursor-paginated, filterable by status and source. */
  list: publicProcedure
    .input(rawEventsInputSchema)
    .output(rawEventsPageSchema)
    .query(({ ctx, input }) => listRawEvents(ctx.db, scoped(ctx, input))),
  /** Raw events per status (every status present). */
  statusCounts: publicProcedure
    .input(statusCountsInputSchema)
    .output(statusCountsSchema)
    .query(({ ctx, input }) => countRawEventsByStatus(ctx.db, scoped(ctx, input))),
});
