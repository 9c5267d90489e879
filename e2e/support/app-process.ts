// Starts the built app (`npm start`'s entry, dist/server/main.js: the suites' global setup
// compiles it) as a real child process on a free port and waits until it is ready. Used by
// the end-to-end suites; needs `npm run build` first when pages are served.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEmptyDatabase, type BackendKind, type TestDatabase } from "../../test/support/test-db";

export const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface AppProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process printed so far (stdout + stderr). */
  output(): string;
  /** SIGTERM (or the given signal) and wait for exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const addr = srv.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  await new Promise((r) => srv.close(r));
  return port;
}

export interface StartOptions {
  port?: number;
  readyTimeoutMs?: number;
  /** Start through `npm start`'s script (scripts/start.mjs) rather than dist/server/main.js itself. */
  npmStart?: boolean;
  /**
   * Keep only the last this many characters of the output (default: all). A bench under load
   * with the access log at `info` prints megabytes a minute; its report needs only the tail.
   */
  keepOutputChars?: number;
}

/** `env` overrides the suites' defaults below; a variable given as undefined is not passed at all (the app's own default applies). */
export async function startApp(env: Record<string, string | undefined> = {}, opts: StartOptions = {}): Promise<AppProcess> {
  const port = opts.port ?? (await freePort());
  let out = "";
  const child = spawn(process.execPath, opts.npmStart ? ["scripts/start.mjs"] : ["--enable-source-maps", "dist/server/main.js"], {
    cwd: projectRoot,
    env: {
      ...process.env,
      NODE_ENV: "production",
      // Suites about something else run open; suites about access control pass it on.
      AUTH_REQUIRED: "false",
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      // Stops at once unless a suite about stopping asks for production's grace.
      SHUTDOWN_GRACE_MS: "0",
      ...env,
      PORT: String(port),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = opts.keepOutputChars ?? Infinity;
  const append = (d: Buffer) => {
    out += d.toString();
    if (out.length > 2 * keep) out = out.slice(-keep);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const url = `http://127.0.0.1:${port}`;
  const app: AppProcess = {
    url,
    port,
    child,
    output: () => out,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill(signal);
      await exited;
    },
  };
  await waitUntilReady(app, opts.readyTimeoutMs ?? 60_000);
  return app;
}

export async function waitUntilReady(app: AppProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null) throw new Error(`app exited with ${app.child.exitCode}:\n${app.output()}`);
    const ok = await fetch(`${app.url}/api/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`app not ready after ${timeoutMs} ms:\n${app.output()}`);
}

/**
 * The built app on a fresh database of the given kind: PGlite in a temporary folder, or a
 * new database on the configured PostgreSQL server. `dispose()` stops the app and removes both.
 */
export type AppOnDatabase = AppProcess & {
  /** What the app was given to find its database: DATABASE_URL, or PGLITE_DATA_DIR. */
  databaseEnv: Record<string, string>;
  dispose(): Promise<void>;
};

export async function startAppOn(kind: BackendKind, env: Record<string, string | undefined> = {}, opts: StartOptions = {}): Promise<AppOnDatabase> {
  let dir: string | undefined;
  let database: TestDatabase | undefined;
  const dbEnv: Record<string, string> = {};
  if (kind === "pglite") {
    dir = mkdtempSync(join(tmpdir(), "ingest-e2e-"));
    dbEnv.PGLITE_DATA_DIR = join(dir, "pglite");
  } else {
    database = await createEmptyDatabase("postgresql");
    await database.db.close();
    dbEnv.DATABASE_URL = database.url ?? "";
  }
  const app = await startApp({ ...env, ...dbEnv }, opts);
  return {
    ...app,
    databaseEnv: dbEnv,
    async dispose() {
      await app.stop();
      await database?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
