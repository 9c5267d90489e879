// What every benchmark needs: the PostgreSQL server to run on, a fresh database of its
// own there, and the bare baseline server as a child process.
import { spawn, type ChildProcess } from "node:child_process";
import pg from "pg";
import { freePort } from "../e2e/support/app-process";
import { withDatabase } from "../test/support/test-db";

export const benchDatabaseUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** Drops and recreates database `name` on the bench server; returns its URL. */
export async function freshDatabase(name: string): Promise<string> {
  const c = new pg.Client({ connectionString: benchDatabaseUrl });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return withDatabase(benchDatabaseUrl, name);
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
