// tRPC `retention.prune`: the operator's prune of old raw events (`npm run db:prune` against a
// running server, which is how it reaches an embedded database the server holds). Thin: check
// the principal, call src/server/ingest/prune-report.ts.
import { pruneInputSchema, pruneReportSchema } from "../../../lib/retention-schema";
import { pruneWithReport } from "../../ingest/prune-report";
import { operatorProcedure, router } from "../trpc";

export const retentionRouter = router({
  prune: operatorProcedure("prune raw events")
    .input(pruneInputSchema)
    .output(pruneReportSchema)
    .mutation(async ({ ctx, input }) => {
      return pruneWithReport(ctx.db, input);
    }),
});
