// What the console needs to know about the server it talks to before offering a control, so
// it never offers one the server would refuse (tRPC `console.settings`). Types come from
// z.infer; the reason is the server's own words, shown as they are.
import { z } from "zod";

/** Whether a request may ask for a simulated failure here, and if not, why (one line). */
export const simulationSettingSchema = z.discriminatedUnion("enabled", [
  z.object({ enabled: z.literal(true) }),
  z.object({ enabled: z.literal(false), reason: z.string() }),
]);
export type SimulationSetting = z.infer<typeof simulationSettingSchema>;

export const consoleSettingsSchema = z.object({ simulation: simulationSettingSchema });
export type ConsoleSettings = z.infer<typeof consoleSettingsSchema>;
