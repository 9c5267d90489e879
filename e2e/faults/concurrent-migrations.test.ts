// Several instances starting together on an EMPTY database: the migrator's advisory lock
// must let exactly one apply each migration while the others wait, and every instance must
// become ready. Checked from _prisma_migrations: each migration on disk recorded exactly
// once, finished, never rolled back. To make the race certain rather than likely (tsx
// start-up times vary by seconds), the test first holds the migrator's lock itself, waits
// until all three instances queue on it, then lets them go at once. Access control is on:
// the check that every instance serves sends a write key the keys CLI created afterwards.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/server/db/database";
import { MIGRATION_LOCK_KEY, readMigrations } from "../../src/server/db/migrate";
import { appEnv, createFleet, type AppInstance } from "./support/app-fleet";
import { openCheckDatabase } from "./support/check-db";
import { startCluster, type PgCluster } from "./support/pg-cluster";
import { createKeyWithCli } from "./support/keys-cli";
import { postOnce, writer } from "./support/retrying-client";
import { eventually } from "./support/wait";

/** The migrator's advisory lock key. */
const migrationLockKey = () => String(MIGRATION_LOCK_KEY);

describe("three instances started at the same moment on an empty database", () => {
  let cluster: PgCluster;
  let apps: AppInstance[] = [];
  let db: Database;

  beforeAll(async () => {
    cluster = await startCluster();
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await db?.close().catch(() => {});
    await cluster?.destroy();
  });

  it("all become ready and every migration is applied exactly once", async () => {
    const url = await cluster.createDatabase("migrations");
    db = openCheckDatabase(url);
    // The suite's short DB_QUERY_TIMEOUT_MS must not cut the lock wait short: the migrator
    // runs its session without a statement timeout, so all three queue until it is released.
    apps = await createFleet(3, appEnv(url, { LOG_LEVEL: "info" }));

    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    let starting: Promise<void[]> | undefined;
    try {
      await holder.query(`SELECT pg_advisory_lock(${migrationLockKey()})`);
      // Spawned in the same tick; each resolves when its /api/ready answers 200.
      starting = Promise.all(apps.map((a) => a.start()));
      starting.catch(() => {});
      await eventually(
        "all three instances to wait on the migration lock",
        async () => {
          const r = await db.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`;
          return r[0]?.n === 3 ? true : undefined;
        },
        60_000,
      );
    } finally {
      await holder.query("SELECT pg_advisory_unlock_all()").catch(() => {});
      await holder.end();
    }
    await starting;
    // Exactly one instance applied the migrations; the other two found nothing to do.
    const appliers = apps.filter((a) => a.outputs().join("").includes('"migrations applied"'));
    expect(appliers).toHaveLength(1);

    const rows = await db.prisma.$queryRaw<{ migration_name: string; n: number; unfinished: number }[]>`
      SELECT migration_name, count(*)::int AS n,
             count(*) FILTER (WHERE finished_at IS NULL OR rolled_back_at IS NOT NULL)::int AS unfinished
      FROM "_prisma_migrations" GROUP BY migration_name ORDER BY migration_name`;
    const onDisk = (await readMigrations()).map((m) => m.name);
    expect(rows.map((r) => r.migration_name)).toEqual(onDisk);
    for (const r of rows) expect({ name: r.migration_name, n: r.n, unfinished: r.unfinished }).toEqual({ name: r.migration_name, n: 1, unfinished: 0 });

    // And every instance serves the migrated schema.
    const client = writer("faults-migrations", await createKeyWithCli(appEnv(url), { source: "faults-migrations", label: "migrations" }));
    for (const [i, app] of apps.entries()) {
      const { attempt } = await postOnce(app.url, { ...client, key: `migrations-${i}`, metric: "m", value: i }, 10_000);
      expect(attempt.result).toBe(200);
    }
    for (const app of apps) expect(app.problems()).toEqual([]);
  });
});
