// The REST contract over real HTTP: the original service's shapes, status codes, headers
// and error bodies, plus batch ingest, tRPC over HTTP, health and readiness.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/server/db/database";
import { checkInvariants } from "./support/invariants";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { backends, createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

const json = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe.each(backends)("REST API on %s", (kind) => {
  let t: TestDatabase;
  let app: HttpApp;
  let seq = 0;
  const src = () => `rest-${kind}-${seq++}`;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const init = json(body);
    return fetch(`${app.url}${path}`, { ...init, headers: { ...init.headers, ...headers } });
  };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    app = await startHttpApp(testContext(t.db, { MAX_REQUEST_BYTES: "200000", MAX_EVENT_BYTES: "4096", MAX_BATCH_EVENTS: "50", RECOVERY_DELAY_MS: "60000" }));
  });
  afterAll(async () => {
    await app.close();
    expect(await checkInvariants(t.db)).toEqual([]);
    await t.drop();
  });

  it("POST /ingest answers { success, deduplicated } and GET /aggregates an array", async () => {
    const source = src();
    const first = await post("/ingest", { source, payload: { metric: "orders", value: 3 } });
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await first.json()).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
    const again = await post("/ingest", { source, payload: { value: 3.0, metric: "orders" } });
    expect(await again.json()).toEqual({ success: true, deduplicated: true, identifiedBy: "content" });
    const aggs = await (await fetch(`${app.url}/aggregates?source=${source}`)).json();
    expect(aggs).toEqual([{ source, metric: "orders", count: 1, sum: 3, avg: 3, min: 3, max: 3, firstSeenAt: expect.any(String), lastSeenAt: expect.any(String) }]);
    expect(await (await fetch(`${app.url}/aggregates?source=${source}&metric=nope`)).json()).toEqual([]);
  });

  it("honours the Idempotency-Key header, and 422 names a key reused for another event", async () => {
    const source = src();
    expect(await (await post("/ingest", { source, payload: { metric: "m", value: 1 } }, { "Idempotency-Key": "abc" })).json()).toEqual({ success: true, deduplicated: false, identifiedBy: "key" });
    expect(await (await post("/ingest", { source, payload: { metric: "m", value: 1 } }, { "Idempotency-Key": "abc" })).json()).toEqual({ success: true, deduplicated: true, identifiedBy: "key" });
    const clash = await post("/ingest", { source, payload: { metric: "m", value: 2 } }, { "Idempotency-Key": "abc" });
    expect(clash.status).toBe(422);
    const body = await clash.json();
    expect(body).toMatchObject({ error: { code: "IDEMPOTENCY_KEY_REUSED", field: "idempotencyKey", retryable: false } });
    expect(body.error.message).toContain('"abc"');
  });

  it("a retry after a lost acknowledgement (X-Simulate-Failure: after-commit) is deduplicated", async () => {
    const source = src();
    const lost = await post("/ingest", { source, payload: { metric: "m", value: 8 } }, { "Idempotency-Key": "lost-1", "X-Simulate-Failure": "after-commit" });
    expect(lost.status).toBe(503);
    expect(lost.headers.get("retry-after")).toBe("1");
    expect(await lost.json()).toMatchObject({ error: { code: "SIMULATED_FAILURE", retryable: true } });
    const retry = await post("/ingest", { source, payload: { metric: "m", value: 8 } }, { "Idempotency-Key": "lost-1" });
    expect(await retry.json()).toEqual({ success: true, deduplicated: true, identifiedBy: "key" });
  });

  it.each([
    ["not JSON at all", "{ nope", 400, "INVALID_JSON", "body"],
    ["an empty body", "", 400, "INVALID_JSON", "body"],
    ["a JSON array", "[1,2]", 400, "INVALID_ENVELOPE", "body"],
    ["no source", JSON.stringify({ payload: { metric: "m", value: 1 } }), 400, "INVALID_ENVELOPE", "source"],
    ["a numeric source", JSON.stringify({ source: 5, payload: { metric: "m", value: 1 } }), 400, "INVALID_ENVELOPE", "source"],
    ["a string payload", JSON.stringify({ source: "s", payload: "x" }), 400, "INVALID_ENVELOPE", "payload"],
    ["no value", JSON.stringify({ source: "s", payload: { metric: "m" } }), 422, "INVALID_EVENT", "payload.value"],
    ["a string value", JSON.stringify({ source: "s", payload: { metric: "m", value: "1" } }), 422, "INVALID_EVENT", "payload.value"],
    ["an event over MAX_EVENT_BYTES", JSON.stringify({ source: "s", payload: { metric: "m", value: 1, pad: "x".repeat(5000) } }), 413, "PAYLOAD_TOO_LARGE", "payload"],
    ["a body over MAX_REQUEST_BYTES", JSON.stringify({ source: "s", payload: { metric: "m", value: 1, pad: "x".repeat(250_000) } }), 413, "PAYLOAD_TOO_LARGE", "body"],
  ])("%s → %i %s naming %s; nothing stored but a rejected raw record", async (_what, body, status, code, field) => {
    const before = await t.db.prisma.rawEventState.groupBy({ by: ["status"], _count: { _all: true } });
    const res = await fetch(`${app.url}/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { code, field, message: expect.any(String), retryable: false } });
    const after = await t.db.prisma.rawEventState.groupBy({ by: ["status"], _count: { _all: true } });
    const count = (rows: typeof before, s: string) => rows.find((r) => r.status === s)?._count._all ?? 0;
    for (const s of ["received", "counted", "deduplicated", "failed"]) expect(count(after, s)).toBe(count(before, s));
    expect(count(after, "rejected")).toBe(count(before, "rejected") + (status === 422 ? 1 : 0));
  });

  it("rejects a bad X-Simulate-Failure value with 400 naming it", async () => {
    const res = await post("/ingest", { source: src(), payload: { metric: "m", value: 1 } }, { "X-Simulate-Failure": "everything" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "INVALID_ENVELOPE", field: "simulate" } });
  });

  it("20 identical HTTP requests at once: all 200, exactly one counted", async () => {
    const source = src();
    const responses = await Promise.all(Array.from({ length: 20 }, () => post("/ingest", { source, payload: { metric: "m", value: 1 } }, { "Idempotency-Key": "same" })));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ deduplicated: boolean }>));
    expect(bodies.filter((b) => !b.deduplicated)).toHaveLength(1);
  });

  it("POST /ingest/batch answers one result per event; a bad event never fails the rest", async () => {
    const source = src();
    const res = await post("/ingest/batch", {
      events: [
        { source, payload: { metric: "m", value: 1, eventId: "b1" } },
        { source, payload: { metric: "m" } },
        { source, payload: { metric: "m", value: 1, eventId: "b1" } },
        { payload: { metric: "m", value: 1 } },
        { source, payload: { metric: "m", value: 2 }, idempotencyKey: "b2" },
        "not an event",
      ],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      success: true,
      counted: 2,
      deduplicated: 1,
      rejected: 3,
      failed: 0,
      results: [
        { index: 0, status: "counted", identifiedBy: "key" },
        { index: 1, status: "rejected", code: "INVALID_EVENT", reason: "payload.value is required", field: "events[1].payload.value" },
        { index: 2, status: "deduplicated", identifiedBy: "key" },
        { index: 3, status: "rejected", code: "INVALID_ENVELOPE", reason: expect.stringContaining("events[3].source"), field: "events[3].source" },
        { index: 4, status: "counted", identifiedBy: "key" },
        { index: 5, status: "rejected", code: "INVALID_ENVELOPE", reason: expect.any(String), field: "events[5]" },
      ],
    });
    expect(await (await fetch(`${app.url}/aggregates?source=${source}`)).json()).toEqual([expect.objectContaining({ count: 2, sum: 3 })]);
  });

  it("POST /ingest/batch refuses more than MAX_BATCH_EVENTS with 413 and stores nothing", async () => {
    const source = src();
    const events = Array.from({ length: 51 }, (_, i) => ({ source, payload: { metric: "m", value: i } }));
    const res = await post("/ingest/batch", { events });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE", field: "events" } });
    expect(await t.db.prisma.rawEventState.count({ where: { source } })).toBe(0);
    const empty = await post("/ingest/batch", { events: [] });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ error: { code: "INVALID_ENVELOPE", field: "events" } });
  });

  it("serves the same procedures over tRPC at /api/trpc", async () => {
    const source = src();
    const res = await post("/api/trpc/ingest", { source, payload: { metric: "m", value: 5 }, idempotencyKey: "t1" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: { data: { success: true, deduplicated: false, identifiedBy: "key" } } });
    const q = await fetch(`${app.url}/api/trpc/aggregates?input=${encodeURIComponent(JSON.stringify({ source }))}`);
    expect(await q.json()).toEqual({ result: { data: [expect.objectContaining({ source, count: 1, sum: 5 })] } });
    const bad = await post("/api/trpc/ingest", { source, payload: { metric: "m" } });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ error: { data: { appError: { code: "INVALID_EVENT", field: "payload.value" } } } });
    const lost = await post("/api/trpc/ingest", { source, payload: { metric: "m", value: 6 }, simulate: "after-commit" });
    expect(lost.status).toBe(503);
    expect(lost.headers.get("retry-after")).toBe("1");
  });

  it("answers 404 for unknown routes and 405 for wrong methods, in the same error shape", async () => {
    const missing = await fetch(`${app.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    const wrong = await fetch(`${app.url}/ingest`);
    expect(wrong.status).toBe(405);
    expect(await wrong.json()).toMatchObject({ error: { code: "METHOD_NOT_ALLOWED" } });
  });

  it("GET /api/health and /api/ready report a live, migrated service", async () => {
    expect(await (await fetch(`${app.url}/api/health`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${app.url}/api/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", database: kind });
  });
});

describe("REST API with the database unreachable", () => {
  it("answers 503 with Retry-After quickly, stays live, and reports not ready", async () => {
    // A real connection attempt to a port nothing listens on.
    const db = openDatabase({ url: "postgresql://postgres@127.0.0.1:9/none", pgliteDataDir: "memory://", poolSize: 2, connectTimeoutMs: 1000, queryTimeoutMs: 1000, transactionTimeoutMs: 1000 });
    const app = await startHttpApp(testContext(db, { RETRY_AFTER_SECONDS: "2" }));
    try {
      const started = Date.now();
      const res = await fetch(`${app.url}/ingest`, json({ source: "s", payload: { metric: "m", value: 1 } }));
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("2");
      expect(await res.json()).toMatchObject({ error: { code: "DATABASE_UNAVAILABLE", retryable: true } });
      expect(Date.now() - started).toBeLessThan(5000);
      const aggs = await fetch(`${app.url}/aggregates`);
      expect(aggs.status).toBe(503);
      expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
      const ready = await fetch(`${app.url}/api/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: "not-ready", database: "down" });
    } finally {
      await app.close();
      await db.close();
    }
  });
});
