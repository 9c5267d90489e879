// tRPC `aggregates`, `aggregatesPage`, `aggregatesSummary`: the rollups per (source, metric),
// filtered, over a time window, with series, a page at a time; a read key bound to one source
// sees that source only. Thin: scope the source, call src/server/aggregates.
import { z } from "zod";
import { aggregateSchema, aggregatesInputSchema, aggregatesPageSchema, aggregatesSummaryInputSchema, aggregatesSummarySchema } from "../../../lib/aggregates-schema";
import { listAggregates, listAggregatesJson, summarizeAggregates, type AggregatesPageJson } from "../../aggregates/list-aggregates";
import { scopedSource } from "../../auth/principal";
import { invalidInput, principalOf, publicProcedure, type TrpcContext } from "../trpc";

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

/**
 * GET /aggregates: the same input schema and scope as `aggregatesPage`, answered with the rows'
 * JSON text as PostgreSQL wrote it (rest.ts sends it without parsing it and writing it again).
 */
export async function aggregatesPageJson(ctx: TrpcContext, raw: Record<string, unknown>): Promise<AggregatesPageJson> {
  const parsed = aggregatesInputSchema.safeParse(raw);
  if (!parsed.success) throw invalidInput(parsed.error);
  return listAggregatesJson(ctx.db, scoped(ctx, parsed.data));
}
