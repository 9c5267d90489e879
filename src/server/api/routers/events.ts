// tRPC `events.*`: captured events read back (the same domain functions, schemas and scope as
// GET /events and GET /events/{id}), and the console's counts per status. A read key bound to
// one source sees that source only; a write key cannot read.
// Thin: parse input, scope the source, call src/server/events, validate the output.
import { eventIdInputSchema, eventSchema, eventsPageSchema, eventsQuerySchema, statusCountsInputSchema, statusCountsSchema } from "../../../lib/events-schema";
import { countRawEventsByStatus } from "../../events/count-raw-events-by-status";
import { getEvent, listEvents } from "../../events/list-events";
import { readScope, scopedSource } from "../../auth/principal";
import { AppError } from "../../errors";
import { principalOf, publicProcedure, router, type TrpcContext } from "../trpc";

/** The input with its source filter narrowed to what the caller may read. */
const scoped = <T extends { source?: string }>(ctx: TrpcContext, input: T): T => ({ ...input, source: scopedSource(principalOf(ctx), input.source) });

/** One event, or 404: an unknown id and another source's id answer alike (existence is not told). */
export async function readEvent(ctx: TrpcContext, id: string) {
  const event = await getEvent(ctx.db, id, readScope(principalOf(ctx)).source ?? undefined);
  if (!event) throw new AppError("NOT_FOUND", `No event ${id}`, { field: "id" });
  return event;
}

/** Events, newest first, a page at a time. */
export const eventsListProcedure = publicProcedure
  .input(eventsQuerySchema)
  .output(eventsPageSchema)
  .query(({ ctx, input }) => listEvents(ctx.db, scoped(ctx, input)));

/** One event: raw, processed, and what it repeats. */
export const eventsGetProcedure = publicProcedure
  .input(eventIdInputSchema)
  .output(eventSchema)
  .query(({ ctx, input }) => readEvent(ctx, input.id));

export const eventsRouter = router({
  list: eventsListProcedure,
  get: eventsGetProcedure,
  /** Raw events per status (every status present). */
  statusCounts: publicProcedure
    .input(statusCountsInputSchema)
    .output(statusCountsSchema)
    .query(({ ctx, input }) => countRawEventsByStatus(ctx.db, scoped(ctx, input))),
});
