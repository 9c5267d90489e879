// tRPC `rollups.*`: the rollup check and rebuild for the operator (`npm run aggregates:check` and
// `aggregates:rebuild` against a running server, which is how they reach an embedded database
// the server holds). Thin: check the principal, call src/server/aggregates.
import { rollupCheckSchema, rollupRebuildSchema } from "../../../lib/rollups-schema";
import { checkRollups } from "../../aggregates/check-rollups";
import { rebuildRollups } from "../../aggregates/rebuild-rollups";
import { requireOperator } from "../../auth/principal";
import { principalOf, publicProcedure, router } from "../trpc";

export const rollupsRouter = router({
  check: publicProcedure.output(rollupCheckSchema).query(async ({ ctx }) => {
    requireOperator(principalOf(ctx), "check the aggregates");
    return checkRollups(ctx.db);
  }),
  rebuild: publicProcedure.output(rollupRebuildSchema).mutation(async ({ ctx }) => {
    requireOperator(principalOf(ctx), "rebuild the aggregates");
    return rebuildRollups(ctx.db);
  }),
});
