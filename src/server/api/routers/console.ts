// tRPC `console.*`: what the operator console asks about the server itself, so a page offers
// only what this server allows (e.g. no failure simulation where SIMULATION_ENABLED is off,
// rather than a control whose use ends in 403). The console is the operator's.
import { consoleSettingsSchema } from "../../../lib/console-settings-schema";
import { requireOperator } from "../../auth/principal";
import { consoleSettings } from "../../console/console-settings";
import { principalOf, publicProcedure, router } from "../trpc";

export const consoleRouter = router({
  /** The server's settings that decide what the console offers. */
  settings: publicProcedure.output(consoleSettingsSchema).query(({ ctx }) => {
    requireOperator(principalOf(ctx), "read the console's settings");
    return consoleSettings(ctx.config);
  }),
});
