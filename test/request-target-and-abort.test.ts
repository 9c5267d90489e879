// What clients do to the HTTP layer itself, over raw TCP (fetch can send neither): a
// request target URL cannot parse is the client's mistake, 400 naming it; an upload the
// client abandons mid-body (connection closed or reset) is not a server failure: nothing
// is logged above debug but its access line (status 499), nothing is stored, and the server
// keeps answering.
import { connect, type Socket } from "node:net";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureLog, type CapturedLog } from "./support/capture-log";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { createTestDatabase, testConfig, type TestDatabase } from "./support/test-db";

let t: TestDatabase;
let app: HttpApp;
let log: CapturedLog;
beforeAll(async () => {
  t = await createTestDatabase("pglite");
  log = captureLog();
  app = await startHttpApp({ db: t.db, config: testConfig({ LOG_LEVEL: "debug" }), log });
});
afterAll(async () => {
  await app.close();
  await t.drop();
});

async function open(): Promise<Socket> {
  const { hostname, port } = new URL(app.url);
  const socket = connect(Number(port), hostname);
  await once(socket, "connect");
  return socket;
}

/** Sends raw bytes and reads the whole answer (the server closes after it). */
async function rawRequest(text: string): Promise<{ status: number; body: string }> {
  const socket = await open();
  let answer = "";
  socket.on("data", (d: Buffer) => (answer += d.toString()));
  socket.end(text);
  await once(socket, "close");
  const [head = "", body = ""] = answer.split("\r\n\r\n");
  return { status: Number(head.split(" ")[1]), body };
}

/** Records past `since` above debug, less the access lines every request has. */
const aboveDebug = (since: number) => log.records.slice(since).filter((r) => r.level !== "debug" && r.msg !== "request");
const accessLines = (since: number) => log.records.slice(since).filter((r) => r.msg === "request");

describe("the request target", () => {
  it("GET http://a:b:c/ (absolute form URL cannot parse) answers 400 naming it", async () => {
    const res = await rawRequest("GET http://a:b:c/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: "INVALID_ENVELOPE", message: 'The request target "http://a:b:c/" is not a valid URL', field: "url", retryable: false, requestId: expect.any(String) },
    });
  });
});

describe.each(["/ingest", "/ingest/batch", "/api/trpc/ingest"])("an upload to %s abandoned mid-body", (path) => {
  it.each(["FIN", "RST"] as const)("closed with %s: nothing logged above debug but its access line, the server keeps answering", async (how) => {
    const before = log.records.length;
    const socket = await open();
    socket.resume();
    socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"source":"abort","payload":{"metric":`);
    if (how === "RST") socket.resetAndDestroy();
    else socket.end();
    await once(socket, "close");
    // Its access line is written once the server has let the connection go.
    await log.until((r) => log.records.indexOf(r) >= before && r.msg === "request" && r.fields.aborted === true);
    // The REST routes read the body themselves and say so at debug; tRPC reads its own.
    if (!path.startsWith("/api/trpc")) await log.until((r) => log.records.indexOf(r) >= before && r.msg === "request aborted by the client");

    expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
    const source = `after-${path}-${how}`;
    const ok = await fetch(`${app.url}/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ source, payload: { metric: "m", value: 1 } }) });
    expect(await ok.json()).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
    expect(aboveDebug(before)).toEqual([]);
    const route = path.startsWith("/api/trpc") ? "/api/trpc" : path;
    expect(accessLines(before).map((r) => r.fields)).toEqual([
      { requestId: expect.any(String), method: "POST", route, status: 499, durationMs: expect.any(Number), aborted: true, ...(route === "/api/trpc" ? {} : { auth: "open" }) },
      { requestId: expect.any(String), method: "GET", route: "/api/health", status: 200, durationMs: expect.any(Number) },
      { requestId: expect.any(String), method: "POST", route: "/ingest", status: 200, durationMs: expect.any(Number), auth: "open" },
    ]);
    expect(await t.db.prisma.rawEventState.count({ where: { source: "abort" } })).toBe(0);
  });
});
