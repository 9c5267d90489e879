// Retention (RAW_RETENTION_DAYS) on PGlite and PostgreSQL: raw events older than the
// retention whose processing has finished are deleted; events still `received` and recent
// ones stay; no count changes, the invariants hold, and dedup holds for pruned events (a
// re-send of one counts nothing). The worker prunes by itself; `npm run db:prune` shows
// (--dry-run) and does it as a real process.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../src/server/api/root";
import { insertRawEvents } from "../src/server/ingest/group-commit";
import { pruneCandidates, pruneRawEvents } from "../src/server/ingest/prune-raw-events";
import { startRecoveryWorker } from "../src/server/ingest/recover-stuck-events";
import { checkInvariants, rawStatusCounts } from "./support/invariants";
import { runToExit } from "./support/run-script";
import { backends, createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

describe.each(backends)("raw event retention on %s", (kind) => {
  let t: TestDatabase;
  let seq = 0;
  const src = () => `ret-${kind}-${seq++}`;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    expect(await checkInvariants(t.db)).toEqual([]);
    await t.drop();
  });

  /** Events of every outcome for `source`, then all of them made `days` old. */
  async function fill(source: string, days: number) {
    const api = createCaller(testContext(t.db, { RECOVERY_DELAY_MS: "600000" }));
    await api.ingest({ source, payload: { metric: "m", value: 2 }, idempotencyKey: `${source}-a` });
    await api.ingest({ source, payload: { metric: "m", value: 2 }, idempotencyKey: `${source}-a` });
    await api.ingest({ source, payload: { metric: "m", value: 5 } });
    await api.ingest({ source, payload: { metric: "m" } }).catch(() => undefined);
    await insertRawEvents(t.db, [{ source, payloadJson: '{"metric":"m","value":9}', format: "event", idempotencyKey: `${source}-stuck`, nextAttemptAt: new Date(Date.now() + 600_000) }]);
    await t.db.prisma.$executeRaw`UPDATE raw_event SET received_at = now() - ${days}::int * interval '1 day' WHERE source = ${source}`;
  }
  const aggregates = (source: string) => createCaller(testContext(t.db)).aggregates({ source });

  it("deletes old finished raw events in batches; received and recent ones stay; counts, invariants and dedup hold", async () => {
    const old = src();
    const recent = src();
    await fill(old, 40);
    await fill(recent, 5);
    const before = { old: await aggregates(old), recent: await aggregates(recent) };
    expect(before.old).toEqual([expect.objectContaining({ count: 2, sum: 7 })]);

    const candidates = await pruneCandidates(t.db, 30);
    expect(candidates.byStatus).toEqual({ deduplicated: 1, counted: 2, rejected: 1 });
    expect(candidates.total).toBe(4);

    expect(await pruneRawEvents(t.db, { olderThanDays: 30, batchSize: 3 })).toBe(4);
    const left = await t.db.prisma.rawEventState.findMany({ where: { source: old }, select: { status: true, idempotencyKey: true } });
    expect(left).toEqual([{ status: "received", idempotencyKey: `${old}-stuck` }]);
    expect(await t.db.prisma.rawEventState.count({ where: { source: recent } })).toBe(5);
    // The processed events stay, unlinked; the rollups are unchanged and agree with them.
    expect(await t.db.prisma.processedEvent.findMany({ where: { source: old }, select: { rawEventId: true } })).toEqual([{ rawEventId: null }, { rawEventId: null }]);
    expect({ old: await aggregates(old), recent: await aggregates(recent) }).toEqual(before);
    expect(await checkInvariants(t.db)).toEqual([]);

    // Dedup outlives the raw record: the pruned event sent again is a duplicate.
    const again = await createCaller(testContext(t.db)).ingest({ source: old, payload: { metric: "m", value: 2 }, idempotencyKey: `${old}-a` });
    expect(again).toEqual({ success: true, deduplicated: true, identifiedBy: "key" });
    expect(await aggregates(old)).toEqual(before.old);
  });

  it("the recovery worker prunes by itself when RAW_RETENTION_DAYS is set", async () => {
    const source = src();
    await fill(source, 10);
    const counts = await rawStatusCounts(t.db);
    const worker = startRecoveryWorker(testContext(t.db, { RAW_RETENTION_DAYS: "7", RECOVERY_INTERVAL_MS: "3600000", RECOVERY_DELAY_MS: "600000" }));
    try {
      await worker.runOnce();
    } finally {
      await worker.stop();
    }
    expect(await t.db.prisma.rawEventState.count({ where: { source } })).toBe(1);
    expect((await rawStatusCounts(t.db)).received).toBe(counts.received);
    expect(await aggregates(source)).toEqual([expect.objectContaining({ count: 2, sum: 7 })]);
  });

  it.runIf(kind === "postgresql")("npm run db:prune: --dry-run shows what would go and deletes nothing; without it, deletes", async () => {
    const source = src();
    await fill(source, 100);
    const env = { DATABASE_URL: t.url! };
    const dry = await runToExit("scripts/db-prune.ts", env, { args: ["--dry-run", "--days", "90"] });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/whose processing has finished: 4 \(counted 2, deduplicated 1, rejected 1\)/);
    expect(dry.stdout).toContain("Dry run: nothing deleted.");
    expect(await t.db.prisma.rawEventState.count({ where: { source } })).toBe(5);

    const run = await runToExit("scripts/db-prune.ts", env, { args: ["--days", "90"] });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("Deleted 4 raw events.");
    expect(await t.db.prisma.rawEventState.count({ where: { source } })).toBe(1);

    const bad = await runToExit("scripts/db-prune.ts", env, { args: ["--days", "0"] });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--days must be a whole number of days, at least 1.");
  });
});
