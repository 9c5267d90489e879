// The write path through the tRPC procedures (createCaller), on every configured backend:
// what is counted, what is deduplicated, what is rejected, and what is stored each time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../src/server/api/root";
import type { ServerContext } from "../src/server/context";
import { checkInvariants } from "./support/invariants";
import { failure } from "./support/trpc-failure";
import { insertRawEvents } from "../src/server/ingest/store";
import { processRawEvent } from "../src/server/ingest/process-raw-event";
import { decideRulesOf } from "../src/server/ingest/decide-event";
import { keyReusedReason } from "../src/server/ingest/outcome";
import { backends, createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

let n = 0;
const uniqueSource = () => `client-${Date.now().toString(36)}-${n++}`;

describe.each(backends)("ingest on %s", (kind) => {
  let t: TestDatabase;
  let ctx: ServerContext;
  let api: ReturnType<typeof createCaller>;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    ctx = testContext(t.db, { RECOVERY_DELAY_MS: "60000" });
    api = createCaller(ctx);
  });
  afterAll(async () => {
    expect(await checkInvariants(t.db)).toEqual([]);
    await t.drop();
  });

  it("counts a new event and answers deduplicated: false", async () => {
    const source = uniqueSource();
    expect(await api.ingest({ source, payload: { metric: "cpu", value: 3 } })).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
    const [agg] = await api.aggregates({ source });
    expect(agg).toMatchObject({ source, metric: "cpu", count: 1, sum: 3, avg: 3, min: 3, max: 3 });
    const raw = await t.db.prisma.rawEventState.findMany({ where: { source } });
    expect(raw).toHaveLength(1);
    expect(raw[0]).toMatchObject({ status: "counted", payload: { metric: "cpu", value: 3 } });
  });

  it("deduplicates a re-sent event, whatever its key order and number spelling", async () => {
    const source = uniqueSource();
    const ts = "2026-01-01T10:00:00Z";
    await api.ingest({ source, payload: { metric: "m", value: 1, timestamp: ts, region: "eu" } });
    const again = await api.ingest({ source, payload: JSON.parse(`{"region":"eu","timestamp":"2026-01-01T11:00:00+01:00","value":1.0,"metric":"m"}`) });
    expect(again).toEqual({ success: true, deduplicated: true, identifiedBy: "content" });
    expect((await api.aggregates({ source }))[0]?.count).toBe(1);
    const raw = await t.db.prisma.rawEventState.findMany({ where: { source }, orderBy: { receivedAt: "asc" } });
    expect(raw.map((r) => r.status)).toEqual(["counted", "deduplicated"]);
    expect(raw[1]?.processedEventId).toBe(raw[0]?.processedEventId);
  });

  it("a retry after a lost acknowledgement is deduplicated", async () => {
    const source = uniqueSource();
    const event = { source, payload: { metric: "orders", value: 42 }, idempotencyKey: "order-1" };
    const lost = await failure(api.ingest({ ...event, simulate: "after-commit" }));
    expect(lost).toMatchObject({ code: "SIMULATED_FAILURE", status: 503 });
    expect(await api.ingest(event)).toEqual({ success: true, deduplicated: true, identifiedBy: "key" });
    expect((await api.aggregates({ source }))[0]).toMatchObject({ count: 1, sum: 42 });
  });

  it("a failure before capture stores nothing", async () => {
    const source = uniqueSource();
    const err = await failure(api.ingest({ source, payload: { metric: "m", value: 1 }, simulate: "before-capture" }));
    expect(err.code).toBe("SIMULATED_FAILURE");
    expect(await t.db.prisma.rawEventState.count({ where: { source } })).toBe(0);
    expect(await api.aggregates({ source })).toEqual([]);
  });

  it("a failure after capture keeps the raw event received and counts nothing until processed", async () => {
    const source = uniqueSource();
    const err = await failure(api.ingest({ source, payload: { metric: "m", value: 5 }, simulate: "after-capture" }));
    expect(err.code).toBe("SIMULATED_FAILURE");
    expect(await t.db.prisma.rawEventState.findMany({ where: { source }, select: { status: true } })).toEqual([{ status: "received" }]);
    expect(await t.db.prisma.processedEvent.count({ where: { source } })).toBe(0);
    expect(await api.aggregates({ source })).toEqual([]);
    // The client retries: counted once; the stuck raw copy is the worker's (recovery.test.ts).
    expect(await api.ingest({ source, payload: { metric: "m", value: 5 } })).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
  });

  it("the same content under two different keys is two events", async () => {
    const source = uniqueSource();
    const payload = { metric: "m", value: 2 };
    await api.ingest({ source, payload, idempotencyKey: "a" });
    expect(await api.ingest({ source, payload, idempotencyKey: "b" })).toEqual({ success: true, deduplicated: false, identifiedBy: "key" });
    expect(await api.ingest({ source, payload: { ...payload, eventId: "c" } })).toEqual({ success: true, deduplicated: false, identifiedBy: "key" });
    expect((await api.aggregates({ source }))[0]).toMatchObject({ count: 3, sum: 6 });
  });

  it("the Idempotency-Key takes precedence over payload.eventId", async () => {
    const source = uniqueSource();
    await api.ingest({ source, payload: { metric: "m", value: 1, eventId: "e1" }, idempotencyKey: "k1" });
    const second = await api.ingest({ source, payload: { metric: "m", value: 1, eventId: "e2" }, idempotencyKey: "k1" });
    // eventId is identity, not content: same key + same content = the same event.
    expect(second).toEqual({ success: true, deduplicated: true, identifiedBy: "key" });
  });

  it("a key re-sent with a different event is a 422 naming the key, and nothing is counted", async () => {
    const source = uniqueSource();
    await api.ingest({ source, payload: { metric: "m", value: 1 }, idempotencyKey: "dup-key" });
    const err = await failure(api.ingest({ source, payload: { metric: "m", value: 999 }, idempotencyKey: "dup-key" }));
    expect(err).toMatchObject({ code: "IDEMPOTENCY_KEY_REUSED", status: 422, field: "idempotencyKey" });
    expect(err.message).toContain("dup-key");
    expect((await api.aggregates({ source }))[0]).toMatchObject({ count: 1, sum: 1 });
    // The group statement writes the stored reason in SQL (keyReusedReasonSql): the same text as the answer's.
    const stored = await t.db.prisma.rawEventState.findMany({ where: { source, status: "rejected" }, select: { reason: true, reasonCode: true } });
    expect(stored).toEqual([{ reason: keyReusedReason("dup-key"), reasonCode: "IDEMPOTENCY_KEY_REUSED" }]);
    expect(err.message).toBe(keyReusedReason("dup-key"));
  });

  it("processing an already finished raw event again answers as the first time did", async () => {
    const source = uniqueSource();
    await api.ingest({ source, payload: { metric: "m", value: 1 }, idempotencyKey: "again" });
    const [raw] = await insertRawEvents(t.db, [{ source, payloadJson: JSON.stringify({ metric: "m", value: 2 }), format: "event", idempotencyKey: "again", nextAttemptAt: new Date(Date.now() + 60_000) }]);
    const rules = decideRulesOf(ctx.config);
    const first = await processRawEvent(t.db, raw!.id, rules);
    const second = await processRawEvent(t.db, raw!.id, rules);
    expect(first).toMatchObject({ outcome: "rejected", error: { code: "IDEMPOTENCY_KEY_REUSED", field: "idempotencyKey" } });
    expect(second).toEqual(first);
  });

  it("the same key from two sources is two events (keys are scoped by source)", async () => {
    const a = uniqueSource();
    const b = uniqueSource();
    expect(await api.ingest({ source: a, payload: { metric: "m", value: 1 }, idempotencyKey: "shared" })).toMatchObject({ deduplicated: false, identifiedBy: "key" });
    expect(await api.ingest({ source: b, payload: { metric: "m", value: 1 }, idempotencyKey: "shared" })).toMatchObject({ deduplicated: false, identifiedBy: "key" });
  });

  it.each([
    [{ value: 1 }, "payload.metric"],
    [{ metric: "m" }, "payload.value"],
    [{ metric: "m", value: "12" }, "payload.value"],
    [{ metric: "", value: 1 }, "payload.metric"],
    [{ metric: "m", value: 1, timestamp: "yesterday" }, "payload.timestamp"],
    [{ metric: "m", value: 1, timestamp: 1.5 }, "payload.timestamp"],
    [{ metric: "m", value: 1e40 }, "payload.value"],
  ])("a semantically invalid payload %j is 422 naming %s, kept only as a rejected raw record", async (payload, field) => {
    const source = uniqueSource();
    const err = await failure(api.ingest({ source, payload }));
    expect(err).toMatchObject({ code: "INVALID_EVENT", status: 422, field });
    const raw = await t.db.prisma.rawEventState.findMany({ where: { source } });
    expect(raw).toHaveLength(1);
    expect(raw[0]).toMatchObject({ status: "rejected", payload });
    expect(raw[0]?.reason).toContain(field);
    expect(await t.db.prisma.processedEvent.count({ where: { source } })).toBe(0);
    expect(await api.aggregates({ source })).toEqual([]);
  });

  it.each([
    [{ payload: { metric: "m", value: 1 } }, "source"],
    [{ source: "", payload: { metric: "m", value: 1 } }, "source"],
    [{ source: 7, payload: { metric: "m", value: 1 } }, "source"],
    [{ source: "s" }, "payload"],
    [{ source: "s", payload: [1, 2] }, "payload"],
    [{ source: "s", payload: { metric: "m", value: 1 }, idempotencyKey: "" }, "idempotencyKey"],
    [{ source: "s", payload: { metric: "m", value: 1 }, simulate: "sometimes" }, "simulate"],
  ])("a bad envelope %j is 400 naming %s and stores nothing", async (input, field) => {
    const before = await t.db.prisma.rawEventState.count();
    const err = await failure(api.ingest(input as never));
    expect(err).toMatchObject({ code: "INVALID_ENVELOPE", status: 400, field });
    expect(await t.db.prisma.rawEventState.count()).toBe(before);
  });

  it("an event over MAX_EVENT_BYTES is 413 and stores nothing", async () => {
    const small = createCaller(testContext(t.db, { MAX_EVENT_BYTES: "1024" }));
    const source = uniqueSource();
    const err = await failure(small.ingest({ source, payload: { metric: "m", value: 1, blob: "x".repeat(2000) } }));
    expect(err).toMatchObject({ code: "PAYLOAD_TOO_LARGE", status: 413, field: "payload" });
    expect(await t.db.prisma.rawEventState.count({ where: { source } })).toBe(0);
  });

  it("simulation is refused when disabled, and is off by default in production", async () => {
    const prod = createCaller(testContext(t.db, { NODE_ENV: "production", AUTH_REQUIRED: "false" }));
    const source = uniqueSource();
    const err = await failure(prod.ingest({ source, payload: { metric: "m", value: 1 }, simulate: "after-commit" }));
    expect(err).toMatchObject({ code: "SIMULATION_DISABLED", status: 403 });
    expect(await t.db.prisma.rawEventState.count({ where: { source } })).toBe(0);
    const optedIn = createCaller(testContext(t.db, { NODE_ENV: "production", AUTH_REQUIRED: "false", SIMULATION_ENABLED: "true" }));
    expect((await failure(optedIn.ingest({ source, payload: { metric: "m", value: 1 }, simulate: "before-capture" }))).code).toBe("SIMULATED_FAILURE");
  });

  it("aggregates are filterable by source and metric and keep first/last seen", async () => {
    const source = uniqueSource();
    await api.ingest({ source, payload: { metric: "a", value: 10, timestamp: "2026-03-01T00:00:00Z" } });
    await api.ingest({ source, payload: { metric: "a", value: -4, timestamp: 1772323200000 - 86_400_000 } });
    await api.ingest({ source, payload: { metric: "b", value: 0.1 } });
    await api.ingest({ source, payload: { metric: "b", value: 0.2 } });
    const all = await api.aggregates({ source });
    expect(all.map((a) => a.metric)).toEqual(["a", "b"]);
    expect(all[0]).toMatchObject({ count: 2, sum: 6, avg: 3, min: -4, max: 10, firstSeenAt: "2026-02-28T00:00:00.000Z", lastSeenAt: "2026-03-01T00:00:00.000Z" });
    // numeric storage: 0.1 + 0.2 is exactly 0.3
    expect(all[1]).toMatchObject({ count: 2, sum: 0.3, min: 0.1, max: 0.2 });
    expect(await api.aggregates({ source, metric: "b" })).toHaveLength(1);
    expect(await api.aggregates({ source: `${source}-none` })).toEqual([]);
  });
});
