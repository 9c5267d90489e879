// The HTTP side of a graceful stop, in process (the whole sequence under load, as a real
// process sent SIGTERM: e2e/drain.test.ts). Draining: readiness 503, the rest served with
// Connection: close. Refusing: new requests 503 SHUTTING_DOWN (Connection: close,
// Retry-After, nothing stored), probes and scrapes still answered; the wait ends once the
// server is quiet, or at the deadline with the requests still running counted.
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerContext } from "../src/server/context";
import { drainGateFor, QUIET_MS } from "../src/server/http/drain";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { sample } from "./support/prometheus-text";
import { createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

const post = (url: string, body: unknown) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("a stopping server", () => {
  let t: TestDatabase;
  let ctx: ServerContext;
  let app: HttpApp;
  /** Pages that answer only when told: a request still running when the stop comes. */
  const hanging: ServerResponse[] = [];
  beforeAll(async () => {
    t = await createTestDatabase("pglite");
    ctx = testContext(t.db);
    app = await startHttpApp(ctx, (_req, res) => void hanging.push(res));
  });
  afterAll(async () => {
    await app.close();
    await t.drop();
  });

  it("draining: readiness answers 503 at once, every other answer closes its connection", async () => {
    const gate = drainGateFor(ctx);
    const before = await post(`${app.url}/ingest`, { source: "d", payload: { metric: "m", value: 1 } });
    expect([before.status, before.headers.get("connection")]).toEqual([200, "keep-alive"]);
    gate.startDraining();

    const ready = await fetch(`${app.url}/api/ready`);
    expect([ready.status, ready.headers.get("retry-after"), await ready.json()]).toEqual([503, "1", { status: "draining" }]);
    const health = await fetch(`${app.url}/api/health`);
    expect([health.status, health.headers.get("connection")]).toEqual([200, "close"]);
    const during = await post(`${app.url}/ingest`, { source: "d", payload: { metric: "m", value: 2 } });
    expect([during.status, during.headers.get("connection"), await during.json()]).toEqual([200, "close", { success: true, deduplicated: false, identifiedBy: "content" }]);
    expect(sample(await (await fetch(`${app.url}/metrics`)).text(), "ingest_draining")).toBe(1);
  });

  it("refusing: new requests get 503 SHUTTING_DOWN with nothing stored; probes and scrapes are answered; a request still running at the deadline is counted", async () => {
    const gate = drainGateFor(ctx);
    const page = fetch(`${app.url}/console/events`);
    while (hanging.length === 0) await new Promise((r) => setImmediate(r));
    const settled = gate.refuseAndSettle(Date.now() + 2 * QUIET_MS);

    const refused = await post(`${app.url}/ingest`, { source: "refused", payload: { metric: "m", value: 1 } });
    expect([refused.status, refused.headers.get("connection"), refused.headers.get("retry-after")]).toEqual([503, "close", "1"]);
    expect(await refused.json()).toEqual({
      error: { code: "SHUTTING_DOWN", message: "This instance is shutting down; nothing was stored: retry (another instance will answer)", retryable: true, requestId: refused.headers.get("x-request-id") },
    });
    // tRPC's clients get tRPC's error envelope around the same error.
    const trpc = await fetch(`${app.url}/api/trpc/aggregates?input=%7B%7D`);
    const trpcBody = (await trpc.json()) as { error: { data: { appError: { code: string } } } };
    expect([trpc.status, trpc.headers.get("connection"), trpc.headers.get("retry-after"), trpcBody.error.data.appError.code]).toEqual([503, "close", "1", "SHUTTING_DOWN"]);
    expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${app.url}/api/ready`)).status).toBe(503);
    expect((await fetch(`${app.url}/metrics`)).status).toBe(200);
    expect(await t.db.prisma.rawEventState.count({ where: { source: "refused" } })).toBe(0);

    // The page never answered: one request still running at the deadline.
    expect(await settled).toBe(1);
    expect(gate.refused).toBe(2);
    hanging[0]!.end("late");
    expect(await (await page).text()).toBe("late");
  });

  it("the quiet period counts from the last answer: a client answered after a long wait has QUIET_MS to come back and be told 503", async () => {
    const quiet = testContext(t.db);
    const other = await startHttpApp(quiet, (_req, res) => void hanging.push(res));
    try {
      const gate = drainGateFor(quiet);
      gate.startDraining();
      const page = fetch(`${other.url}/console/events`);
      while (hanging.length < 2) await new Promise((r) => setImmediate(r));
      // The last arrival is now long past, as for requests that waited through the grace on a lock.
      await new Promise((r) => setTimeout(r, 2 * QUIET_MS));
      const settled = gate.refuseAndSettle(Date.now() + 20 * QUIET_MS);
      const answeredAt = Date.now();
      hanging[1]!.end("late");
      expect(await (await page).text()).toBe("late");
      const again = await post(`${other.url}/ingest`, { source: "again", payload: { metric: "m", value: 1 } });
      expect([again.status, again.headers.get("connection")]).toEqual([503, "close"]);
      expect(await settled).toBe(0);
      expect(Date.now() - answeredAt).toBeGreaterThanOrEqual(QUIET_MS);
    } finally {
      await other.close();
    }
  });
});
