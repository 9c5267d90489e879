// The app's own migrator: applies prisma/migrations/<name>/migration.sql in name order and
// records each in Prisma's `_prisma_migrations` table (same columns, same SHA-256
// checksum), so `prisma migrate status` on a machine with the real engine agrees.
// Safe under concurrent starts: every instance takes the same session advisory lock, so
// one applies and the others wait, then find nothing left to do. Each migration runs in
// its own transaction with its record: a crash leaves it either applied and recorded or
// neither.
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { projectRoot } from "../project-root";
import type { Database } from "./database";

export const defaultMigrationsDir = fileURLToPath(new URL("prisma/migrations", projectRoot));

/** Session advisory lock every instance takes to migrate (an arbitrary shared constant). */
export const MIGRATION_LOCK_KEY = 7_320_114_913;

const createTableSql = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
);`;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** The migrations on disk, read once per folder: they do not change while a process runs. */
const readOnce = new Map<string, Promise<Migration[]>>();
export function readMigrations(dir = defaultMigrationsDir): Promise<Migration[]> {
  let migrations = readOnce.get(dir);
  if (!migrations) {
    migrations = readMigrationFiles(dir);
    migrations.catch(() => readOnce.delete(dir));
    readOnce.set(dir, migrations);
  }
  return migrations;
}

async function readMigrationFiles(dir: string): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(`${dir}/${name}/migration.sql`, "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Applies every pending migration; returns the names it applied. */
export async function migrate(db: Pick<Database, "withSession">, dir = defaultMigrationsDir): Promise<string[]> {
  const migrations = await readMigrations(dir);
  return db.withSession(async (query) => {
    // No statement timeout here: waiting for another instance's migration, or building an
    // index on a large table, may rightly take longer than any request should.
    // The table is created only when missing: CREATE TABLE IF NOT EXISTS still needs the
    // CREATE privilege, which a least-privilege runtime role (migrated by an operator with
    // npm run db:migrate) does not have.
    const [state] = await query(
      `SET statement_timeout = 0; SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY}); SELECT to_regclass('"_prisma_migrations"') IS NULL AS missing`,
    );
    try {
      if (state?.missing === true) await query(createTableSql);
      const rows = await query(
        `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      );
      const done = new Map(rows.map((r) => [String(r.migration_name), String(r.checksum)]));
      const applied: string[] = [];
      for (const m of migrations) {
        const recorded = done.get(m.name);
        if (recorded !== undefined) {
          if (recorded !== m.checksum) throw new Error(`Migration ${m.name} was changed after it was applied (checksum mismatch)`);
          continue;
        }
        await query(
          `BEGIN;\n${m.sql}\n;INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count) ` +
            `VALUES (${quote(randomUUID())}, ${quote(m.checksum)}, ${quote(m.name)}, now(), now(), 1);\nCOMMIT;`,
        );
        applied.push(m.name);
      }
      return applied;
    } finally {
      await query(`ROLLBACK; SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY}); RESET statement_timeout`).catch(() => {});
    }
  });
}

/** Names of migrations present on disk but not applied (empty when up to date). */
export async function pendingMigrations(db: Database, dir = defaultMigrationsDir): Promise<string[]> {
  const migrations = await readMigrations(dir);
  // An empty database (no _prisma_migrations yet) has every migration pending; asking the
  // table would fail with "relation does not exist", which means something else.
  const [table] = await db.prisma.$queryRaw<{ present: boolean }[]>`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`;
  if (table?.present !== true) return migrations.map((m) => m.name);
  const rows = await db.prisma.$queryRawUnsafe<{ migration_name: string }[]>(
    `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  const done = new Set(rows.map((r) => r.migration_name));
  return migrations.map((m) => m.name).filter((n) => !done.has(n));
}
