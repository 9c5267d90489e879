// `npm run db:studio` as a real process. On the embedded default it serves the PGlite folder
// that its .env names over the PostgreSQL wire protocol and runs Prisma Studio on it: a pg
// client sees the app's tables and data, Studio answers on its port and its backend reads the
// same, the folder is held meanwhile and free again once it stops. It never guesses a database:
// a folder the app holds, a memory:// database, a folder with no database, and the Prisma CLI
// with no DATABASE_URL are each refused with what to do instead. (The UI itself is not tested.)
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, projectRoot } from "./support/app-process";
import { createCaller } from "../src/server/api/root";
import { openDatabase } from "../src/server/db/database";
import { claimPgliteDataDir, PgliteDataDirInUseError } from "../src/server/db/embedded-folder";
import { migrate } from "../src/server/db/migrate";
import { runToExit, startScript, type ScriptEnv } from "../test/support/run-script";
import { testContext } from "../test/support/test-db";

const root = mkdtempSync(join(tmpdir(), "ingest-studio-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Nothing from the test runner's environment may name another database than the one set here.
const unset: ScriptEnv = { DATABASE_URL: undefined, PGLITE_DATA_DIR: undefined };

/** Studio's own backend: the query endpoint its page calls (Prisma Studio's internal protocol). */
async function studioQuery(studioUrl: string, sql: string): Promise<unknown> {
  const res = await fetch(`${studioUrl}/bff`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ procedure: "query", query: { sql, parameters: [] } }) });
  return res.json();
}

describe("npm run db:studio", { timeout: 180_000 }, () => {
  it("serves the PGlite folder its .env names and runs Studio on it; the folder is free again when it stops", async () => {
    const folder = join(root, "data");
    const seed = openDatabase({ pgliteDataDir: folder, poolSize: 1, connectTimeoutMs: 5000, queryTimeoutMs: 10_000, transactionTimeoutMs: 10_000 });
    await migrate(seed);
    await createCaller(testContext(seed)).ingest({ source: "shop", payload: { metric: "orders", value: 59.9 } });
    await seed.close();
    const cwd = mkdtempSync(join(root, "cwd-"));
    writeFileSync(join(cwd, ".env"), `PGLITE_DATA_DIR=${folder}\n`);

    const studioPort = await freePort();
    const studio = startScript("scripts/db-studio.ts", unset, { cwd, args: ["--browser", "none", "--port", String(studioPort)] });
    try {
      const [, socketUrl] = await studio.waitFor(/PGLITE_DATA_DIR=\S+ is served at (postgresql:\/\/\S+) while Studio runs/);
      const client = new pg.Client({ connectionString: socketUrl });
      await client.connect();
      try {
        const tables = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
        expect(tables.rows.map((r) => r.table_name)).toEqual(["_prisma_migrations", "api_key", "meter", "meter_distinct", "meter_retired_series", "meter_rollup", "metric_aggregate", "metric_aggregate_day", "metric_aggregate_hour", "processed_event", "raw_event", "raw_event_outcome", "raw_event_pending", "raw_event_state"]);
        const rollup = await client.query("SELECT source, metric, count::int, sum::float8 FROM metric_aggregate");
        expect(rollup.rows).toEqual([{ source: "shop", metric: "orders", count: 1, sum: 59.9 }]);
      } finally {
        await client.end();
      }
      await studio.waitFor(new RegExp(`Prisma Studio is running at: http://localhost:${studioPort}`));
      const page = await fetch(`http://127.0.0.1:${studioPort}/`);
      expect([page.status, (await page.text()).startsWith("<!doctype html>")]).toEqual([200, true]);
      expect(await studioQuery(`http://127.0.0.1:${studioPort}`, "SELECT source, count(*)::int AS n FROM raw_event GROUP BY source")).toEqual([null, [{ source: "shop", n: 1 }]]);

      // Held meanwhile, as the app would hold it.
      expect(() => claimPgliteDataDir(folder)).toThrow(PgliteDataDirInUseError);
    } finally {
      await studio.stop("SIGTERM");
    }
    await expect(fetch(`http://127.0.0.1:${studioPort}/`)).rejects.toMatchObject({ cause: { code: "ECONNREFUSED" } }); // Studio stopped with it
    claimPgliteDataDir(folder).release();
  });

  it("refuses a folder another process holds, naming it and how to stop it", async () => {
    const folder = join(root, "held");
    mkdirSync(folder);
    writeFileSync(join(folder, "PG_VERSION"), "17\n"); // a database folder, as far as the check before the lock goes
    const lock = claimPgliteDataDir(folder); // this test's process holds it, as a running app would
    try {
      const held = await runToExit("scripts/db-studio.ts", { ...unset, PGLITE_DATA_DIR: folder }, { args: ["--browser", "none"] });
      expect(held.code).toBe(1);
      expect(held.stderr).toBe(
        `Studio cannot open PGLITE_DATA_DIR=${folder}: process ${process.pid} (the app, or another tool) holds it, and a PGlite folder is used by one process at a time. ` +
          `Stop it (Ctrl-C where it runs, or kill ${process.pid}), then run npm run db:studio again. While the app runs, its console shows the same data (Events and Aggregates pages).\n`,
      );
    } finally {
      lock.release();
    }
  });

  it("refuses memory:// and a folder with no database, creating nothing", async () => {
    const memory = await runToExit("scripts/db-studio.ts", { ...unset, PGLITE_DATA_DIR: "memory://" }, { args: ["--browser", "none"] });
    expect([memory.code, memory.stderr]).toEqual([
      1,
      "PGLITE_DATA_DIR=memory:// is a database inside one process's memory: there is nothing for Studio to open. Set DATABASE_URL, or PGLITE_DATA_DIR to a folder.\n",
    ]);
    const none = join(root, "never-started");
    const empty = await runToExit("scripts/db-studio.ts", { ...unset, PGLITE_DATA_DIR: none }, { args: ["--browser", "none"] });
    expect([empty.code, empty.stderr]).toEqual([1, `PGLITE_DATA_DIR=${none} holds no database yet: start the app once (npm run dev) or run npm run db:migrate, then npm run db:studio.\n`]);
    expect(existsSync(none)).toBe(false);
  });

  it("the Prisma CLI's own studio refuses to start without DATABASE_URL instead of guessing a server", async () => {
    const cwd = mkdtempSync(join(root, "cli-"));
    const cli = await runToExit(join(projectRoot, "scripts/prisma.mjs"), unset, { cwd, args: ["studio", "--config", join(projectRoot, "prisma.config.ts"), "--browser", "none"] });
    expect(cli.code).not.toBe(0);
    expect(cli.stdout + cli.stderr).toContain("No database URL found");
  });
});
