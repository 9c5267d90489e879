// Real databases for tests: a fresh in-memory PGlite, or a fresh database created on the
// PostgreSQL server named by TEST_DATABASE_URL / DATABASE_URL (dropped afterwards). Each
// call gets its own empty, migrated database, so tests never see each other's data.
// Under `npm test` a PGlite database is a clone of the run's template (pglite-setup.ts),
// made once by initdb and the app's migrator, instead of initdb and migrations again.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { inject } from "vitest";
import { loadConfig, type Config } from "../../src/server/config";
import type { ServerContext } from "../../src/server/context";
import { openDatabase, type Database } from "../../src/server/db/database";
import { migrate } from "../../src/server/db/migrate";
import { createLogger } from "../../src/server/logger";
import type { PgliteTemplates } from "./pglite-setup";

export type BackendKind = "pglite" | "postgresql";

/** The server tests run against PostgreSQL on, if one is configured. */
export const postgresUrl: string | undefined = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;

/** Backends every storage test runs on: PGlite always, PostgreSQL when configured. */
export const backends: BackendKind[] = postgresUrl ? ["pglite", "postgresql"] : ["pglite"];

export interface TestDatabase {
  db: Database;
  url?: string;
  drop(): Promise<void>;
}

const timeouts = { poolSize: 20, connectTimeoutMs: 5000, queryTimeoutMs: 10_000, transactionTimeoutMs: 10_000 };

/** Another connection pool on a test database (a second app instance), with test timeouts. */
export function openTestDatabase(url: string | undefined, opts: Partial<typeof timeouts> = {}): Database {
  return openDatabase({ url, pgliteDataDir: "memory://", ...timeouts, ...opts });
}

/** The run's PGlite template, read once per test process; undefined where no global setup made one. */
const templates = new Map<string, Blob>();
export function pgliteTemplate(which: keyof PgliteTemplates): Blob | undefined {
  const file = process.env.VITEST ? inject("pgliteTemplates")?.[which] : undefined;
  if (!file) return undefined;
  let blob = templates.get(file);
  if (!blob) templates.set(file, (blob = new Blob([readFileSync(file)])));
  return blob;
}

function openPglite(template: keyof PgliteTemplates, opts: Partial<typeof timeouts>): TestDatabase {
  const db = openDatabase({ pgliteDataDir: "memory://", pgliteLoadDataDir: pgliteTemplate(template), ...timeouts, ...opts });
  return { db, drop: () => db.close() };
}

/** Creates an empty database (not migrated). */
export async function createEmptyDatabase(kind: BackendKind, opts: Partial<typeof timeouts> = {}): Promise<TestDatabase> {
  if (kind === "pglite") return openPglite("empty", opts);
  if (!postgresUrl) throw new Error("No PostgreSQL configured (TEST_DATABASE_URL or DATABASE_URL)");
  const name = `ingest_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = withDatabase(postgresUrl, name);
  const db = openTestDatabase(url, opts);
  return {
    db,
    url,
    async drop() {
      await db.close().catch(() => {});
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Creates an empty database and applies every migration. */
export async function createTestDatabase(kind: BackendKind, opts: Partial<typeof timeouts> = {}): Promise<TestDatabase> {
  const t = kind === "pglite" ? openPglite("migrated", opts) : await createEmptyDatabase(kind, opts);
  // On a migrated template this finds nothing to do (and would catch a stale template).
  await migrate(t.db);
  return t;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", RECOVERY_DELAY_MS: "0", PGLITE_DATA_DIR: "memory://", ...overrides });
}

export function testContext(db: Database, overrides: Record<string, string> = {}): ServerContext {
  const config = testConfig(overrides);
  return { db, config, log: createLogger(config.LOG_LEVEL) };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
