// Bodies sent gzip or deflate (Content-Encoding), as analytics SDKs send them, on every POST
// route (REST and tRPC): inflated and counted like plain ones; the size limit applies to
// the inflated bytes while inflating, so a zip bomb is refused with 413 without the
// process's memory growing; an encoding we do not speak is 415, corrupt data 400.
import { deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { backends, createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

describe.each(backends)("compressed request bodies on %s", (kind) => {
  let t: TestDatabase;
  let app: HttpApp;
  let seq = 0;
  const src = () => `zip-${kind}-${seq++}`;
  const send = (path: string, body: Buffer, encoding: string) =>
    fetch(`${app.url}${path}`, { method: "POST", headers: { "content-type": "application/json", "content-encoding": encoding }, body: new Uint8Array(body) });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    app = await startHttpApp(testContext(t.db, { RECOVERY_DELAY_MS: "60000" }));
  });
  afterAll(async () => {
    await app.close();
    await t.drop();
  });

  it.each([
    ["gzip", gzipSync],
    ["deflate", deflateSync],
  ] as const)("%s bodies are inflated and counted on /ingest, /ingest/batch and tRPC", async (encoding, compress) => {
    const source = src();
    const one = (value: number) => ({ source, payload: { metric: "m", value } });
    const single = await send("/ingest", compress(JSON.stringify(one(1))), encoding);
    expect(await single.json()).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
    const batch = await send("/ingest/batch", compress(JSON.stringify({ events: [one(2), one(3), one(1)] })), encoding);
    expect(await batch.json()).toMatchObject({ counted: 2, deduplicated: 1 });
    const trpc = await send("/api/trpc/ingest", compress(JSON.stringify(one(4))), encoding);
    expect(await trpc.json()).toEqual({ result: { data: { success: true, deduplicated: false, identifiedBy: "content" } } });
    expect(await t.db.prisma.processedEvent.count({ where: { source } })).toBe(4);
  });

  it("a 64 MB zip bomb is refused with 413 while inflating: nothing stored, memory flat", async () => {
    const source = src();
    // 64 MB of spaces inside a JSON string: about 64 KB gzipped, 64× the request limit inflated.
    const bomb = gzipSync(Buffer.concat([Buffer.from(`{"source":"${source}","payload":{"metric":"m","value":1,"pad":"`), Buffer.alloc(64 * 1024 * 1024, 32), Buffer.from('"}}')]));
    expect(bomb.length).toBeLessThan(200_000);
    global.gc?.();
    const before = process.memoryUsage().rss;
    const res = await send("/ingest", bomb, "gzip");
    const grew = process.memoryUsage().rss - before;
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error: { code: "PAYLOAD_TOO_LARGE", field: "body", message: "The request body inflates (gzip) to more than 1048576 bytes, the limit per request" },
    });
    // Inflating it whole would take 64 MB (twice that as a string); the reader stops at 1 MB.
    expect(grew).toBeLessThan(32 * 1024 * 1024);
    expect(await t.db.prisma.rawEventState.count({ where: { source } })).toBe(0);
  });

  it("an encoding we do not speak is 415, a body that is not what its encoding says is 400; nothing stored", async () => {
    const source = src();
    const body = Buffer.from(JSON.stringify({ source, payload: { metric: "m", value: 1 } }));
    const br = await send("/ingest", body, "br");
    expect(br.status).toBe(415);
    expect(await br.json()).toMatchObject({ error: { code: "UNSUPPORTED_MEDIA_TYPE", field: "content-encoding" } });
    const corrupt = await send("/ingest", body, "gzip");
    expect(corrupt.status).toBe(400);
    expect(await corrupt.json()).toMatchObject({ error: { code: "INVALID_ENVELOPE", field: "content-encoding", message: "The request body is not valid gzip data (Content-Encoding: gzip)" } });
    expect(await t.db.prisma.rawEventState.count({ where: { source } })).toBe(0);
  });
});
