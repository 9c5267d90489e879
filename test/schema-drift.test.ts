// prisma/schema.prisma and the SQL migrations must describe the same database: the schema
// is turned into Prisma's own SQL (WASM schema engine, offline) and applied to one empty
// database, the migrations to another, and their catalogs compared. Also: the migrator is
// idempotent, records what `prisma migrate status` expects, and is safe under concurrent
// starts.
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { diffDatamodels } from "../scripts/schema-engine";
import type { Database } from "../src/server/db/database";
import { migrate, readMigrations } from "../src/server/db/migrate";
import { createEmptyDatabase, openTestDatabase, pgliteTemplate, postgresUrl, type TestDatabase } from "./support/test-db";

const schema = readFileSync(new URL("../prisma/schema.prisma", import.meta.url), "utf8");
/** The schema engine's throwaway connection starts from the run's empty PGlite template. */
const engineDb = { pgliteLoadDataDir: pgliteTemplate("empty") };

/** Everything about the public schema that matters, as sorted text lines. */
async function catalog(db: Database): Promise<string[]> {
  const rows = await db.prisma.$queryRawUnsafe<{ line: string }[]>(`
    SELECT format('column %s.%s %s %s null=%s default=%s', table_name, column_name, data_type, udt_name || coalesce('(' || numeric_precision || ',' || numeric_scale || ')', '') || coalesce(' p' || datetime_precision, ''), is_nullable, column_default) AS line
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
        AND table_name NOT IN (SELECT table_name FROM information_schema.views WHERE table_schema = 'public')
    UNION ALL
    SELECT format('index %s', indexdef) FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'
    UNION ALL
    SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) FROM pg_constraint
      WHERE connamespace = 'public'::regnamespace AND conrelid <> 0 AND conrelid::regclass::text NOT LIKE '%_prisma_migrations%'
    UNION ALL
    SELECT format('enum %s %s', t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)) FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`);
  return rows.map((r) => r.line).sort();
}

const opened: TestDatabase[] = [];
afterAll(async () => {
  for (const t of opened) await t.drop();
});
async function fresh(kind: "pglite" | "postgresql") {
  const t = await createEmptyDatabase(kind);
  opened.push(t);
  return t.db;
}

/**
 * One empty PGlite database migrated once, shared by the tests that only read what the
 * migrations made (each migration run on PGlite costs seconds of WASM on two cores), with
 * what that first `migrate` answered.
 */
let migratedOnce: Promise<{ db: Database; applied: string[] }> | undefined;
function migrated() {
  migratedOnce ??= (async () => {
    const db = await fresh("pglite");
    return { db, applied: await migrate(db) };
  })();
  return migratedOnce;
}

/** The views schema.prisma declares (`view X { … @@map("name") }`): column name -> Postgres type name. */
function declaredViews(): Map<string, Map<string, string>> {
  const enums = new Set([...schema.matchAll(/^enum (\w+) \{/gm)].map((m) => m[1]!));
  const scalar: Record<string, string> = { String: "text", Int: "int4", BigInt: "int8", DateTime: "timestamptz", Json: "jsonb", Boolean: "bool", Decimal: "numeric" };
  const views = new Map<string, Map<string, string>>();
  for (const [, body] of schema.matchAll(/^view \w+ \{\n([\s\S]*?)\n\}/gm)) {
    const name = /@@map\("([^"]+)"\)/.exec(body!)?.[1];
    if (!name) throw new Error("a view without @@map");
    const columns = new Map<string, string>();
    for (const line of body!.split("\n")) {
      const m = /^\s+(\w+)\s+(\w+)\??\s*(.*)$/.exec(line);
      if (!m || line.trim().startsWith("//") || line.trim().startsWith("@@")) continue;
      const [, field, type, attrs] = m;
      const column = /@map\("([^"]+)"\)/.exec(attrs!)?.[1] ?? field!;
      columns.set(column, attrs!.includes("@db.Uuid") ? "uuid" : enums.has(type!) ? type! : scalar[type!]!);
    }
    views.set(name, columns);
  }
  return views;
}

describe("schema.prisma and prisma/migrations", () => {
  it("every view schema.prisma declares is created by the migrations, with the same columns and types", async () => {
    const { db } = await migrated();
    const views = declaredViews();
    expect([...views.keys()]).toEqual(["raw_event_state"]);
    for (const [view, columns] of views) {
      const rows = await db.prisma.$queryRaw<{ column_name: string; udt_name: string }[]>`
        SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ${view}`;
      expect(new Map(rows.map((r) => [r.column_name, r.udt_name])), view).toEqual(columns);
    }
  }, 180_000);

  it("migrations produce exactly the database schema.prisma describes", async () => {
    const fromSchema = await fresh("pglite");
    await fromSchema.execScript(await diffDatamodels(null, schema, engineDb));
    const { db: fromMigrations } = await migrated();
    const expected = await catalog(fromSchema);
    expect(expected.length).toBeGreaterThan(30);
    expect(await catalog(fromMigrations)).toEqual(expected);
    // Prisma's schema engine (WASM) and two PGlite instances: over a minute on two busy cores.
  }, 180_000);

  it("the comparison notices a drift (a field added to the schema only)", async () => {
    const drifted = schema.replace("  attempts         Int ", "  priority         Int @default(0)\n  attempts         Int ");
    expect(drifted).not.toBe(schema);
    const fromSchema = await fresh("pglite");
    await fromSchema.execScript(await diffDatamodels(null, drifted, engineDb));
    const { db: fromMigrations } = await migrated();
    expect(await catalog(fromMigrations)).not.toEqual(await catalog(fromSchema));
  }, 180_000);

  it("there is no pending schema change: diffing the schema against itself is empty", async () => {
    expect((await diffDatamodels(schema, schema, engineDb)).trim()).toMatch(/^(-- This is an empty migration\.)?$/);
  });

  it("records each migration as Prisma does (name, SHA-256 checksum, finished) and applies nothing twice", async () => {
    const { db, applied } = await migrated();
    const migrations = await readMigrations();
    expect(applied).toEqual(migrations.map((m) => m.name));
    expect(await migrate(db)).toEqual([]);
    const recorded = await db.prisma.$queryRawUnsafe<{ migration_name: string; checksum: string; done: boolean }[]>(
      `SELECT migration_name, checksum, finished_at IS NOT NULL AS done FROM _prisma_migrations ORDER BY migration_name`,
    );
    expect(recorded).toEqual(migrations.map((m) => ({ migration_name: m.name, checksum: m.checksum, done: true })));
  });

  it.skipIf(!postgresUrl)("is safe when several instances migrate the same PostgreSQL database at once", async () => {
    const first = await createEmptyDatabase("postgresql");
    opened.push(first);
    const url = first.url ?? "";
    const instances = Array.from({ length: 4 }, () =>
      openTestDatabase(url, { poolSize: 2 }),
    );
    try {
      const results = await Promise.all(instances.map((db) => migrate(db)));
      const migrations = await readMigrations();
      // Exactly one instance applied each migration; the others found nothing to do.
      expect(results.flat().sort()).toEqual(migrations.map((m) => m.name).sort());
      const counts = await first.db.prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM _prisma_migrations`);
      expect(Number(counts[0]?.n)).toBe(migrations.length);
    } finally {
      await Promise.all(instances.map((db) => db.close()));
    }
  });
});
