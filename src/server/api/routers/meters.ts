// tRPC `meters.*`: the console's Meters page and `npm run meters` against a running server. The
// same operations as OpenMeter's REST routes (src/server/http/meter-routes.ts), with the same
// schemas and rules: managed by the operator, read and queried by the operator or a read key for
// every source.
import { z } from "zod";
import {
  meterCreateInputSchema,
  meterIdOrSlugSchema,
  meterQueryRequestSchemaFor,
  meterQueryResultSchema,
  meterSchema,
  meterUpdateInputSchemaFor,
} from "../../../lib/meters-schema";
import { startBackfill } from "../../meters/backfill";
import { createMeter, deleteMeter, getMeter, listMeters, meterOf, meterViewOf, meterViewsOf, updateMeter } from "../../meters/meters";
import { queryMeter } from "../../meters/query";
import { meterReaderProcedure, operatorProcedure, parsedOr, router } from "../trpc";

/** A meter as tRPC answers it: the REST shape, with the backfill's progress and the events it skipped. */
export const meterViewSchema = meterSchema.extend({
  backfill: z.object({ done: z.boolean(), progress: z.number() }),
  skipped: z.number().int().meta({ description: "Matching events it could not read a value from (missing, or not a number)" }),
});

const idOrSlug = z.object({ meter: meterIdOrSlugSchema });

export const metersRouter = router({
  list: meterReaderProcedure.output(z.array(meterViewSchema)).query(async ({ ctx }) => {
    const rows = await listMeters(ctx.db);
    return meterViewsOf(ctx.db, rows);
  }),
  get: meterReaderProcedure
    .input(idOrSlug)
    .output(meterViewSchema)
    .query(async ({ ctx, input }) => {
      return meterViewOf(ctx.db, await getMeter(ctx.db, input.meter));
    }),
  create: operatorProcedure("manage meters")
    .input(meterCreateInputSchema)
    .mutation(async ({ ctx, input }) => {
      const m = await createMeter(ctx.db, input);
      startBackfill(ctx);
      return meterOf(m);
    }),
  update: operatorProcedure("manage meters")
    .input(z.object({ meter: meterIdOrSlugSchema, update: z.unknown() }))
    .mutation(async ({ ctx, input }) => {
      const current = await getMeter(ctx.db, input.meter);
      const m = await updateMeter(ctx.db, current.id, parsedOr("INVALID_METER", meterUpdateInputSchemaFor(current), input.update));
      startBackfill(ctx);
      return meterOf(m);
    }),
  delete: operatorProcedure("manage meters")
    .input(idOrSlug)
    .mutation(async ({ ctx, input }) => {
      await deleteMeter(ctx.db, input.meter);
      return { deleted: true as const };
    }),
  query: meterReaderProcedure
    .input(z.object({ meter: meterIdOrSlugSchema, query: z.unknown() }))
    .output(meterQueryResultSchema)
    .query(async ({ ctx, input }) => {
      const m = await getMeter(ctx.db, input.meter);
      const q = parsedOr("INVALID_QUERY", meterQueryRequestSchemaFor({ groupBy: m.groupBy as Record<string, string> }), input.query ?? {});
      return queryMeter(ctx.db, m, q);
    }),
});
