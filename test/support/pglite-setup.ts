// Once per `npm test` run (the storage project's global setup): the embedded databases
// every test starts from, made once and cloned per test database instead of made again.
// A fresh PGlite spends seconds of CPU in initdb (about 4.5 s here; the app's migrations
// add a fifth of a second); loading a dumped data folder costs about a third of that.
// Two templates, tarballs of PGlite's data folder (dumpDataDir): "empty" (initdb only, for
// suites that migrate or compare schemas themselves) and "migrated" (every migration applied
// by the app's own migrator). test-db.ts loads them; PostgreSQL test databases are still
// created and migrated one by one.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { TestProject } from "vitest/node";
import { migrate } from "../../src/server/db/migrate";

export interface PgliteTemplates {
  /** Tarball of a PGlite data folder straight after initdb. */
  empty: string;
  /** Tarball of a PGlite data folder with every migration applied. */
  migrated: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    pgliteTemplates: PgliteTemplates;
  }
}

async function dump(lite: PGlite, file: string): Promise<void> {
  const tarball = await lite.dumpDataDir("none");
  writeFileSync(file, new Uint8Array(await tarball.arrayBuffer()));
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), "ingest-test-pglite-"));
  const templates: PgliteTemplates = { empty: join(dir, "empty.tar"), migrated: join(dir, "migrated.tar") };
  const lite = new PGlite("memory://");
  try {
    await lite.waitReady;
    await dump(lite, templates.empty);
    // The migrator's one session, on the same single connection the app's Database gives it.
    await migrate({
      withSession: (fn) =>
        fn(async (sql) => {
          const results = await lite.exec(sql);
          return (results[results.length - 1]?.rows ?? []) as Record<string, unknown>[];
        }),
    });
    await dump(lite, templates.migrated);
  } finally {
    await lite.close();
  }
  project.provide("pgliteTemplates", templates);
  return () => rmSync(dir, { recursive: true, force: true });
}
