// One process per PGlite folder, shown with real processes: a second server (or
// `npm run db:migrate`) on a folder a live server holds refuses to start, naming
// PGLITE_DATA_DIR and the holder's pid; a holder killed with SIGKILL leaves its lock file
// behind and the next process takes the folder over, with every event the dead one had
// acknowledged; an unusable folder stops the start with one line naming the variable.
// (memory:// databases take no lock: every other suite opens many at once.)
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startApp, type AppProcess } from "./support/app-process";
import { runToExit } from "../test/support/run-script";
import { claimPgliteDataDir, LOCK_FILE, PgliteDataDirError } from "../src/server/db/embedded-folder";

const root = mkdtempSync(join(tmpdir(), "ingest-pglite-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const serverEnv = (dataDir: string) => ({ PGLITE_DATA_DIR: dataDir, SERVE_PAGES: "false", RECOVERY_ENABLED: "false" });

async function ingest(app: AppProcess, key: string, value: number): Promise<number> {
  const res = await fetch(`${app.url}/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify({ source: "lock", payload: { metric: "m", value } }),
  });
  return res.status;
}

describe("a PGlite folder is held by one process", { timeout: 180_000 }, () => {
  const dataDir = join(root, "db");
  let holder: AppProcess | undefined;
  afterAll(async () => holder?.stop("SIGKILL"));

  it("a second server and db:migrate refuse to start while a live server holds the folder", async () => {
    holder = await startApp(serverEnv(dataDir));
    expect(await ingest(holder, "first-holder", 5)).toBe(200);

    const second = await runToExit("src/server/main.ts", serverEnv(dataDir));
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`PGLITE_DATA_DIR=${dataDir} is in use by another process (pid ${holder.child.pid} `);
    expect(second.stderr).not.toMatch(/\n\s+at /);
    expect(second.stdout).not.toContain("ready");

    const migrate = await runToExit("scripts/db-migrate.ts", { PGLITE_DATA_DIR: dataDir });
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toContain(`PGLITE_DATA_DIR=${dataDir} is in use by another process (pid ${holder.child.pid} `);

    // The holder was not disturbed.
    expect((await fetch(`${holder.url}/api/ready`)).status).toBe(200);
  });

  it("after the holder is killed with SIGKILL, a new server takes the folder over with the acknowledged events", async () => {
    await holder!.stop("SIGKILL");
    // Nothing could remove the dead holder's lock: the new process must see it is stale.
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);

    holder = await startApp(serverEnv(dataDir));
    expect(await ingest(holder, "second-holder", 7)).toBe(200);
    const aggregates = (await (await fetch(`${holder.url}/aggregates?source=lock`)).json()) as { count: number; sum: number }[];
    expect(aggregates).toMatchObject([{ count: 2, sum: 12 }]);

    // A clean stop releases the folder.
    await holder.stop("SIGTERM");
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });

  it("the same process cannot hold one folder twice", () => {
    const dir = join(root, "in-process");
    const lock = claimPgliteDataDir(dir);
    try {
      expect(() => claimPgliteDataDir(dir)).toThrow(new PgliteDataDirError(`PGLITE_DATA_DIR=${dir} cannot be used: this process has it open already`));
    } finally {
      lock.release();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    claimPgliteDataDir(dir).release();
  });
});

describe("an unusable PGLITE_DATA_DIR stops the start with one line naming it", { timeout: 180_000 }, () => {
  it("a path under a regular file", async () => {
    const file = join(root, "a-file");
    writeFileSync(file, "not a folder");
    const run = await runToExit("src/server/main.ts", serverEnv(join(file, "db")));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`PGLITE_DATA_DIR=${join(file, "db")} cannot be used: ${file} is a file, not a folder (ENOTDIR)\n`);
  });

  it("a folder this process may not write", async () => {
    // Root ignores permissions: as root, run the server as nobody on a folder root owns.
    const asRoot = process.getuid?.() === 0;
    const dir = join(root, "not-yours");
    mkdirSync(dir, { mode: asRoot ? 0o755 : 0o555 });
    const run = await runToExit("src/server/main.ts", { ...serverEnv(join(dir, "db")), HOME: tmpdir() }, asRoot ? { uid: 65534 } : {});
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`PGLITE_DATA_DIR=${join(dir, "db")} cannot be used: permission denied: this process cannot create, read and write that folder (EACCES)\n`);
  });
});
