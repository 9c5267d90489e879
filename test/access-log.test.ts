// Logs over real HTTP (README "Deploy", Logs): one access line per request naming the
// route-table path, status, duration, request id and the credential's kind and key prefix,
// never the key or the payload; X-Request-Id kept when sane, else made, echoed on every
// answer and carried by the error body and every log line of that request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../src/server/auth/api-keys";
import { captureLog, type CapturedLog, type LogRecord } from "./support/capture-log";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { createTestDatabase, testConfig, type TestDatabase } from "./support/test-db";

const ADMIN = "operator-token-for-tests-0123456789abcdef";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let t: TestDatabase;
let log: CapturedLog;
let app: HttpApp;
let open: HttpApp;
beforeAll(async () => {
  t = await createTestDatabase("pglite");
  log = captureLog();
  app = await startHttpApp({ db: t.db, config: testConfig({ AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN }), log }, (_req, res) => void res.end("<p>page</p>"));
  // Access control off and simulation on: a 503 to follow through the log.
  open = await startHttpApp({ db: t.db, config: testConfig(), log });
});
afterAll(async () => {
  await app.close();
  await open.close();
  await t.drop();
});

/** Sends a request and returns its answer with every log record written about it. */
async function traced(base: string, path: string, init: RequestInit = {}): Promise<{ res: Response; body: string; lines: LogRecord[]; access: LogRecord }> {
  const res = await fetch(`${base}${path}`, init);
  const body = await res.text();
  const id = res.headers.get("x-request-id");
  const access = await log.until((r) => r.msg === "request" && r.fields.requestId === id);
  return { res, body, access, lines: log.records.filter((r) => r.fields.requestId === id) };
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({ method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describe("the access line", () => {
  it("names method, route, status, duration, request id, credential kind and key prefix; never the key or the payload", async () => {
    const { key, record } = await createApiKey(t.db, { scope: "write", source: "shop" });
    const { res, access, lines } = await traced(app.url, "/ingest", json({ payload: { metric: "orders", value: 3, note: "payload-secret-7781" } }, { authorization: `Bearer ${key}`, "x-request-id": "trace-1" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("trace-1");
    expect(access).toEqual({
      level: "info",
      msg: "request",
      fields: { requestId: "trace-1", method: "POST", route: "/ingest", status: 200, durationMs: expect.any(Number), auth: "write", keyPrefix: record.prefix },
    });
    expect(access.fields.durationMs).toBeGreaterThan(0);
    const written = JSON.stringify(lines);
    expect(written).not.toContain(key);
    expect(written).not.toContain("payload-secret-7781");
  });

  it("names the route-table path, not the URL: no query string, no trailing slash, no key from the body", async () => {
    const writer = await createApiKey(t.db, { scope: "write", source: "shop" });
    const reader = await createApiKey(t.db, { scope: "read", source: null });
    const read = await traced(app.url, "/aggregates?source=shop&metric=orders", { headers: { authorization: `Bearer ${reader.key}` } });
    expect(read.access.fields).toMatchObject({ method: "GET", route: "/aggregates", status: 200, auth: "read", keyPrefix: reader.record.prefix });
    // PostHog's SDK sends its key in the body: the line still names its prefix.
    const sdk = await traced(app.url, "/batch/", json({ api_key: writer.key, batch: [{ event: "clicks", distinct_id: "u-1", uuid: "0193a1b2-0000-7000-8000-000000000001" }] }));
    expect(sdk.access.fields).toMatchObject({ method: "POST", route: "/batch", status: 200, auth: "write", keyPrefix: writer.record.prefix });
    expect(JSON.stringify(sdk.lines)).not.toContain(writer.key);
    const trpc = await traced(app.url, "/api/trpc/aggregates?input=%7B%7D", { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(trpc.access.fields).toMatchObject({ method: "GET", route: "/api/trpc", status: 200, auth: "operator" });
    expect(JSON.stringify(trpc.lines)).not.toContain(ADMIN);
    const page = await traced(app.url, "/console/sign-in?next=%2Fconsole");
    expect(page.access.fields).toMatchObject({ method: "GET", route: "page", status: 200 });
    const none = await traced(open.url, "/no/such/path");
    expect(none.access.fields).toMatchObject({ method: "GET", route: "unmatched", status: 404 });
  });
});

describe("X-Request-Id", () => {
  it("a sane one is kept, anything else replaced by a UUID; echoed on every answer and in the error body", async () => {
    for (const [base, path, init, status] of [
      [app.url, "/ingest", json({ payload: { metric: "m", value: 1 } }), 401],
      [app.url, "/aggregates", { method: "DELETE" }, 405],
      [open.url, "/nope", {}, 404],
    ] as const) {
      const kept = await traced(base, path, { ...init, headers: { ...(init as RequestInit).headers, "x-request-id": "lb:trace.42_a-b" } });
      expect([kept.res.status, kept.res.headers.get("x-request-id"), JSON.parse(kept.body).error.requestId]).toEqual([status, "lb:trace.42_a-b", "lb:trace.42_a-b"]);
      const replaced = await traced(base, path, { ...init, headers: { ...(init as RequestInit).headers, "x-request-id": "not sane: spaces and\ttabs" } });
      const id = replaced.res.headers.get("x-request-id");
      expect(id).toMatch(UUID);
      expect([replaced.res.status, JSON.parse(replaced.body).error.requestId, replaced.access.fields.status]).toEqual([status, id, status]);
    }
  });

  it("every log line about a request carries its id: a 503's failure line and its access line", async () => {
    const { res, body, lines } = await traced(open.url, "/ingest", json({ source: "s", payload: { metric: "m", value: 1 } }, { "x-simulate-failure": "before-capture", "x-request-id": "trace-503" }));
    expect([res.status, JSON.parse(body).error]).toEqual([503, expect.objectContaining({ code: "SIMULATED_FAILURE", requestId: "trace-503" })]);
    expect(lines.map((r) => [r.level, r.msg])).toEqual([
      ["warn", "request failed"],
      ["info", "request"],
    ]);
  });
});
