// tRPC `aggregates`: the rollup per (source, metric), optionally filtered.
import { z } from "zod";
import { aggregateSchema, aggregatesInputSchema } from "../../../lib/ingest-schema";
import { listAggregates } from "../../aggregates/list-aggregates";
import { publicProcedure } from "../trpc";

export const aggregatesProcedure = publicProcedure
  .input(aggregatesInputSchema)
  .output(z.array(aggregateSchema))
  .query(({ ctx, input }) => listAggregates(ctx.db, input));
