// tRPC `aggregates`: the rollup per (source, metric), optionally filtered; a read key bound
// to one source sees that source only.
import { z } from "zod";
import { aggregateSchema, aggregatesInputSchema } from "../../../lib/ingest-schema";
import { listAggregates } from "../../aggregates/list-aggregates";
import { scopedSource } from "../../auth/principal";
import { principalOf, publicProcedure } from "../trpc";

export const aggregatesProcedure = publicProcedure
  .input(aggregatesInputSchema)
  .output(z.array(aggregateSchema))
  .query(({ ctx, input }) => listAggregates(ctx.db, { ...input, source: scopedSource(principalOf(ctx), input.source) }));
