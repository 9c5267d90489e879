// Every operator script answers its arguments alike (scripts/support/cli.ts), as real processes:
// --help prints the usage on stdout, exit 0; an unknown option prints one line naming it, then
// the usage, on stderr, exit 2, never a stack trace, and nothing is opened. A missing server
// names PORT (and --url), a missing or wrong operator token ADMIN_TOKEN; going through the app
// that holds the PGlite folder says nothing of the lock; `db:prune` prunes through the running
// app as `keys` does.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, startApp, type AppProcess } from "./support/app-process";
import { createCaller } from "../src/server/api/root";
import { openDatabase } from "../src/server/db/database";
import { migrate } from "../src/server/db/migrate";
import { runToExit, startScript, type ScriptEnv } from "../test/support/run-script";
import { testContext } from "../test/support/test-db";

const root = mkdtempSync(join(tmpdir(), "ingest-cli-arguments-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const ADMIN = "operator-token-for-the-cli-arguments-0123";
const stackLine = /\n\s+at /;

/** Each script as package.json runs it: its file, the arguments package.json gives it, and the name its usage shows. */
const scripts: [name: string, file: string, fixed: string[]][] = [
  ["npm run keys", "scripts/keys.ts", []],
  ["npm run import", "scripts/import.ts", []],
  ["npm run aggregates:check", "scripts/aggregates.ts", ["check"]],
  ["npm run aggregates:rebuild", "scripts/aggregates.ts", ["rebuild"]],
  ["npm run db:prune", "scripts/db-prune.ts", []],
  ["npm run db:migrate", "scripts/db-migrate.ts", []],
  ["npm run db:studio", "scripts/db-studio.ts", []],
  ["npm run db:diff", "scripts/db-diff.ts", []],
];

describe("every script's arguments", { timeout: 180_000 }, () => {
  const untouched = join(root, "never-opened");
  const env: ScriptEnv = { PGLITE_DATA_DIR: untouched, DATABASE_URL: undefined };

  it.each(scripts)("%s --help prints its usage on stdout, exit 0", async (name, file, fixed) => {
    const run = await runToExit(file, env, { args: [...fixed, "--help"] });
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(run.stdout).toMatch(/^usage:/);
    expect(run.stdout).toContain(name);
    expect(existsSync(untouched)).toBe(false);
  });

  it.each(scripts)("%s --bogus names the option in one line, then the usage, exit 2", async (name, file, fixed) => {
    const run = await runToExit(file, env, { args: [...fixed, "--bogus"] });
    expect([run.code, run.stdout]).toEqual([2, ""]);
    const [first, ...rest] = run.stderr.split("\n");
    expect(first).toBe(`${name}: unknown option --bogus`);
    expect(rest[0]).toMatch(/^usage:/);
    expect(run.stderr).not.toMatch(stackLine);
    expect(existsSync(untouched)).toBe(false);
  });

  it("an option without its value, an argument too many and a bad setting: one line each, exit 2", async () => {
    const noValue = await runToExit("scripts/keys.ts", env, { args: ["list", "--url"] });
    expect([noValue.code, noValue.stderr.split("\n")[0]]).toEqual([2, "npm run keys: option --url needs a value"]);
    const extra = await runToExit("scripts/db-migrate.ts", env, { args: ["now"] });
    expect([extra.code, extra.stderr.split("\n")[0]]).toEqual([2, 'npm run db:migrate: unexpected argument "now"']);
    const badPort = await runToExit("scripts/db-prune.ts", { ...env, PORT: "eighty" }, { args: ["--days", "1"] });
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/^Invalid configuration:\n {2}PORT: /);
    for (const run of [noValue, extra, badPort]) expect(run.stderr).not.toMatch(stackLine);
    expect(existsSync(untouched)).toBe(false);
  });

  it("a server that is not there names PORT (or --url); nothing waits for it", async () => {
    const port = await freePort();
    const imported = await runToExit("scripts/import.ts", { ...env, PORT: String(port) }, { args: ["-"], input: '{"source":"s","payload":{"metric":"m","value":1}}\n' });
    expect(imported.code).toBe(2);
    expect(imported.stdout.split("\n")[0]).toMatch(
      new RegExp(
        `^stdin → http://127\\.0\\.0\\.1:${port}/ingest/batch: stopped after line 0 \\(no server answers at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\): ` +
          `start the app \\(npm start, or npm run dev\\), or set PORT \\(and HOST\\) to where it listens, or pass --url\\); 0 events sent`,
      ),
    );
    expect(imported.stderr).not.toMatch(stackLine);
    const pointed = await runToExit("scripts/aggregates.ts", env, { args: ["check", "--url", `http://127.0.0.1:${port}`] });
    expect([pointed.code, pointed.stderr]).toEqual([2, `aggregates check: no server answers at http://127.0.0.1:${port} (ECONNREFUSED): check --url\n`]);
  });
});

describe("operator CLIs while the app holds the PGlite folder", { timeout: 240_000 }, () => {
  const folder = join(root, "held");
  let app: AppProcess | undefined;
  afterAll(async () => app?.stop());

  it("db:prune prunes through the app, silent about the lock; no token or a wrong one names ADMIN_TOKEN; the app elsewhere names PORT", async () => {
    // Three finished raw events 100 days old and one of today, written before the app starts.
    const db = openDatabase({ pgliteDataDir: folder, poolSize: 1, connectTimeoutMs: 5000, queryTimeoutMs: 10_000, transactionTimeoutMs: 10_000 });
    await migrate(db);
    const caller = createCaller(testContext(db));
    await caller.ingestBatch({
      events: [
        { source: "old", payload: { metric: "orders", value: 1, eventId: "o-1" } },
        { source: "old", payload: { metric: "orders", value: 2, eventId: "o-2" } },
        { source: "old", payload: { metric: "orders", value: 1, eventId: "o-1" } },
      ],
    });
    await db.execScript(`UPDATE raw_event SET received_at = now() - interval '100 days' WHERE source = 'old'`);
    await caller.ingest({ source: "new", payload: { metric: "orders", value: 5, eventId: "n-1" } });
    await db.close();

    const port = await freePort();
    app = await startApp({ PGLITE_DATA_DIR: folder, AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN, SERVE_PAGES: "false", RECOVERY_ENABLED: "false" }, { port });
    const busy: ScriptEnv = { PGLITE_DATA_DIR: folder, DATABASE_URL: undefined, ADMIN_TOKEN: ADMIN, PORT: String(port) };

    const dry = await runToExit("scripts/db-prune.ts", busy, { args: ["--dry-run", "--days", "90"] });
    expect([dry.code, dry.stderr]).toEqual([0, ""]);
    expect(dry.stdout).toMatch(/^Raw events received before \S+ \(90 days\) whose processing has finished: 3 \(counted 2, deduplicated 1\)\n {2}oldest \S+, newest \S+\nDry run: nothing deleted\.\n$/);

    const pruned = await runToExit("scripts/db-prune.ts", busy, { args: ["--days", "90"] });
    expect([pruned.code, pruned.stderr]).toEqual([0, ""]);
    expect(pruned.stdout).toMatch(/: 3 \(counted 2, deduplicated 1\)\n.*\nDeleted 3 raw events\. Processed events, counts and dedup keys are unchanged\.\n$/);
    const operator = { authorization: `Bearer ${ADMIN}` };
    const events = (await (await fetch(`${app.url}/api/trpc/events.list?input=${encodeURIComponent("{}")}`, { headers: operator })).json()) as { result?: { data?: { items?: { source: string }[] } } };
    expect(events.result?.data?.items?.map((e) => e.source)).toEqual(["new"]);
    const counts = (await (await fetch(`${app.url}/aggregates?source=old`, { headers: operator })).json()) as { count: number; sum: number }[];
    expect(counts.map((c) => [c.count, c.sum])).toEqual([[2, 3]]);

    // Outside production a CLI may run without the operator's token: the app refuses, the CLI says what to set.
    const anonymous = await runToExit("scripts/db-prune.ts", { ...busy, ADMIN_TOKEN: undefined, NODE_ENV: "development" }, { args: ["--days", "90"] });
    expect([anonymous.code, anonymous.stderr]).toEqual([
      2,
      `db:prune: the server at http://127.0.0.1:${port} needs the operator's token (401 UNAUTHENTICATED): set ADMIN_TOKEN to the token the server runs with\n`,
    ]);
    const wrong = await runToExit("scripts/keys.ts", { ...busy, ADMIN_TOKEN: "not-the-operator-token-of-that-server-0000" }, { args: ["list"] });
    expect([wrong.code, wrong.stderr]).toEqual([
      2,
      `keys list: the server at http://127.0.0.1:${port} does not accept this ADMIN_TOKEN (401 UNAUTHENTICATED): set ADMIN_TOKEN to the token the server runs with\n`,
    ]);
    const unkeyed = await runToExit("scripts/import.ts", { ...busy, ADMIN_TOKEN: undefined, NODE_ENV: "development" }, { args: ["-"], input: '{"source":"s","payload":{"metric":"m","value":1}}\n' });
    expect(unkeyed.code).toBe(2);
    expect(unkeyed.stdout).toContain("; pass --key <a write key>, or set ADMIN_TOKEN to the server's operator token)");

    // The folder is held, but no server answers where the CLI looks: now the lock matters, and PORT is named.
    const elsewhere = await freePort();
    const lost = await runToExit("scripts/keys.ts", { ...busy, PORT: String(elsewhere) }, { args: ["list"] });
    expect(lost.code).toBe(2);
    expect(lost.stderr).toContain(`keys list: PGLITE_DATA_DIR=${folder} is in use by another process (pid ${app.child.pid} `);
    expect(lost.stderr).toContain(
      `The CLI would ask that process instead, but no server answers at http://127.0.0.1:${elsewhere} (ECONNREFUSED): if it is the app, set PORT (and HOST) to where it listens, or pass --url; if not, stop process ${app.child.pid} and run this again.\n`,
    );
    expect(lost.stderr).not.toMatch(stackLine);
  });
});

describe("the default folder of the mode a CLI runs in", { timeout: 180_000 }, () => {
  it("is refused while it holds no database, naming NODE_ENV and the folder of the app that runs; with the app's NODE_ENV the CLI goes through the app", async () => {
    const cwd = join(root, "modes");
    mkdirSync(cwd, { recursive: true });
    const port = String(await freePort());
    const defaults: ScriptEnv = { PGLITE_DATA_DIR: undefined, DATABASE_URL: undefined, PORT: port };
    const none = await runToExit("scripts/keys.ts", { ...defaults, NODE_ENV: "development" }, { args: ["list"], cwd });
    expect([none.code, none.stderr]).toEqual([
      2,
      "keys list: PGLITE_DATA_DIR=.data/development (the default for NODE_ENV=development) holds no database yet: start the app once, or run npm run db:migrate. NODE_ENV=production uses .data/production; PGLITE_DATA_DIR names any folder.\n",
    ]);
    expect(existsSync(join(cwd, ".data", "development"))).toBe(false);

    const app = startScript("src/server/main.ts", { ...defaults, NODE_ENV: "production", AUTH_REQUIRED: "false", SERVE_PAGES: "false", RECOVERY_ENABLED: "false" }, { cwd });
    try {
      await app.waitFor(/Ingest service ready on /, 60_000);
      const wrongMode = await runToExit("scripts/keys.ts", { ...defaults, NODE_ENV: "development" }, { args: ["list"], cwd });
      expect(wrongMode.code).toBe(2);
      expect(wrongMode.stderr).toContain(`The app running as pid ${app.child.pid} uses .data/production: run this with NODE_ENV=production to work on its data.\n`);
      const rightMode = await runToExit("scripts/keys.ts", { ...defaults, NODE_ENV: "production", AUTH_REQUIRED: "false" }, { args: ["list"], cwd });
      expect([rightMode.code, rightMode.stderr, rightMode.stdout]).toEqual([0, "", "No keys yet. Create one: npm run keys -- create --source <source>\n"]);
    } finally {
      await app.stop();
    }
  });
});
