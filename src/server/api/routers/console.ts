// tRPC `console.*`: what the operator console asks about the server itself, so a page offers
// only what this server allows (e.g. no failure simulation where SIMULATION_ENABLED is off,
// rather than a control whose use ends in 403). The console is the operator's.
import { consoleSettingsSchema } from "../../../lib/console-settings-schema";
import { consoleSettings } from "../../console/console-settings";
import { operatorProcedure, router } from "../trpc";

export const consoleRouter = router({
  /** The server's settings that decide what the console offers. */
  settings: operatorProcedure("read the console's settings").output(consoleSettingsSchema).query(({ ctx }) => {
    return consoleSettings(ctx.config);
  }),
});
