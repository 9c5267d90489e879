// The server's settings as the console needs them. Read from the validated config only, so
// the answer needs no database and stays true during an outage.
import type { ConsoleSettings } from "../../lib/console-settings-schema";
import type { Config } from "../config";

/** The reason the Submit page shows beside its disabled "Simulate DB failure" switch. */
export const simulationOffReason = "Failure simulation is off on this server (SIMULATION_ENABLED=false; the default in production).";

export function consoleSettings(config: Pick<Config, "SIMULATION_ENABLED">): ConsoleSettings {
  return { simulation: config.SIMULATION_ENABLED ? { enabled: true } : { enabled: false, reason: simulationOffReason } };
}
