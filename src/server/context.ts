// What the domain needs from the process: the database, the validated config, a logger.
// Passed explicitly so tests, the REST adapter, the worker and benchmarks share one path.
import type { Config } from "./config";
import type { Database } from "./db/database";
import type { Logger } from "./logger";

export interface ServerContext {
  db: Database;
  config: Config;
  log: Logger;
}
