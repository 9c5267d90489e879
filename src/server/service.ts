// The service process (started by main.ts): validate config, open the database, start the
// HTTP server (API + Next pages) and the metrics listener if asked, migrate, start the
// recovery worker. On SIGTERM/SIGINT it stops gracefully (shutdown.ts) and exits 0. Never
// exits on a database outage: requests get 503 until it returns. An unusable PGlite folder,
// or one another live process holds, stops the start (exit 1).
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import next from "next";
import { defaultPgliteDataDir, LEGACY_PGLITE_DATA_DIR, loadProcessConfig, type Config } from "./config";
import type { ServerContext } from "./context";
import { databaseOptionsFrom, openDatabase, type Database } from "./db/database";
import { classifyDatabaseError } from "./db/database-errors";
import { holdsDatabase, PgliteDataDirError } from "./db/embedded-folder";
import { migrate } from "./db/migrate";
import { createMetricsServer } from "./http/metrics-route";
import { createAppServer } from "./http/server";
import { servedHosts, servedUrls } from "./http/served-hosts";
import { startRecoveryWorker } from "./ingest/recover-stuck-events";
import { errorDetail, errorSummary } from "./errors";
import { createLogger } from "./logger";
import { projectRoot } from "./project-root";
import { stopGracefully, type Running } from "./shutdown";

// Next.js would phone home with telemetry; this service makes no outbound calls.
process.env.NEXT_TELEMETRY_DISABLED ??= "1";

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

// Said at the end of the start, and checked before the open creates this mode's folder.
const legacyNote = legacyFolderNote(config);

let db: Database;
try {
  db = openDatabase(databaseOptionsFrom(config));
} catch (err) {
  // An unusable or busy PGLITE_DATA_DIR: one line naming it, no stack.
  process.stderr.write(`${err instanceof PgliteDataDirError ? err.message : `Cannot open the database: ${errorSummary(err)}`}\n`);
  process.exit(1);
}
const ctx: ServerContext = { db, config, log };

// A stop signal may come at any point of the start: the stop closes what has started.
const running: Running = {};
let stopping = false;
function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    log.warn("already stopping", { signal });
    return;
  }
  stopping = true;
  stopGracefully(ctx, running, signal).then(
    () => process.exit(0),
    (err: unknown) => {
      log.error("the stop failed", errorDetail(err));
      process.exit(1);
    },
  );
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const hosts = servedHosts(config.HOST);
let fallback;
if (config.SERVE_PAGES) {
  const dev = config.NODE_ENV !== "production";
  // Next's dev server serves its own resources (the hot-reload socket) only to pages opened
  // from origins it knows: every host name this server answers at (next.config.mjs reads this).
  process.env.INGEST_DEV_ORIGINS = hosts.join(",");
  const app = next({ dev, dir: fileURLToPath(projectRoot), hostname: "localhost", port: config.PORT });
  await app.prepare();
  const handler = app.getRequestHandler();
  fallback = handler;
}

const port = await listen((running.server = createAppServer(ctx, fallback)), config.PORT);
const metricsPort = config.METRICS_PORT === undefined ? undefined : await listen((running.metricsServer = createMetricsServer(ctx)), config.METRICS_PORT);

// Migrate after listening so /api/health answers at once and /api/ready tells the truth
// while the database is still unreachable; retried until it succeeds (or a stop).
for (let attempt = 1; !stopping; attempt++) {
  try {
    const applied = await migrate(db);
    if (applied.length > 0) log.info("migrations applied", { applied });
    break;
  } catch (err) {
    if (stopping) break;
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

if (!stopping) {
  if (config.RECOVERY_ENABLED) running.worker = startRecoveryWorker(ctx);
  const where = db.kind === "pglite" ? `embedded PGlite at ${config.PGLITE_DATA_DIR}` : "PostgreSQL (DATABASE_URL)";
  const [url, ...also] = servedUrls(hosts, port);
  log.info("ready", { url, database: db.kind, ...(db.kind === "pglite" ? { folder: config.PGLITE_DATA_DIR } : {}), simulation: config.SIMULATION_ENABLED, ...(metricsPort === undefined ? {} : { metricsPort }) });
  const lines = [`Ingest service ready on ${url}  (database: ${where})`, ...also.map((u) => `                also on ${u}`), ...(legacyNote ? ["", ...legacyNote] : [])];
  process.stdout.write(`\n${lines.map((l) => (l ? `  ${l}` : l)).join("\n")}\n\n`);
}

/**
 * When this start uses its mode's default folder while the one folder of earlier versions
 * still holds a database: where that data is, and the two ways to go on with it.
 */
function legacyFolderNote(c: Config): string[] | undefined {
  const dir = c.PGLITE_DATA_DIR;
  if (c.DATABASE_URL || dir !== defaultPgliteDataDir(c.NODE_ENV) || !holdsDatabase(LEGACY_PGLITE_DATA_DIR)) return undefined;
  return [
    `Earlier versions kept every mode's data in ${LEGACY_PGLITE_DATA_DIR}; NODE_ENV=${c.NODE_ENV} now has ${dir} of its own.`,
    `To go on with that data: set PGLITE_DATA_DIR=${LEGACY_PGLITE_DATA_DIR}, or stop the app and replace ${dir} with it`,
    `(rm -r ${dir} && mv ${LEGACY_PGLITE_DATA_DIR} ${dir}). Remove ${LEGACY_PGLITE_DATA_DIR} once you no longer need it.`,
  ];
}

/** Listens on `port` (0: any free one) at HOST; resolves to the port bound. */
async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, config.HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === "object" && address ? address.port : port;
}
