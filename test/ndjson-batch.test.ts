// POST /ingest/batch with Content-Type: application/x-ndjson, over real HTTP: one envelope per
// line, a result per line (index = line − 1), a line that is not JSON rejected alone with its
// line number and nothing stored for it, the JSON reader's number and depth rules per line, and
// the batch limits as for a JSON batch. Both databases.
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { backends, testContext } from "./support/test-db";
import { useTestDatabase } from "./support/use-test-database";

const line = (source: string, payload: Record<string, unknown>, extra: Record<string, unknown> = {}) => JSON.stringify({ source, payload, ...extra });

describe.each(backends)("NDJSON batches on %s", (kind) => {
  const t = useTestDatabase(kind);
  let app: HttpApp;
  let seq = 0;
  const src = () => `nd-${kind}-${seq++}`;
  const post = (body: string | Buffer, headers: Record<string, string> = {}, path = "/ingest/batch") =>
    fetch(`${app.url}${path}`, { method: "POST", headers: { "content-type": "application/x-ndjson", ...headers }, body: typeof body === "string" ? body : new Uint8Array(body) });
  const rawCount = (source: string) => t.db.prisma.rawEventState.count({ where: { source } });

  beforeAll(async () => {
    app = await startHttpApp(testContext(t.db, { MAX_BATCH_EVENTS: "8", MAX_PENDING_EVENTS: "100", MAX_REQUEST_BYTES: "4096" }));
  });
  afterAll(() => app.close());

  it("counts each line; a line that is not JSON, or empty, is rejected alone with its line number", async () => {
    const source = src();
    const body = [
      line(source, { metric: "orders", value: 3, eventId: "o-1" }),
      `{"source":"${source}","payload":{"metric":"orders",`,
      line(source, { value: 3.0, metric: "orders", eventId: "o-1" }),
      "",
      line(source, { metric: "orders", value: "three" }),
      `{"source":"${source}","payload":{"metric":"orders","value":9007199254740993}}`,
      `{"source":"${source}","payload":${"[".repeat(70)}${"]".repeat(70)}}`,
      line(source, { metric: "orders", value: 4 }, { idempotencyKey: "k-4" }),
    ].join("\r\n");
    const res = await post(`${body}\r\n`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      success: true,
      counted: 2,
      deduplicated: 1,
      rejected: 5,
      failed: 0,
      results: [
        { index: 0, status: "counted", identifiedBy: "key" },
        {
          index: 1,
          status: "rejected",
          code: "INVALID_JSON",
          // What follows is JSON.parse's own words, which vary with the Node.js version.
          reason: expect.stringMatching(/^Line 2 is not valid JSON \(.+\)$/),
          field: "events[1]",
        },
        { index: 2, status: "deduplicated", identifiedBy: "key" },
        { index: 3, status: "rejected", code: "INVALID_JSON", reason: "Line 4 is empty; send a JSON object", field: "events[3]" },
        { index: 4, status: "rejected", code: "INVALID_EVENT", reason: "payload.value: value must be a number, got a string", field: "events[4].payload.value" },
        { index: 5, status: "rejected", code: "INVALID_EVENT", reason: expect.stringContaining("9007199254740993"), field: "events[5].payload.value" },
        { index: 6, status: "rejected", code: "INVALID_JSON", reason: expect.stringMatching(/^Line 7 is nested deeper than 64 levels/), field: "events[6]" },
        { index: 7, status: "counted", identifiedBy: "key" },
      ],
    });
    // Stored: the three events read (two counted, one duplicate) and the two read but not countable, as rejected raw events; nothing for the three unreadable lines.
    expect(await rawCount(source)).toBe(5);
    const [agg] = (await (await fetch(`${app.url}/aggregates?source=${source}`)).json()) as { count: number; sum: number }[];
    expect(agg).toMatchObject({ count: 2, sum: 7 });
  });

  it("reads gzip, a last line without a line break, and a body of one line", async () => {
    const source = src();
    const gz = await post(gzipSync(`${line(source, { metric: "m", value: 1, eventId: "g-1" })}\n${line(source, { metric: "m", value: 2, eventId: "g-2" })}`), { "content-encoding": "gzip" });
    expect(await gz.json()).toMatchObject({ counted: 2, rejected: 0, results: [{ index: 0 }, { index: 1 }] });
    expect(await (await post(line(source, { metric: "m", value: 1, eventId: "g-1" }))).json()).toEqual({ success: true, counted: 0, deduplicated: 1, rejected: 0, failed: 0, results: [{ index: 0, status: "deduplicated", identifiedBy: "key" }] });
  });

  it("applies the batch limits: more lines than MAX_BATCH_EVENTS or a body over MAX_REQUEST_BYTES is 413, an empty body 400; nothing stored", async () => {
    const source = src();
    const nine = Array.from({ length: 9 }, (_, i) => line(source, { metric: "m", value: i })).join("\n");
    const tooMany = await post(nine);
    expect(tooMany.status).toBe(413);
    expect(await tooMany.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE", message: "events holds 9 events; the limit is 8 per batch", field: "events" } });
    const big = await post(line(source, { metric: "m", value: 1, pad: "x".repeat(5000) }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE", field: "body" } });
    const empty = await post("");
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ error: { code: "INVALID_JSON", message: "The request body is empty; send one JSON event per line", field: "body" } });
    expect(await rawCount(source)).toBe(0);
  });

  it("is a batch format only: 415 on POST /ingest, and /ingest/batch names both types it takes", async () => {
    const source = src();
    const single = await post(line(source, { metric: "m", value: 1 }), {}, "/ingest");
    expect(single.status).toBe(415);
    expect(await single.json()).toMatchObject({ error: { code: "UNSUPPORTED_MEDIA_TYPE", message: "Send the body as Content-Type: application/json, not application/x-ndjson" } });
    const text = await post(line(source, { metric: "m", value: 1 }), { "content-type": "text/plain" });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({
      error: { code: "UNSUPPORTED_MEDIA_TYPE", message: "Send the body as Content-Type: application/json or application/x-ndjson, not text/plain", field: "content-type" },
    });
    expect(await rawCount(source)).toBe(0);
  });
});
