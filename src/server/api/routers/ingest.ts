// tRPC `ingest` and `ingestBatch`: the one implementation behind POST /ingest and
// POST /ingest/batch as well (the REST adapter calls these procedures). Who may write which
// source, failure simulation and the per-key rate limit are checked here, before anything
// is stored (src/server/auth/principal.ts).
import { batchInputSchema, batchOutputSchema, ingestInputSchema, ingestOutputSchema } from "../../../lib/ingest-schema";
import { requireOperator, sourceForWrite } from "../../auth/principal";
import { takeRateLimit } from "../../auth/rate-limit";
import { ingestBatch } from "../../ingest/ingest-batch";
import { ingestEvent } from "../../ingest/ingest-event";
import { principalOf, writerProcedure } from "../trpc";

export const ingestProcedure = writerProcedure
  .input(ingestInputSchema)
  .output(ingestOutputSchema)
  .mutation(async ({ ctx, input, signal }) => {
    const principal = principalOf(ctx);
    if (input.simulate) requireOperator(principal, "simulate failures");
    const source = sourceForWrite(principal, input.source);
    takeRateLimit(ctx, principal, 1);
    const result = await ingestEvent(ctx, { ...input, source }, signal);
    if (result.outcome === "not_counted") throw new Error("an event of this service's own format is counted or deduplicated, never not_counted");
    return result;
  });

export const ingestBatchProcedure = writerProcedure
  .input(batchInputSchema)
  .output(batchOutputSchema)
  .mutation(({ ctx, input, signal }) => {
    const principal = principalOf(ctx);
    if (input.simulate) requireOperator(principal, "simulate failures");
    takeRateLimit(ctx, principal, input.events.length);
    return ingestBatch(ctx, input, (bodySource, field) => sourceForWrite(principal, bodySource, field), signal);
  });
