// GET /metrics over real HTTP (README "Deploy", Metrics), read back as Prometheus samples
// with exact values: requests by route and status, ingest outcomes, group sizes, processing
// latency, the recovery backlog read at scrape time, the PostgreSQL pool, the process's own
// metrics; who may read them, and the METRICS_PORT listener that needs no credentials.
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../src/server/auth/api-keys";
import type { ServerContext } from "../src/server/context";
import { createMetricsServer } from "../src/server/http/metrics-route";
import { recoverStuckEvents } from "../src/server/ingest/recover-stuck-events";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { sample } from "./support/prometheus-text";
import { backends, createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

const ADMIN = "operator-token-for-tests-0123456789abcdef";

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describe.each(backends)("GET /metrics on %s", (kind) => {
  let t: TestDatabase;
  let ctx: ServerContext;
  let app: HttpApp;
  const scrape = async () => {
    const res = await fetch(`${app.url}/metrics`);
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "text/plain; version=0.0.4; charset=utf-8"]);
    return res.text();
  };
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    ctx = testContext(t.db);
    app = await startHttpApp(ctx);
  });
  afterAll(async () => {
    await app.close();
    await t.drop();
  });

  it("counts requests by route and status, each event's outcome, group sizes and latency, exactly", async () => {
    const event = (eventId: string, value?: number) => ({ source: "m", payload: { metric: "orders", eventId, ...(value === undefined ? {} : { value }) } });
    for (const id of ["e1", "e2", "e3", "e1"]) expect((await post(`${app.url}/ingest`, event(id, 1))).status).toBe(200);
    expect((await post(`${app.url}/ingest`, event("e4"))).status).toBe(422);
    expect((await post(`${app.url}/ingest`, event("e5", 1), { "x-simulate-failure": "before-capture" })).status).toBe(503);
    const batch = await post(`${app.url}/ingest/batch`, { events: ["b1", "b2", "b3", "b4", "b5"].map((id) => event(id, 2)) });
    expect(await batch.json()).toMatchObject({ counted: 5 });

    const text = await scrape();
    const events = (outcome: string) => sample(text, "ingest_events_total", { outcome });
    expect([events("counted"), events("deduplicated"), events("rejected"), events("unavailable"), events("failed")]).toEqual([8, 1, 1, 1, undefined]);
    expect(sample(text, "ingest_event_processing_seconds_count")).toBe(11);
    const requests = (route: string, status: string) => sample(text, "ingest_http_requests_total", { route, method: "POST", status });
    expect([requests("/ingest", "200"), requests("/ingest", "422"), requests("/ingest", "503"), requests("/ingest/batch", "200")]).toEqual([4, 1, 1, 1]);
    expect(sample(text, "ingest_http_request_duration_seconds_count", { route: "/ingest" })).toBe(6);
    // A group per single event that was stored (the rejected one too), one for the whole batch.
    expect([sample(text, "ingest_group_commit_events_count"), sample(text, "ingest_group_commit_events_sum")]).toEqual([6, 10]);
    expect(sample(text, "ingest_group_commit_events_bucket", { le: "4" })).toBe(5);
    // The scrape itself is the one request in flight.
    expect(sample(text, "ingest_http_requests_in_flight")).toBe(1);
    expect([sample(text, "ingest_pending_events"), sample(text, "ingest_draining"), sample(text, "ingest_database_up")]).toEqual([0, 0, 1]);
    expect(sample(text, "nodejs_eventloop_lag_seconds")).toBeGreaterThanOrEqual(0);
    expect(sample(text, "process_cpu_seconds_total")).toBeGreaterThan(0);
  });

  it("reads the recovery backlog at scrape time: events waiting, and the oldest one's age", async () => {
    expect((await post(`${app.url}/ingest`, { source: "r", payload: { metric: "m", value: 1 } }, { "x-simulate-failure": "after-capture" })).status).toBe(503);
    const waiting = await scrape();
    expect(sample(waiting, "ingest_recovery_backlog_events")).toBe(1);
    const oldest = sample(waiting, "ingest_recovery_backlog_oldest_seconds") ?? -1;
    expect(oldest > 0 && oldest < 60).toBe(true);
    expect(await recoverStuckEvents(ctx)).toEqual({ recovered: 1, failed: 0, retrying: 0 });
    const done = await scrape();
    expect([sample(done, "ingest_recovery_backlog_events"), sample(done, "ingest_recovery_backlog_oldest_seconds")]).toEqual([0, 0]);
    expect(sample(done, "ingest_recovery_events_total", { outcome: "recovered" })).toBe(1);
  });

  it(kind === "postgresql" ? "reports the pool: its size, connections in use and idle, queries waiting" : "reports no pool on PGlite (one in-process connection)", async () => {
    if (kind === "pglite") {
      expect(sample(await scrape(), "ingest_db_pool_connections", { state: "max" })).toBeUndefined();
      return;
    }
    // Three sessions held open while the scrape reads the pool.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let opened = 0;
    const sessions = Array.from({ length: 3 }, () => t.db.withSession(async () => (opened++, held)));
    while (opened < 3) await new Promise((r) => setImmediate(r));
    const text = await scrape();
    release();
    await Promise.all(sessions);
    const pool = (state: string) => sample(text, "ingest_db_pool_connections", { state });
    expect([pool("max"), pool("in_use"), sample(text, "ingest_db_pool_waiting")]).toEqual([20, 3, 0]);
    expect(pool("idle")).toBeGreaterThanOrEqual(1);
  });
});

describe("who may read /metrics", () => {
  let t: TestDatabase;
  let ctx: ServerContext;
  let app: HttpApp;
  beforeAll(async () => {
    t = await createTestDatabase("pglite");
    ctx = testContext(t.db, { AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN });
    app = await startHttpApp(ctx);
  });
  afterAll(async () => {
    await app.close();
    await t.drop();
  });

  it("with access control on: the operator or a read key for all sources; 401 without credentials, 403 for others", async () => {
    const as = async (authorization?: string) => {
      const res = await fetch(`${app.url}/metrics`, { headers: authorization ? { authorization: `Bearer ${authorization}` } : {} });
      return [res.status, res.status === 200 ? "metrics" : ((await res.json()) as { error: { code: string } }).error.code];
    };
    expect(await as()).toEqual([401, "UNAUTHENTICATED"]);
    expect(await as((await createApiKey(t.db, { scope: "write", source: "s" })).key)).toEqual([403, "FORBIDDEN"]);
    expect(await as((await createApiKey(t.db, { scope: "read", source: "s" })).key)).toEqual([403, "FORBIDDEN"]);
    expect(await as((await createApiKey(t.db, { scope: "read", source: null })).key)).toEqual([200, "metrics"]);
    expect(await as(ADMIN)).toEqual([200, "metrics"]);
  });

  it("METRICS_PORT's listener serves GET /metrics without credentials, and nothing else", async () => {
    const server = createMetricsServer(ctx);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(sample(await res.text(), "ingest_http_requests_total", { route: "/metrics", method: "GET", status: "401" })).toBe(1);
      expect((await fetch(`${base}/ingest`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(405);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
