// What every benchmark needs: the PostgreSQL server to run on, a fresh database of its
// own there, the bare baseline server as a child process and the app with access control on
// as in production (keys created by the keys CLI). CPU time per process: bench/cpu.ts.
import { spawn, type ChildProcess } from "node:child_process";
import pg from "pg";
import { freePort, startApp, type AppProcess } from "../e2e/support/app-process";
import { authorizationHeader, createKeyWithCli, createWriteKeys, newAdminToken } from "../e2e/faults/support/keys-cli";
import { withDatabase } from "../test/support/test-db";

export const benchDatabaseUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** Drops and recreates database `name` on the bench server (or `server`); returns its URL. */
export async function freshDatabase(name: string, server = benchDatabaseUrl): Promise<string> {
  const c = new pg.Client({ connectionString: server });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return withDatabase(server, name);
}

/** Starts bench/baseline-server.ts on a free port against `databaseUrl`. */
export async function startBaseline(databaseUrl: string, poolSize: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "bench/baseline-server.ts", String(port), databaseUrl, poolSize], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => d.toString().includes("baseline ready") && resolve());
    child.on("exit", (code) => reject(new Error(`baseline exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/**
 * The app in production mode with access control on (a fresh operator token; the rate limit
 * at its production default) on `env`'s database. `env` is returned whole: the keys CLI
 * must read the same configuration as the server.
 */
/**
 * The built app as a bench measures it: production defaults (the access log at `info`, metrics
 * on) unless `env` says otherwise; of what it prints only the tail is kept, since under load the
 * access log is megabytes a minute and only a failure's report reads it.
 */
export const startBenchApp = (env: Record<string, string>) => startApp({ NODE_ENV: "production", LOG_LEVEL: "info", ...env }, { keepOutputChars: 200_000 });

export async function startAppWithAuth(env: Record<string, string>): Promise<{ app: AppProcess; env: Record<string, string> }> {
  const full = { NODE_ENV: "production", AUTH_REQUIRED: "true", ADMIN_TOKEN: newAdminToken(), ...env };
  return { app: await startBenchApp(full), env: full };
}

/** A write key per source, each created by the keys CLI. */
export const benchWriteKeys = (env: Record<string, string>, sources: string[]) => createWriteKeys(env, sources, "bench");

/** `Authorization: Bearer <key>` per source. */
export const bearerHeaders = (keys: Map<string, string>) => new Map([...keys].map(([source, key]) => [source, authorizationHeader(key)]));

/** `Authorization: Bearer <read key>` for every source, created by the keys CLI. */
export async function readAuthorization(env: Record<string, string>): Promise<string> {
  return authorizationHeader(await createKeyWithCli(env, { read: true, label: "bench" }));
}

/** Runs `fn` on a connection of its own to `url`. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
