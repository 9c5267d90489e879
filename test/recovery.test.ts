// The recovery worker: raw events left `received` by a failure after capture are finished
// by the worker, counted once even when a client retry races it, and a poison event ends
// `failed` after bounded attempts without blocking anything else.
import { describe, expect, it } from "vitest";
import { createCaller } from "../src/server/api/root";
import type { ServerContext } from "../src/server/context";
import { insertRawEvents } from "../src/server/ingest/group-commit";
import { recoverStuckEvents, startRecoveryWorker } from "../src/server/ingest/recover-stuck-events";
import { failure } from "./support/trpc-failure";
import { useTestDatabase } from "./support/use-test-database";
import { backends, postgresUrl, testContext } from "./support/test-db";

const failAfterCapture = async (ctx: ServerContext, source: string, payload: Record<string, unknown>, idempotencyKey?: string) => {
  expect(await failure(createCaller(ctx).ingest({ source, payload, idempotencyKey, simulate: "after-capture" }))).toMatchObject({ code: "SIMULATED_FAILURE", status: 503 });
};

/** Runs worker passes until `done()` holds (bounded), as the loop in every instance would. */
async function recoverUntil(ctx: ServerContext, done: () => Promise<boolean>, maxPasses = 200): Promise<void> {
  for (let i = 0; i < maxPasses; i++) {
    if (await done()) return;
    await recoverStuckEvents(ctx);
    await new Promise((r) => setImmediate(r));
  }
  throw new Error("condition not reached after the bounded number of recovery passes");
}

describe.each(backends)("recovery worker on %s", (kind) => {
  const t = useTestDatabase(kind);

  it("a failure after capture is recovered by the worker and counted once", async () => {
    const ctx = testContext(t.db);
    const source = `rec-${kind}-1`;
    await failAfterCapture(ctx, source, { metric: "m", value: 4 }, "k1");
    expect(await createCaller(ctx).aggregates({ source })).toEqual([]);
    const report = await recoverStuckEvents(ctx);
    expect(report.recovered).toBeGreaterThanOrEqual(1);
    const raw = await t.db.prisma.rawEventState.findMany({ where: { source } });
    expect(raw).toEqual([expect.objectContaining({ status: "counted", attempts: 1 })]);
    expect(await createCaller(ctx).aggregates({ source })).toEqual([expect.objectContaining({ count: 1, sum: 4 })]);
    // The client's retry after the worker finished: deduplicated.
    expect(await createCaller(ctx).ingest({ source, payload: { metric: "m", value: 4 }, idempotencyKey: "k1" })).toEqual({ success: true, deduplicated: true, identifiedBy: "key" });
  });

  it("a failure after capture is counted once when the client retry races the worker", async () => {
    const ctx = testContext(t.db);
    for (let round = 0; round < 8; round++) {
      const source = `race-${kind}-${round}`;
      const payload = { metric: "m", value: round + 1 };
      await failAfterCapture(ctx, source, payload, "race-key");
      const [retry] = await Promise.all([createCaller(ctx).ingest({ source, payload, idempotencyKey: "race-key" }), recoverStuckEvents(ctx)]);
      expect(retry.success).toBe(true);
      const statuses = (await t.db.prisma.rawEventState.findMany({ where: { source }, select: { status: true } })).map((r) => r.status).sort();
      expect(statuses).toEqual(["counted", "deduplicated"]);
      expect(await createCaller(ctx).aggregates({ source })).toEqual([expect.objectContaining({ count: 1, sum: round + 1 })]);
    }
  });

  it("leaves a fresh raw event alone until the recovery delay has passed", async () => {
    const ctx = testContext(t.db, { RECOVERY_DELAY_MS: "60000" });
    const source = `delay-${kind}`;
    await failAfterCapture(ctx, source, { metric: "m", value: 1 });
    await recoverStuckEvents(ctx);
    expect(await t.db.prisma.rawEventState.findMany({ where: { source }, select: { status: true, attempts: true } })).toEqual([{ status: "received", attempts: 0 }]);
    // Due now: the worker takes it.
    await t.db.prisma.rawEventPending.updateMany({ where: { rawEvent: { source } }, data: { nextAttemptAt: new Date(Date.now() - 1000) } });
    await recoverStuckEvents(ctx);
    expect(await t.db.prisma.rawEventState.findMany({ where: { source }, select: { status: true } })).toEqual([{ status: "counted" }]);
  });

  it("a poison event is stored failed with its reason and code, by the request or by the worker, and never blocks others", async () => {
    // A real database-side fault: processing this metric fails every time.
    await t.db.execScript(`
      CREATE OR REPLACE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.metric = 'poison' THEN RAISE EXCEPTION 'poisoned metric refused by trigger'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER test_poison BEFORE INSERT ON processed_event FOR EACH ROW EXECUTE FUNCTION test_poison();`);
    try {
      const ctx = testContext(t.db, { RECOVERY_MAX_ATTEMPTS: "3", RECOVERY_DELAY_MS: "0" });
      const api = createCaller(ctx);
      const source = `poison-${kind}`;
      // The request: the database refuses the event itself, so it is stored failed at once and
      // the answer says retrying will not help (a fixed message; the detail is in the reason).
      const refused = await failure(api.ingest({ source, payload: { metric: "poison", value: 1 } }));
      expect(refused).toMatchObject({ code: "EVENT_FAILED", status: 500 });
      expect(refused.toBody().error).toMatchObject({ retryable: false, message: expect.not.stringContaining("trigger") });
      expect(await api.ingest({ source, payload: { metric: "fine", value: 2 } })).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
      const first = await t.db.prisma.rawEventState.findFirstOrThrow({ where: { source, payload: { path: ["value"], equals: 1 } } });
      expect(first).toMatchObject({ status: "failed", reasonCode: "EVENT_FAILED", attempts: 0 });
      expect(first.reason).toMatch(/poisoned metric refused by trigger/);

      // The worker: a poison event left received (captured, never processed) among good ones.
      await insertRawEvents(t.db, [{ source, payloadJson: JSON.stringify({ metric: "poison", value: 7 }), format: "event", idempotencyKey: null, nextAttemptAt: new Date() }]);
      await failAfterCapture(ctx, source, { metric: "fine", value: 3 });
      await recoverUntil(ctx, async () => (await t.db.prisma.rawEventState.count({ where: { source, status: "received" } })) === 0);
      const second = await t.db.prisma.rawEventState.findFirstOrThrow({ where: { source, payload: { path: ["value"], equals: 7 } } });
      expect(second).toMatchObject({ status: "failed", reasonCode: "EVENT_FAILED", attempts: 1 });
      expect(second.reason).toMatch(/poisoned metric refused by trigger/);
      expect(await api.aggregates({ source })).toEqual([expect.objectContaining({ metric: "fine", count: 2, sum: 5 })]);
    } finally {
      await t.db.execScript(`DROP TRIGGER test_poison ON processed_event; DROP FUNCTION test_poison();`);
    }
  });

  it("the background loop recovers stuck events by itself", async () => {
    const ctx = testContext(t.db, { RECOVERY_INTERVAL_MS: "20" });
    const source = `loop-${kind}`;
    await failAfterCapture(ctx, source, { metric: "m", value: 9 });
    const worker = startRecoveryWorker(ctx);
    try {
      await expect
        .poll(async () => (await t.db.prisma.rawEventState.findFirst({ where: { source } }))?.status, { timeout: 10_000, interval: 20 })
        .toBe("counted");
    } finally {
      await worker.stop();
    }
  });
});

describe.skipIf(!postgresUrl)("recovery workers in several instances at once (PostgreSQL)", () => {
  const t = useTestDatabase("postgresql", { instances: 3, poolSize: 4 });
  const instances = t.instances;

  it("never process the same event twice: every stuck event is claimed once and counted once", async () => {
    const ctx = testContext(t.db);
    const source = "multi-worker";
    for (let i = 0; i < 30; i++) await failAfterCapture(ctx, source, { metric: "m", value: i, eventId: `e${i}` });
    // Some events are also stuck twice (a retry that failed the same way): still one count each.
    for (let i = 0; i < 5; i++) await failAfterCapture(ctx, source, { metric: "m", value: i, eventId: `e${i}` });
    const reports = await Promise.all(instances.map((db) => recoverStuckEvents(testContext(db))));
    expect(reports.reduce((n, r) => n + r.recovered, 0)).toBe(35);
    const raws = await t.db.prisma.rawEventState.findMany({ where: { source } });
    expect(raws.every((r) => r.attempts === 1)).toBe(true);
    expect(raws.filter((r) => r.status === "counted")).toHaveLength(30);
    expect(raws.filter((r) => r.status === "deduplicated")).toHaveLength(5);
    const [agg] = await createCaller(ctx).aggregates({ source });
    expect(agg).toMatchObject({ count: 30, sum: (29 * 30) / 2 });
  });
});
