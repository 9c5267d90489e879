// Every script reads its configuration as the server does: a `.env` file in the working
// directory, real variables winning (src/server/config.ts loadProcessEnv). Shown with
// `npm run db:migrate` run as a real process from a directory whose .env names the database
// (the bug this guards against: it migrated the PGlite folder while .env named a PostgreSQL
// server), and with the Prisma CLI, whose prisma.config.ts reads the same .env.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, projectRoot } from "./support/app-process";
import { readMigrations } from "../src/server/db/migrate";
import { startScript, runToExit, type ScriptEnv } from "../test/support/run-script";
import { createEmptyDatabase, postgresUrl } from "../test/support/test-db";

const root = mkdtempSync(join(tmpdir(), "ingest-env-file-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const unset: ScriptEnv = { DATABASE_URL: undefined, PGLITE_DATA_DIR: undefined };
const withEnvFile = (lines: string[]) => {
  const cwd = mkdtempSync(join(root, "cwd-"));
  writeFileSync(join(cwd, ".env"), `${lines.join("\n")}\n`);
  return cwd;
};

describe("scripts read .env like the server", { timeout: 180_000 }, () => {
  it("npm run db:migrate migrates the PGlite folder a .env names", async () => {
    const folder = join(root, "from-env");
    const cwd = withEnvFile([`PGLITE_DATA_DIR=${folder}`]);
    const run = await runToExit("scripts/db-migrate.ts", unset, { cwd });
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(run.stdout).toBe(`Applied: ${(await readMigrations()).map((m) => m.name).join(", ")}\n`);
    expect(existsSync(join(folder, "PG_VERSION"))).toBe(true);
  });

  it.skipIf(!postgresUrl)("npm run db:migrate and the Prisma CLI (prisma.config.ts) use the PostgreSQL server a .env names, not the PGlite folder", async () => {
    const target = await createEmptyDatabase("postgresql");
    try {
      const cwd = withEnvFile(["# the database of this deployment", `DATABASE_URL=${target.url}`]);
      const run = await runToExit("scripts/db-migrate.ts", unset, { cwd });
      expect([run.code, run.stderr]).toEqual([0, ""]);
      const migrations = (await readMigrations()).map((m) => m.name);
      expect(run.stdout).toBe(`Applied: ${migrations.join(", ")}\n`);
      const recorded = await target.db.prisma.$queryRaw<{ migration_name: string }[]>`SELECT migration_name FROM "_prisma_migrations" ORDER BY 1`;
      expect(recorded.map((r) => r.migration_name)).toEqual(migrations);
      expect(existsSync(join(cwd, ".data"))).toBe(false);

      // Studio through the project's prisma.config.ts, which finds DATABASE_URL in the same .env.
      const port = await freePort();
      const studio = startScript(join(projectRoot, "scripts/prisma.mjs"), unset, { cwd, args: ["studio", "--config", join(projectRoot, "prisma.config.ts"), "--browser", "none", "--port", String(port)] });
      try {
        await studio.waitFor(new RegExp(`Prisma Studio is running at: http://localhost:${port}`));
        const res = await fetch(`http://127.0.0.1:${port}/bff`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ procedure: "query", query: { sql: 'SELECT count(*)::int AS n FROM "_prisma_migrations"', parameters: [] } }),
        });
        expect(await res.json()).toEqual([null, [{ n: migrations.length }]]);
      } finally {
        await studio.stop("SIGTERM");
      }
    } finally {
      await target.drop();
    }
  });
});
