// tRPC `rollups.*`: the rollup check and rebuild for the operator (`npm run aggregates:check` and
// `aggregates:rebuild` against a running server, which is how they reach an embedded database
// the server holds). Thin: check the principal, call src/server/aggregates.
import { rollupCheckSchema, rollupRebuildSchema } from "../../../lib/rollups-schema";
import { checkRollups } from "../../aggregates/check-rollups";
import { rebuildRollups } from "../../aggregates/rebuild-rollups";
import { operatorProcedure, router } from "../trpc";

export const rollupsRouter = router({
  check: operatorProcedure("check the aggregates").output(rollupCheckSchema).query(async ({ ctx }) => {
    return checkRollups(ctx.db);
  }),
  rebuild: operatorProcedure("rebuild the aggregates").output(rollupRebuildSchema).mutation(async ({ ctx }) => {
    return rebuildRollups(ctx.db);
  }),
});
