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
import { AppError } from "../../errors";
import { runBackfill } from "../../meters/backfill";
import { createMeter, deleteMeter, getMeter, listMeters, meterOf, meterViewOf, updateMeter } from "../../meters/meters";
import { queryMeter } from "../../meters/query";
import { firstIssue } from "../../validation-issue";
import { meterReaderProcedure, operatorProcedure, router } from "../trpc";

/** A meter as tRPC answers it: the REST shape, with the backfill's progress and the events it skipped. */
export const meterViewSchema = meterSchema.extend({
  backfill: z.object({ done: z.boolean(), progress: z.number() }),
  skipped: z.number().int().meta({ description: "Matching events it could not read a value from (missing, or not a number)" }),
});

const idOrSlug = z.object({ meter: meterIdOrSlugSchema });

/** Parses `input` with a schema that depends on the meter (its group-by keys), as the REST routes do. */
function checked<S extends z.ZodType>(schema: S, input: unknown, code: "INVALID_METER" | "INVALID_QUERY"): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const { field, issue } = firstIssue(result.error);
  throw new AppError(code, issue?.message ?? `${field} is invalid`, { field });
}

export const metersRouter = router({
  list: meterReaderProcedure.output(z.array(meterViewSchema)).query(async ({ ctx }) => {
    const rows = await listMeters(ctx.db);
    return Promise.all(rows.map((m) => meterViewOf(ctx.db, m)));
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
      void runBackfill(ctx.db).catch((err: unknown) => ctx.log.warn("meter backfill stopped; the worker resumes it", { error: String(err) }));
      return meterOf(m);
    }),
  update: operatorProcedure("manage meters")
    .input(z.object({ meter: meterIdOrSlugSchema, update: z.unknown() }))
    .mutation(async ({ ctx, input }) => {
      const current = await getMeter(ctx.db, input.meter);
      const m = await updateMeter(ctx.db, current.id, checked(meterUpdateInputSchemaFor(current), input.update, "INVALID_METER"));
      void runBackfill(ctx.db).catch((err: unknown) => ctx.log.warn("meter backfill stopped; the worker resumes it", { error: String(err) }));
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
      const q = checked(meterQueryRequestSchemaFor({ groupBy: m.groupBy as Record<string, string> }), input.query ?? {}, "INVALID_QUERY");
      return queryMeter(ctx.db, m, q);
    }),
});
