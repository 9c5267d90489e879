// tRPC `ingest` and `ingestBatch`: the one implementation behind POST /ingest and
// POST /ingest/batch as well (the REST adapter calls these procedures).
import { batchInputSchema, batchOutputSchema, ingestInputSchema, ingestOutputSchema } from "../../../lib/ingest-schema";
import { ingestBatch } from "../../ingest/ingest-batch";
import { ingestEvent } from "../../ingest/ingest-event";
import { publicProcedure } from "../trpc";

export const ingestProcedure = publicProcedure
  .input(ingestInputSchema)
  .output(ingestOutputSchema)
  .mutation(({ ctx, input, signal }) => ingestEvent(ctx, input, signal));

export const ingestBatchProcedure = publicProcedure
  .input(batchInputSchema)
  .output(batchOutputSchema)
  .mutation(({ ctx, input, signal }) => ingestBatch(ctx, input, signal));
