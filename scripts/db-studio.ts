// npm run db:studio [-- --port <port> --browser <name|none>]
//
// Prisma Studio on the database the configuration names, read like the server (.env, then the
// environment), never a guessed one:
// - DATABASE_URL set: Studio on that server.
// - unset: the embedded PGlite folder (PGLITE_DATA_DIR). Studio speaks the PostgreSQL wire
//   protocol, so this process opens the folder, serves it on a local port with
//   @electric-sql/pglite-socket, and runs Studio against that; it holds the folder (as the
//   server would, through its lock) until Studio stops. While the app holds the folder, it
//   says so and how to stop the app, and exits 1: one process per folder.
// Studio runs through scripts/prisma.mjs (the Prisma CLI, offline).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { claimPgliteDataDir, holdsDatabase, PgliteDataDirError, PgliteDataDirInUseError, type PgliteDirLock } from "../src/server/db/embedded-folder";
import { fail as exit, loadCliConfig, parseCli } from "./support/cli";

const fail = (message: string): never => exit(message, 1);
const { values: options } = parseCli({
  name: "npm run db:studio",
  usage: `usage: npm run db:studio [-- --port <Studio's port> --browser <browser, or none>]
Prisma Studio on DATABASE_URL, or on the embedded PGlite folder (PGLITE_DATA_DIR) while the app is stopped.`,
  options: { port: { type: "string" }, browser: { type: "string" } },
});
const studioArgs = [...(options.port ? ["--port", options.port] : []), ...(options.browser ? ["--browser", options.browser] : [])];
const config = loadCliConfig();

/**
 * Runs Studio until it exits; its exit code. Without `url` it takes DATABASE_URL through the
 * project's prisma.config.ts (never on the command line, where `ps` would show its password).
 * Ctrl-C reaches Studio too (same process group); SIGTERM is passed on.
 */
function runStudio(url?: string): Promise<number> {
  const prismaCli = fileURLToPath(new URL("./prisma.mjs", import.meta.url));
  const prismaConfig = fileURLToPath(new URL("../prisma.config.ts", import.meta.url));
  const child = spawn(process.execPath, [prismaCli, "studio", "--config", prismaConfig, ...(url ? ["--url", url] : []), ...studioArgs], { stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.once("exit", (code) => resolve(code ?? 0)));
}

if (config.DATABASE_URL) process.exit(await runStudio());

const dir = config.PGLITE_DATA_DIR;
if (dir.startsWith("memory://")) {
  fail(`PGLITE_DATA_DIR=${dir} is a database inside one process's memory: there is nothing for Studio to open. Set DATABASE_URL, or PGLITE_DATA_DIR to a folder.`);
}
// A folder with no database yet would open as an empty one ("No tables found"): say what to do instead.
if (!holdsDatabase(dir)) {
  fail(`PGLITE_DATA_DIR=${dir} holds no database yet: start the app once (npm run dev) or run npm run db:migrate, then npm run db:studio.`);
}
let lock: PgliteDirLock;
try {
  lock = claimPgliteDataDir(dir);
} catch (err) {
  if (err instanceof PgliteDataDirInUseError) {
    fail(
      `Studio cannot open PGLITE_DATA_DIR=${dir}: process ${err.holderPid} (the app, or another tool) holds it, and a PGlite folder ` +
        `is used by one process at a time. Stop it (Ctrl-C where it runs, or kill ${err.holderPid}), then run npm run db:studio again. ` +
        `While the app runs, its console shows the same data (Events and Aggregates pages).`,
    );
  }
  if (err instanceof PgliteDataDirError) fail(err.message);
  throw err;
}
const lite = new PGlite(dir);
await lite.waitReady;
// Studio opens several connections; the socket server runs their queries one at a time.
const server = new PGLiteSocketServer({ db: lite, host: "127.0.0.1", port: 0, maxConnections: 16 });
await server.start();
const url = `postgresql://postgres@${server.getServerConn()}/postgres`;
process.stdout.write(`PGLITE_DATA_DIR=${dir} is served at ${url} while Studio runs (this process holds the folder; the app cannot start on it meanwhile).\n`);
const code = await runStudio(url);
try {
  await server.stop();
  await lite.close();
} finally {
  lock.release();
}
process.exit(code);
