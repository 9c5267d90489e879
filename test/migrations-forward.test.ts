// Migrations move a database filled under an earlier schema forward without losing a row:
// the database is migrated up to a point, filled the way that version of the service wrote
// it, then migrated to the end; every row is still there and each new column holds what the
// migration derived for it. On PGlite and PostgreSQL.
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultMigrationsDir, migrate } from "../src/server/db/migrate";
import { createCaller } from "../src/server/api/root";
import { recoverStuckEvents } from "../src/server/ingest/recover-stuck-events";
import { checkInvariants } from "./support/invariants";
import { backends, createEmptyDatabase, testContext, type TestDatabase } from "./support/test-db";

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
    expect(await createCaller(ctx).ingest({ source: "old", payload: { metric: "m", value: 7 } })).toEqual({ success: true, deduplicated: false });
    expect(await createCaller(ctx).aggregates({ source: "old" })).toEqual([expect.objectContaining({ metric: "m", count: 4, sum: 17 })]);
    expect(await checkInvariants(t.db)).toEqual([]);
  });
});
