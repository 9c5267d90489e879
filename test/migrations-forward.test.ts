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
import { createCaller } from "../src/server/api/root";
import { recoverStuckEvents } from "../src/server/ingest/recover-stuck-events";
import { checkInvariants } from "./support/invariants";
import { backends, createEmptyDatabase, openTestDatabase, testContext, type TestDatabase } from "./support/test-db";

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
        ('00000000-0000-4000-8000-000000000006', 'old', '{"metric":"m","value":4}', 'received', 'processing failed (attempt 1 of 5): timeout', 1, NULL),
        ('00000000-0000-4000-8000-000000000007', 'old', '{"metric":"m","value":5}', 'processed', NULL, 2, now());
      INSERT INTO processed_event (id, dedup_key, content_hash, source, metric, value, occurred_at, attributes, raw_event_id) VALUES
        (11, 'old:k1', 'h1', 'old', 'm', 1, now(), '{}', '00000000-0000-4000-8000-000000000001'),
        (17, 'old:k7', 'h7', 'old', 'm', 5, now(), '{}', '00000000-0000-4000-8000-000000000007');
      UPDATE raw_event SET processed_event_id = 11, dedup_key = 'old:k1' WHERE id IN ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002');
      UPDATE raw_event SET processed_event_id = 17, dedup_key = 'old:k7' WHERE id = '00000000-0000-4000-8000-000000000007';
      INSERT INTO metric_aggregate (source, metric, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
        SELECT source, metric, count(*), sum(value), min(value), max(value), min(occurred_at), max(occurred_at), now() FROM processed_event GROUP BY 1, 2;`);

    const applied = await migrate(t.db);
    expect(applied).toEqual(expect.arrayContaining(["20261130000000_sdk_protocols", "20261130100000_raw_reason_code", "20261130300000_immutable_raw_events"]));

    // Status words move to the outcome vocabulary (processed -> counted, duplicate -> deduplicated);
    // where each raw event stands moves to its pending or outcome row, read through the view.
    const rows = await t.db.prisma.rawEventState.findMany({
      orderBy: { id: "asc" },
      select: { id: true, status: true, format: true, reason: true, reasonCode: true, attempts: true, processedEventId: true, dedupKey: true, nextAttemptAt: true },
    });
    expect(rows.map((r) => [r.id.slice(-1), r.status, r.format, r.reasonCode, r.attempts, r.processedEventId, r.dedupKey])).toEqual([
      ["1", "counted", "event", null, 0, 11n, "old:k1"],
      ["2", "deduplicated", "event", null, 0, 11n, "old:k1"],
      ["3", "rejected", "event", "INVALID_EVENT", 0, null, null],
      ["4", "rejected", "event", "IDEMPOTENCY_KEY_REUSED", 0, null, null],
      ["5", "failed", "event", "EVENT_FAILED", 5, null, null],
      ["6", "received", "event", null, 1, null, null],
      ["7", "counted", "event", null, 2, 17n, "old:k7"],
    ]);
    // Reasons are kept as they were written; the waiting event keeps its last error and schedule.
    expect(rows[3]?.reason).toBe('Idempotency key "k" was already used for a different event; use a new key for a new event');
    expect(rows[5]?.reason).toBe("processing failed (attempt 1 of 5): timeout");
    expect(rows[5]?.nextAttemptAt).toBeInstanceOf(Date);
    // Only what the first-try count cannot tell gets an outcome row; the waiting one is pending.
    expect((await t.db.prisma.rawEventOutcome.findMany({ orderBy: { rawEventId: "asc" }, select: { rawEventId: true } })).map((o) => o.rawEventId.slice(-1))).toEqual(["2", "3", "4", "5", "7"]);
    expect((await t.db.prisma.rawEventPending.findMany({ select: { rawEventId: true } })).map((q) => q.rawEventId.slice(-1))).toEqual(["6"]);
    expect(await checkInvariants(t.db)).toEqual([]);
  });

  it("the migrated database takes new events and the recovery worker finishes the waiting one", async () => {
    const ctx = testContext(t.db, { RECOVERY_DELAY_MS: "0" });
    await t.db.prisma.rawEventPending.updateMany({ data: { nextAttemptAt: new Date(0) } });
    expect(await recoverStuckEvents(ctx)).toEqual({ recovered: 1, failed: 0, retrying: 0 });
    const six = await t.db.prisma.rawEventState.findUniqueOrThrow({ where: { id: "00000000-0000-4000-8000-000000000006" }, select: { status: true, attempts: true } });
    expect(six).toEqual({ status: "counted", attempts: 2 });
    expect(await createCaller(ctx).ingest({ source: "old", payload: { metric: "m", value: 7 } })).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
    expect(await createCaller(ctx).aggregates({ source: "old" })).toEqual([expect.objectContaining({ metric: "m", count: 4, sum: 17 })]);
    expect(await checkInvariants(t.db)).toEqual([]);
  });

  it.each([
    ["hourly and daily rollups are", "20261130400000_hourly_rollups"],
    ["daily rollup is", "20261130500000_daily_rollup"],
  ])("the %s backfilled from the processed events, hours and days of their own time in UTC, and the check agrees", async (_, first) => {
    const db = await createEmptyDatabase(kind);
    const old = migrationsBefore(first);
    try {
      await migrate(db.db, old);
      // Processed events and their rollups as the previous version wrote them (their raw events
      // pruned by retention, as the retention migration allows): all-time, and hourly once it existed.
      const hourlyRollup = first > "20261130400000_hourly_rollups";
      await db.db.execScript(`
        INSERT INTO processed_event (dedup_key, content_hash, source, metric, value, occurred_at, attributes) VALUES
          ('k1', 'h1', 'shop', 'orders', 0.1, '2026-11-24T10:00:00.000Z', '{}'),
          ('k2', 'h2', 'shop', 'orders', 0.2, '2026-11-24T10:59:59.999Z', '{}'),
          ('k3', 'h3', 'shop', 'orders', 5, '2026-11-24T11:00:00.000Z', '{}'),
          ('k4', 'h4', 'pos', 'refunds', -2.5, '2026-11-23T23:30:00.000Z', '{}');
        INSERT INTO metric_aggregate (source, metric, count, sum, min, max, first_seen_at, last_seen_at, updated_at) VALUES
          ('shop', 'orders', 3, 5.3, 0.1, 5, '2026-11-24T10:00:00.000Z', '2026-11-24T11:00:00.000Z', now()),
          ('pos', 'refunds', 1, -2.5, -2.5, -2.5, '2026-11-23T23:30:00.000Z', '2026-11-23T23:30:00.000Z', now());
        ${hourlyRollup ? `INSERT INTO metric_aggregate_hour (source, metric, hour, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
          SELECT source, metric, date_trunc('hour', occurred_at, 'UTC'), count(*), sum(value), min(value), max(value), min(occurred_at), max(occurred_at), now()
          FROM processed_event GROUP BY 1, 2, 3;` : ""}`);
      // A half-hour time zone for the migrating session (new connections, and PGlite's one): the hours must still be UTC hours.
      await db.db.execScript(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(), 'Asia/Kolkata'); END $$; SET TIME ZONE 'Asia/Kolkata'`);
      const migrating = kind === "postgresql" ? openTestDatabase(db.url) : db.db;
      try {
        expect(await migrating.prisma.$queryRaw<{ tz: string }[]>`SELECT current_setting('TimeZone') AS tz`).toEqual([{ tz: "Asia/Kolkata" }]);
        expect(await migrate(migrating)).toEqual(expect.arrayContaining([first, "20261130500000_daily_rollup"]));
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
      // 23:30 UTC on the 23rd is already the 24th in Kolkata: it stays on the 23rd.
      const days = await db.db.prisma.$queryRaw<{ source: string; metric: string; day: string; count: bigint; sum: string; min: string; max: string; first: string; last: string }[]>`
        SELECT source, metric, to_char(day AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS day, count, trim_scale(sum)::text AS sum,
               trim_scale(min)::text AS min, trim_scale(max)::text AS max,
               to_char(first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS first, to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last
        FROM metric_aggregate_day ORDER BY source, metric, day`;
      expect(days.map((d) => [d.source, d.metric, d.day, Number(d.count), d.sum, d.min, d.max, d.first, d.last])).toEqual([
        ["pos", "refunds", "2026-11-23T00:00:00.000Z", 1, "-2.5", "-2.5", "-2.5", "2026-11-23T23:30:00.000Z", "2026-11-23T23:30:00.000Z"],
        ["shop", "orders", "2026-11-24T00:00:00.000Z", 3, "5.3", "0.1", "5", "2026-11-24T10:00:00.000Z", "2026-11-24T11:00:00.000Z"],
      ]);
      expect(await checkRollups(db.db)).toEqual({ groups: 2, days: 2, hours: 3, differences: [], meters: [] });
    } finally {
      await db.drop();
      rmSync(old, { recursive: true, force: true });
    }
  });
});
