// Migrations move a database filled under an earlier schema forward without losing a row:
// the database is migrated up to a point, filled the way that version of the service wrote
// it, then migrated to the end; every row is still there and each new column (or table) holds
// what the migration derived for it. On PGlite and PostgreSQL.
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRollups } from "../src/server/aggregates/check-rollups";
import { defaultMigrationsDir, migrate } from "../src/server/db/migrate";
import { backends, createEmptyDatabase, openTestDatabase, type TestDatabase } from "./support/test-db";

/** A folder holding the migrations before `first` (by name order). */
function migrationsBefore(first: string): string {
  const dir = mkdtempSync(join(tmpdir(), "migrations-"));
  for (const name of readdirSync(defaultMigrationsDir).filter((n) => n < first)) cpSync(join(defaultMigrationsDir, name), join(dir, name), { recursive: true });
  return dir;
}

describe.each(backends)("migrating a filled database forward on %s", (kind) => {
  let t: TestDatabase;
  let before: string;

  beforeAll(async () => {
    t = await createEmptyDatabase(kind);
    before = migrationsBefore("20261130000000_sdk_protocols");
  });
  afterAll(async () => {
    await t.drop();
    rmSync(before, { recursive: true, force: true });
  });

  it("raw events of every status keep their rows; rejected and failed ones get their reason code, SDK formats default to event", async () => {
    await migrate(t.db, before);
    // Rows as the service wrote them before SDK formats and reason codes existed.
    await t.db.execScript(`
      INSERT INTO raw_event (id, source, payload, status, reason, attempts, processed_at) VALUES
        ('00000000-0000-4000-8000-000000000001', 'old', '{"metric":"m","value":1}', 'processed', NULL, 0, now()),
        ('00000000-0000-4000-8000-000000000002', 'old', '{"metric":"m","value":1}', 'duplicate', NULL, 0, now()),
        ('00000000-0000-4000-8000-000000000003', 'old', '{"metric":"m"}', 'rejected', 'payload.value is required', 0, now()),
        ('00000000-0000-4000-8000-000000000004', 'old', '{"metric":"m","value":2}', 'rejected', 'Idempotency key "k" was already used for a different event; use a new key for a new event', 0, now()),
        ('00000000-0000-4000-8000-000000000005', 'old', '{"metric":"p","value":3}', 'failed', 'processing failed (attempt 5 of 5): poisoned', 5, now()),
        ('00000000-0000-4000-8000-000000000006', 'old', '{"metric":"m","value":4}', 'received', NULL, 1, NULL);`);

    const applied = await migrate(t.db);
    expect(applied).toEqual(expect.arrayContaining(["20261130000000_sdk_protocols", "20261130100000_raw_reason_code"]));

    const rows = await t.db.prisma.rawEvent.findMany({ orderBy: { id: "asc" }, select: { id: true, status: true, format: true, reason: true, reasonCode: true, attempts: true } });
    expect(rows.map((r) => [r.id.slice(-1), r.status, r.format, r.reasonCode, r.attempts])).toEqual([
      ["1", "processed", "event", null, 0],
      ["2", "duplicate", "event", null, 0],
      ["3", "rejected", "event", "INVALID_EVENT", 0],
      ["4", "rejected", "event", "IDEMPOTENCY_KEY_REUSED", 0],
      ["5", "failed", "event", "EVENT_FAILED", 5],
      ["6", "received", "event", null, 1],
    ]);
    // Reasons are kept as they were written.
    expect(rows[3]?.reason).toBe('Idempotency key "k" was already used for a different event; use a new key for a new event');
  });

  it("the hourly rollup is backfilled from the processed events, hours of their own time in UTC, and the check agrees", async () => {
    const db = await createEmptyDatabase(kind);
    const old = migrationsBefore("20261130400000_hourly_rollups");
    try {
      await migrate(db.db, old);
      // Processed events and their all-time rollup as the previous version wrote them (their raw
      // events pruned by retention, as the retention migration allows).
      await db.db.execScript(`
        INSERT INTO processed_event (dedup_key, content_hash, source, metric, value, occurred_at, attributes) VALUES
          ('k1', 'h1', 'shop', 'orders', 0.1, '2026-11-24T10:00:00.000Z', '{}'),
          ('k2', 'h2', 'shop', 'orders', 0.2, '2026-11-24T10:59:59.999Z', '{}'),
          ('k3', 'h3', 'shop', 'orders', 5, '2026-11-24T11:00:00.000Z', '{}'),
          ('k4', 'h4', 'pos', 'refunds', -2.5, '2026-11-23T23:30:00.000Z', '{}');
        INSERT INTO metric_aggregate (source, metric, count, sum, min, max, first_seen_at, last_seen_at, updated_at) VALUES
          ('shop', 'orders', 3, 5.3, 0.1, 5, '2026-11-24T10:00:00.000Z', '2026-11-24T11:00:00.000Z', now()),
          ('pos', 'refunds', 1, -2.5, -2.5, -2.5, '2026-11-23T23:30:00.000Z', '2026-11-23T23:30:00.000Z', now());`);
      // A half-hour time zone for the migrating session (new connections, and PGlite's one): the hours must still be UTC hours.
      await db.db.execScript(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(), 'Asia/Kolkata'); END $$; SET TIME ZONE 'Asia/Kolkata'`);
      const migrating = kind === "postgresql" ? openTestDatabase(db.url) : db.db;
      try {
        expect(await migrating.prisma.$queryRaw<{ tz: string }[]>`SELECT current_setting('TimeZone') AS tz`).toEqual([{ tz: "Asia/Kolkata" }]);
        expect(await migrate(migrating)).toContain("20261130400000_hourly_rollups");
      } finally {
        if (migrating !== db.db) await migrating.close();
      }
      // Read as text in UTC: the driver adapters read a timestamptz as if the session were in UTC.
      const hours = await db.db.prisma.$queryRaw<{ source: string; metric: string; hour: string; count: bigint; sum: string }[]>`
        SELECT source, metric, to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS hour, count, trim_scale(sum)::text AS sum
        FROM metric_aggregate_hour ORDER BY source, metric, hour`;
      expect(hours.map((h) => [h.source, h.metric, h.hour, Number(h.count), h.sum])).toEqual([
        ["pos", "refunds", "2026-11-23T23:00:00.000Z", 1, "-2.5"],
        ["shop", "orders", "2026-11-24T10:00:00.000Z", 2, "0.3"],
        ["shop", "orders", "2026-11-24T11:00:00.000Z", 1, "5"],
      ]);
      expect(await checkRollups(db.db)).toEqual({ groups: 2, hours: 3, differences: [] });
    } finally {
      await db.drop();
      rmSync(old, { recursive: true, force: true });
    }
  });
});
