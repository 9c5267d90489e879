// Process entry (npm run dev / npm start): validate config, open the database, start the
// HTTP server (API + Next pages), migrate, start the recovery worker. Shuts down cleanly on
// SIGINT/SIGTERM. Never exits on a database outage: requests get 503 until it returns. An
// unusable PGlite folder, or one another live process holds, stops the start (exit 1).
import { fileURLToPath } from "node:url";
import next from "next";
import { loadProcessConfig, type Config } from "./config";
import type { ServerContext } from "./context";
import { databaseOptionsFrom, openDatabase, type Database } from "./db/database";
import { classifyDatabaseError } from "./db/database-errors";
import { PgliteDataDirError } from "./db/embedded-folder";
import { migrate } from "./db/migrate";
import { createAppServer } from "./http/server";
import { startRecoveryWorker } from "./ingest/recover-stuck-events";
import { errorDetail, errorSummary } from "./errors";
import { createLogger } from "./logger";

// Next.js would phone home with telemetry; this service makes no outbound calls.
process.env.NEXT_TELEMETRY_DISABLED ??= "1";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

let config: Config;
try {
  // An optional .env file (see .env.example); real environment variables win.
  config = loadProcessConfig();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
const log = createLogger(config.LOG_LEVEL);

process.on("unhandledRejection", (reason) => {
  log.error("unhandled rejection (kept running)", { reason: reason instanceof Error ? reason.message : String(reason) });
});

let db: Database;
try {
  db = openDatabase(databaseOptionsFrom(config));
} catch (err) {
  // An unusable or busy PGLITE_DATA_DIR: one line naming it, no stack.
  process.stderr.write(`${err instanceof PgliteDataDirError ? err.message : `Cannot open the database: ${errorSummary(err)}`}\n`);
  process.exit(1);
}
const ctx: ServerContext = { db, config, log };

let fallback;
if (config.SERVE_PAGES) {
  const dev = config.NODE_ENV !== "production";
  const app = next({ dev, dir: projectRoot, hostname: "localhost", port: config.PORT });
  await app.prepare();
  const handler = app.getRequestHandler();
  fallback = handler;
}

const server = createAppServer(ctx, fallback);
await new Promise<void>((resolve) => server.listen(config.PORT, config.HOST, resolve));
const address = server.address();
const port = typeof address === "object" && address ? address.port : config.PORT;

// Migrate after listening so /api/health answers at once and /api/ready tells the truth
// while the database is still unreachable; retried until it succeeds.
for (let attempt = 1; ; attempt++) {
  try {
    const applied = await migrate(db);
    if (applied.length > 0) log.info("migrations applied", { applied });
    break;
  } catch (err) {
    // The embedded database does not come back by waiting: a folder PGlite cannot open
    // (not a PGlite data folder, another version's) stops the start.
    if (db.kind === "pglite") {
      process.stderr.write(`PGLITE_DATA_DIR=${config.PGLITE_DATA_DIR} cannot be opened or migrated: ${errorSummary(err)}\n`);
      await db.close().catch(() => {});
      process.exit(1);
    }
    // A server may: an outage passes, and grants can be fixed while this keeps trying.
    const fields = { attempt, ...errorDetail(err) };
    if (classifyDatabaseError(err) === "misconfigured") log.error("migration failed: the database is misconfigured; retrying", fields);
    else log.warn("migration failed; retrying", fields);
    await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 5000)));
  }
}

const worker = config.RECOVERY_ENABLED ? startRecoveryWorker(ctx) : undefined;
const where = db.kind === "pglite" ? `embedded PGlite at ${config.PGLITE_DATA_DIR}` : "PostgreSQL (DATABASE_URL)";
log.info("ready", { url: `http://localhost:${port}`, database: db.kind, simulation: config.SIMULATION_ENABLED });
process.stdout.write(`\n  Ingest service ready on http://localhost:${port}  (database: ${where})\n\n`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info("shutting down", { signal });
  server.close();
  server.closeIdleConnections();
  await worker?.stop();
  await db.close().catch(() => {});
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
