// Process entry (npm run dev / npm start): validate config, open the database, start the
// HTTP server (API + Next pages), migrate, start the recovery worker. Shuts down cleanly on
// SIGINT/SIGTERM. Never exits on a database outage: requests get 503 until it returns.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import next from "next";
import { loadConfig, type Config } from "./config";
import type { ServerContext } from "./context";
import { databaseOptionsFrom, openDatabase } from "./db/database";
import { migrate } from "./db/migrate";
import { createAppServer } from "./http/server";
import { startRecoveryWorker } from "./ingest/recover-stuck-events";
import { createLogger } from "./logger";

// Next.js would phone home with telemetry; this service makes no outbound calls.
process.env.NEXT_TELEMETRY_DISABLED ??= "1";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

let config: Config;
try {
  // An optional .env file (see .env.example); real environment variables win.
  if (existsSync(".env")) process.loadEnvFile(".env");
  config = loadConfig();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
const log = createLogger(config.LOG_LEVEL);

process.on("unhandledRejection", (reason) => {
  log.error("unhandled rejection (kept running)", { reason: reason instanceof Error ? reason.message : String(reason) });
});

const db = openDatabase(databaseOptionsFrom(config));
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
    log.warn("migration failed; retrying", { attempt, error: (err as Error).message.split("\n")[0] });
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
