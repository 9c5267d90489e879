// The built app started exactly as `npm start` starts it: pages from Next, the API from
// the custom server, on the embedded database and on PostgreSQL when configured.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../test/support/test-db";
import { startAppOn, type AppOnDatabase } from "./support/app-process";

describe.each(backends)("built app on %s", (kind) => {
  let app: AppOnDatabase;
  beforeAll(async () => {
    app = await startAppOn(kind);
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it("serves the console page through Next", async () => {
    const res = await fetch(`${app.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
  });

  it("answers the original API: ingest, retry, aggregates", async () => {
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${app.url}/ingest`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const event = { source: "smoke", payload: { metric: "latency_ms", value: 12.5 } };
    const first = await post(event, { "idempotency-key": "smoke-1" });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ success: true, deduplicated: false, identifiedBy: "key" });
    const again = await post(event, { "idempotency-key": "smoke-1" });
    expect(await again.json()).toEqual({ success: true, deduplicated: true, identifiedBy: "key" });
    const aggs = (await (await fetch(`${app.url}/aggregates`)).json()) as unknown[];
    expect(aggs).toEqual([expect.objectContaining({ source: "smoke", metric: "latency_ms", count: 1, sum: 12.5 })]);
  });

  it("refuses failure simulation in production", async () => {
    const res = await fetch(`${app.url}/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-simulate-failure": "after-commit" },
      body: JSON.stringify({ source: "smoke", payload: { metric: "m", value: 1 } }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "SIMULATION_DISABLED", field: "simulate" } });
  });
});
