// Input the database cannot store, or JavaScript cannot hold, is refused at the envelope
// with 400 naming the field, before anything is stored and without failing anyone else's
// request; values at the edges are refused with 422; ambiguous headers are refused.
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { createCaller } from "../src/server/api/root";
import { recoverStuckEvents } from "../src/server/ingest/recover-stuck-events";
import { startHttpApp } from "./support/http-app";
import { failure } from "./support/trpc-failure";
import { backends, openTestDatabase, postgresUrl, testContext } from "./support/test-db";
import { useTestDatabase } from "./support/use-test-database";

const nested = (depth: number): Record<string, unknown> => {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < depth; i++) v = { n: v };
  return v;
};

describe.each(backends)("unstorable input on %s", (kind) => {
  const t = useTestDatabase(kind);
  let seq = 0;
  const src = () => `harden-${kind}-${seq++}`;

  it.each([
    ["a NUL character in an attribute", { metric: "m", value: 1, note: "a\u0000b" }, "payload.note"],
    ["a lone surrogate in the metric", { metric: "m\ud800", value: 1 }, "payload.metric"],
    ["a NUL character in a key", { metric: "m", value: 1, ["k\u0000"]: 1 }, "payload.k\u0000"],
    ["JSON nested deeper than 32 levels", { metric: "m", value: 1, deep: nested(40) }, `payload.deep${".n".repeat(31)}`],
    ["JSON nested 5,000 levels (a stack overflow elsewhere)", { metric: "m", value: 1, deep: nested(5000) }, `payload.deep${".n".repeat(31)}`],
  ])("%s is 400 naming the field; nothing stored", async (_what, payload, field) => {
    const api = createCaller(testContext(t.db));
    const source = src();
    const err = await failure(api.ingest({ source, payload }));
    expect(err).toMatchObject({ code: "INVALID_ENVELOPE", status: 400, field });
    expect(await t.db.prisma.rawEventState.count({ where: { source } })).toBe(0);
  });

  it("a __proto__ key is refused rather than silently dropped", async () => {
    const api = createCaller(testContext(t.db));
    const source = src();
    const payload = JSON.parse('{"metric":"m","value":1,"__proto__":{"x":1}}') as Record<string, unknown>;
    expect(Object.keys(payload)).toContain("__proto__");
    const err = await failure(api.ingest({ source, payload }));
    expect(err).toMatchObject({ code: "INVALID_ENVELOPE", field: "payload.__proto__" });
    expect(await t.db.prisma.rawEventState.count({ where: { source } })).toBe(0);
  });

  it("a NUL character or lone surrogate in the source or key is 400 naming it", async () => {
    const api = createCaller(testContext(t.db));
    expect(await failure(api.ingest({ source: "s\u0000", payload: { metric: "m", value: 1 } }))).toMatchObject({ status: 400, field: "source" });
    expect(await failure(api.ingest({ source: src(), payload: { metric: "m", value: 1 }, idempotencyKey: "k\udc00" }))).toMatchObject({ status: 400, field: "idempotencyKey" });
  });

  it("an unstorable event in a batch is rejected alone; the rest is counted", async () => {
    const api = createCaller(testContext(t.db));
    const source = src();
    const out = await api.ingestBatch({
      events: [
        { source, payload: { metric: "m", value: 1, eventId: "a" } },
        { source, payload: { metric: "m", value: 2, note: "\u0000" } },
        { source, payload: { metric: "m", value: 3, eventId: "c" } },
      ],
    });
    expect(out).toMatchObject({ counted: 2, rejected: 1 });
    expect(out.results[1]).toMatchObject({ status: "rejected", code: "INVALID_ENVELOPE", field: "events[1].payload.note" });
  });

  it.each([
    ["a value whose rollup could overflow", { metric: "m", value: 9e34 }, "payload.value"],
    ["the year 0000", { metric: "m", value: 1, timestamp: "0000-01-01T00:00:00Z" }, "payload.timestamp"],
    ["the year 10000 in epoch milliseconds", { metric: "m", value: 1, timestamp: 253_402_300_800_000 }, "payload.timestamp"],
  ])("%s is 422 naming the field, kept as rejected", async (_what, payload, field) => {
    const api = createCaller(testContext(t.db));
    const source = src();
    expect(await failure(api.ingest({ source, payload }))).toMatchObject({ code: "INVALID_EVENT", status: 422, field });
    expect(await t.db.prisma.rawEventState.findMany({ where: { source }, select: { status: true } })).toEqual([{ status: "rejected" }]);
  });

  it("large values at the limit are counted exactly", async () => {
    const api = createCaller(testContext(t.db));
    const source = src();
    await api.ingest({ source, payload: { metric: "m", value: 9.9e19, eventId: "1" } });
    await api.ingest({ source, payload: { metric: "m", value: 9.9e19, eventId: "2" } });
    expect((await api.aggregates({ source }))[0]).toMatchObject({ count: 2, sum: 1.98e20 });
  });

  it("a capture the database refuses fails only its own request, not its group", async () => {
    await t.db.execScript(`
      CREATE OR REPLACE FUNCTION test_refuse_capture() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.source = 'refused-source' THEN RAISE EXCEPTION 'capture refused by trigger'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER test_refuse_capture BEFORE INSERT ON raw_event FOR EACH ROW EXECUTE FUNCTION test_refuse_capture();`);
    try {
      const api = createCaller(testContext(t.db));
      const source = src();
      const settled = await Promise.allSettled([
        api.ingest({ source, payload: { metric: "m", value: 1 }, idempotencyKey: "g1" }),
        api.ingest({ source: "refused-source", payload: { metric: "m", value: 2 } }),
        api.ingest({ source, payload: { metric: "m", value: 3 }, idempotencyKey: "g3" }),
      ]);
      expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect((await api.aggregates({ source }))[0]).toMatchObject({ count: 2, sum: 4 });
    } finally {
      await t.db.execScript(`DROP TRIGGER test_refuse_capture ON raw_event; DROP FUNCTION test_refuse_capture();`);
    }
  });

  it("the same header twice is 400 naming it, over real HTTP", async () => {
    const app = await startHttpApp(testContext(t.db));
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${app.url}/ingest`, { method: "POST" }, (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on("error", reject);
        req.setHeader("content-type", "application/json");
        req.setHeader("Idempotency-Key", ["a", "b"]);
        req.end(JSON.stringify({ source: src(), payload: { metric: "m", value: 1 } }));
      });
      expect(status).toBe(400);
      expect(JSON.parse(body)).toMatchObject({ error: { code: "INVALID_ENVELOPE", field: "idempotencyKey" } });
    } finally {
      await app.close();
    }
  });
});

describe.skipIf(!postgresUrl)("the recovery worker under timeouts (PostgreSQL)", () => {
  const t = useTestDatabase("postgresql");

  it("a timeout never uses up an event's attempts: it stays received, never failed", async () => {
    await t.db.execScript(`
      CREATE OR REPLACE FUNCTION test_slow() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.metric = 'slow' THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END $$;
      CREATE TRIGGER test_slow BEFORE INSERT ON processed_event FOR EACH ROW EXECUTE FUNCTION test_slow();`);
    const impatient = openTestDatabase(t.url, { poolSize: 2, connectTimeoutMs: 2000, queryTimeoutMs: 300 });
    try {
      const ctx = testContext(impatient, { RECOVERY_MAX_ATTEMPTS: "1", RECOVERY_DELAY_MS: "0" });
      expect(await failure(createCaller(ctx).ingest({ source: "slow", payload: { metric: "slow", value: 1 } }))).toMatchObject({ code: "DATABASE_UNAVAILABLE", status: 503 });
      for (let i = 0; i < 2; i++) {
        await t.db.prisma.rawEventPending.updateMany({ where: { rawEvent: { source: "slow" } }, data: { nextAttemptAt: new Date(Date.now() - 1000) } });
        await recoverStuckEvents(ctx);
      }
      const raw = await t.db.prisma.rawEventState.findFirstOrThrow({ where: { source: "slow" } });
      // More attempts than RECOVERY_MAX_ATTEMPTS allows, and still not given up on.
      expect(raw.status).toBe("received");
      expect(raw.attempts).toBeGreaterThan(1);
      expect(raw.reason).toMatch(/timeout|cancel/i);
    } finally {
      await impatient.close();
      await t.db.execScript(`DROP TRIGGER test_slow ON processed_event; DROP FUNCTION test_slow();`);
      // Healthy again: the worker finishes it, so the suite ends with nothing stuck.
      await t.db.prisma.rawEventPending.updateMany({ where: { rawEvent: { source: "slow" } }, data: { nextAttemptAt: new Date(Date.now() - 1000) } });
      await recoverStuckEvents(testContext(t.db, { RECOVERY_DELAY_MS: "0" }));
    }
  });
});
