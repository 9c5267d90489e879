// tRPC `aggregates`, `aggregatesPage`, `aggregatesSummary`: the rollups per (source, metric),
// filtered, over a time window, with series, a page at a time; a read key bound to one source
// sees that source only. Thin: scope the source, call src/server/aggregates.
import { z } from "zod";
import { aggregateSchema, aggregatesInputSchema, aggregatesPageSchema, aggregatesSummaryInputSchema, aggregatesSummarySchema } from "../../../lib/aggregates-schema";
import { listAggregates, summarizeAggregates } from "../../aggregates/list-aggregates";
import { scopedSource } from "../../auth/principal";
import { principalOf, publicProcedure, type TrpcContext } from "../trpc";

/** The input with its source filter narrowed to what the caller may read. */
const scoped = <T extends { source?: string }>(ctx: TrpcContext, input: T): T => ({ ...input, source: scopedSource(principalOf(ctx), input.source) });

/** One page of rows, as a plain array (what GET /aggregates answers; the next page's cursor is in aggregatesPage). */
export const aggregatesProcedure = publicProcedure
  .input(aggregatesInputSchema)
  .output(z.array(aggregateSchema))
  .query(async ({ ctx, input }) => (await listAggregates(ctx.db, scoped(ctx, input))).items);

/** One page of rows and the cursor of the next. */
export const aggregatesPageProcedure = publicProcedure
  .input(aggregatesInputSchema)
  .output(aggregatesPageSchema)
  .query(({ ctx, input }) => listAggregates(ctx.db, scoped(ctx, input)));

/** Every group the filters and window select, counted (not one page); with bucket, their events over time. */
export const aggregatesSummaryProcedure = publicProcedure
  .input(aggregatesSummaryInputSchema)
  .output(aggregatesSummarySchema)
  .query(({ ctx, input }) => summarizeAggregates(ctx.db, scoped(ctx, input)));
