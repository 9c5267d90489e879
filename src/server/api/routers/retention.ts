// tRPC `retention.prune`: the operator's prune of old raw events (`npm run db:prune` against a
// running server, which is how it reaches an embedded database the server holds). Thin: check
// the principal, call src/server/ingest/prune-report.ts.
import { pruneInputSchema, pruneReportSchema } from "../../../lib/retention-schema";
import { requireOperator } from "../../auth/principal";
import { pruneWithReport } from "../../ingest/prune-report";
import { principalOf, publicProcedure, router } from "../trpc";

export const retentionRouter = router({
  prune: publicProcedure
    .input(pruneInputSchema)
    .output(pruneReportSchema)
    .mutation(async ({ ctx, input }) => {
      requireOperator(principalOf(ctx), "prune raw events");
      return pruneWithReport(ctx.db, input);
    }),
});
