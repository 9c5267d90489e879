// The API's edges as a client meets them, over real HTTP: a path no route answers is a JSON
// 404 naming it (only a browser's page request reaches the console's pages: here a stand-in
// for Next), a route asked with another method is a 405 whose Allow lists its methods, a
// query parameter GET /aggregates refuses is 400 INVALID_QUERY naming it (a body's errors keep
// their codes), and the OpenAPI document's version is the package's.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { testContext } from "./support/test-db";
import { useTestDatabase } from "./support/use-test-database";

const PAGE = "<p>the console's page</p>";
const html = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

describe("the API's edges (PGlite)", () => {
  const t = useTestDatabase("pglite");
  let app: HttpApp;
  /** What reached the stand-in for Next. */
  const pages: string[] = [];

  beforeAll(async () => {
    app = await startHttpApp(testContext(t.db), (req, res) => {
      pages.push(`${req.method} ${req.url}`);
      res.writeHead(200, { "content-type": "text/html" });
      res.end(PAGE);
    });
  });
  afterAll(() => app.close());

  const call = (path: string, init: RequestInit = {}) => fetch(`${app.url}${path}`, init);
  const notFound = (method: string, path: string) => ({
    error: { code: "NOT_FOUND", message: `No route for ${method} ${path}`, field: "path", retryable: false, requestId: expect.any(String) },
  });

  it("a path no route answers is a JSON 404 naming it, for every request that is not a browser's page request", async () => {
    const cases: [string, string, Record<string, string>][] = [
      ["GET", "/nope", {}],
      ["GET", "/nope", { accept: "application/json" }],
      ["POST", "/nope", html],
      ["PUT", "/console/events", html],
      ["DELETE", "/", {}],
      ["PATCH", "/console", {}],
      // API paths are never pages, a browser's request included.
      ["GET", "/api/nope", html],
      ["GET", "/api/trpc", html],
      ["GET", "/v1/nope", html],
      ["POST", "/i/v0/nope", {}],
      ["GET", "/ingest/nope", html],
      ["POST", "/e/x", {}],
      ["POST", "/flags", {}],
    ];
    for (const [method, path, headers] of cases) {
      const res = await call(path, { method, headers });
      expect(`${method} ${path} ${res.status} ${res.headers.get("content-type")}`).toBe(`${method} ${path} 404 application/json; charset=utf-8`);
      expect(await res.json()).toEqual(notFound(method, path));
    }
    expect(pages).toEqual([]);
  });

  it("a browser's page request, Next's own paths and files reach the pages", async () => {
    pages.length = 0;
    const cases: [string, string, Record<string, string>][] = [
      ["GET", "/nope", html], // Next answers its own 404 page
      ["GET", "/", {}],
      ["GET", "/console/events?_rsc=1", { accept: "*/*", rsc: "1" }], // a client-side navigation
      ["HEAD", "/console", {}],
      ["GET", "/icon.svg", { accept: "image/avif,image/webp,*/*" }],
      ["GET", "/_next/static/chunks/main.js", { accept: "*/*" }],
      ["POST", "/__nextjs_original-stack-frames", {}],
    ];
    for (const [method, path, headers] of cases) {
      const res = await call(path, { method, headers });
      expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 200`);
      if (method !== "HEAD") expect(await res.text()).toBe(PAGE);
    }
    expect(pages).toEqual(cases.map(([method, path]) => `${method} ${path}`));
  });

  it("a route asked with another method is a 405 whose Allow lists the methods it takes", async () => {
    const cases: [string, string, string][] = [
      ["GET", "/ingest", "POST"],
      ["PUT", "/ingest/batch", "POST"],
      ["DELETE", "/aggregates", "GET"],
      ["POST", "/api/health", "GET"],
      ["PUT", "/api/session", "GET, POST, DELETE"],
      ["GET", "/v1/batch", "POST"],
      ["GET", "/capture/", "POST"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await call(path, { method });
      expect(`${method} ${path} ${res.status} allow: ${res.headers.get("allow")}`).toBe(`${method} ${path} 405 allow: ${allow}`);
      const route = path.replace(/\/$/, "");
      expect(await res.json()).toEqual({
        error: { code: "METHOD_NOT_ALLOWED", message: `${route} takes ${allow}, not ${method}`, field: "method", retryable: false, requestId: expect.any(String) },
      });
    }
  });

  it("tRPC: a procedure asked with the other method is tRPC's 405, with Allow too", async () => {
    const cases: [string, string, string][] = [
      ["GET", "/api/trpc/ingest", "POST"],
      ["POST", "/api/trpc/aggregates", "GET"],
      ["POST", "/api/trpc/events.list", "GET"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await call(path, { method, ...(method === "POST" ? { headers: { "content-type": "application/json" }, body: "{}" } : {}) });
      expect(`${method} ${path} ${res.status} allow: ${res.headers.get("allow")}`).toBe(`${method} ${path} 405 allow: ${allow}`);
      expect(await res.json()).toMatchObject({ error: { data: { code: "METHOD_NOT_SUPPORTED", appError: { code: "METHOD_NOT_ALLOWED" } } } });
    }
  });

  it("GET /aggregates: a query parameter it refuses is 400 INVALID_QUERY naming the parameter", async () => {
    const cases: [string, string, string][] = [
      ["limit=ten", "limit", "limit: limit must be a whole number"],
      ["limit=1001", "limit", "limit: limit must be at most 1000"],
      ["from=2026-11-24T10:30:00Z", "from", "from: from must be on a whole UTC hour (minutes, seconds and fractions zero, in UTC), e.g. 2026-11-24T10:00:00Z"],
      ["from=2026-11-24T10:00:00Z&to=2026-11-24T10:00:00Z", "to", "to: to must be after from"],
      ["bucket=week&from=2026-11-24T10:00:00Z&to=2026-11-25T10:00:00Z", "bucket", ""],
      ["sort=size", "sort", ""],
      ["cursor=garbage", "cursor", "cursor: not a cursor this server gave out; start again without one"],
    ];
    for (const [query, field, message] of cases) {
      const res = await call(`/aggregates?${query}`);
      expect(`${query} ${res.status}`).toBe(`${query} 400`);
      const body = (await res.json()) as { error: { code: string; field: string; message: string; retryable: boolean } };
      expect(body.error).toMatchObject({ code: "INVALID_QUERY", field, retryable: false });
      if (message) expect(body.error.message).toBe(message);
      else expect(body.error.message).toMatch(new RegExp(`^${field}: `));
    }
    // A body's errors keep their codes.
    const body = await call("/ingest", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ payload: {} }) });
    expect(body.status).toBe(400);
    expect(await body.json()).toMatchObject({ error: { code: "INVALID_ENVELOPE", field: "source" } });
  });

  it("the OpenAPI document's version is the package's", async () => {
    const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    const doc = (await (await call("/openapi.json")).json()) as { info: { version: string } };
    expect(doc.info.version).toBe(pkg.version);
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
