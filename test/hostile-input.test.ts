// Regression tests for a red-team pass over real HTTP: numbers a float cannot hold, header
// encodings, tRPC batching, simulation on batches, value types, epoch seconds, Unicode names,
// deep nesting. Each fails on the code before its fix; each checks what was stored.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
const PAGE_PAYLOAD_BYTES = 1048576;
import { checkInvariants } from "./support/invariants";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { backends, createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

describe.each(backends)("hostile input over HTTP on %s", (kind) => {
  let t: TestDatabase;
  let app: HttpApp;
  let appOff: HttpApp;
  let seq = 0;
  const src = () => `hostile-${kind}-${seq++}`;
  const postText = (path: string, body: string, headers: Record<string, string> = {}, base = app.url) =>
    fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}, base = app.url) => postText(path, JSON.stringify(body), headers, base);
  const rawRows = (source: string) =>
    t.db.prisma.rawEventState.findMany({ where: { source }, orderBy: { receivedAt: "asc" }, select: { status: true, reason: true, payload: true, idempotencyKey: true } });
  const processed = (source: string) =>
    t.db.prisma.processedEvent.findMany({ where: { source }, orderBy: { id: "asc" }, select: { metric: true, value: true, attributes: true } });
  const aggregates = async (source: string) => (await fetch(`${app.url}/aggregates?source=${encodeURIComponent(source)}`)).json();

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    app = await startHttpApp(testContext(t.db, { RECOVERY_DELAY_MS: "60000", MAX_BATCH_EVENTS: "50", TRPC_MAX_BATCH_CALLS: "4" }));
    appOff = await startHttpApp(testContext(t.db, { RECOVERY_DELAY_MS: "60000", SIMULATION_ENABLED: "false" }));
  });
  afterAll(async () => {
    await app.close();
    await appOff.close();
    expect(await checkInvariants(t.db)).toEqual([]);
    await t.drop();
  });

  describe("numbers a 64-bit float cannot hold", () => {
    it("an attribute beyond the float range is 422 naming it, kept raw as sent, nothing counted", async () => {
      const source = src();
      const res = await postText("/ingest", `{"source":"${source}","payload":{"metric":"m","value":1,"x":1e400}}`);
      expect(res.status).toBe(422);
      expect(await res.json()).toEqual({
        error: {
          code: "INVALID_EVENT",
          field: "payload.x",
          retryable: false,
          message: "payload.x: the number 1e400 is beyond the range of a 64-bit float (±1.8e308)",
          requestId: expect.any(String),
        },
      });
      expect(await rawRows(source)).toEqual([
        { status: "rejected", reason: "payload.x: the number 1e400 is beyond the range of a 64-bit float (±1.8e308)", payload: { metric: "m", value: 1, x: "1e400" }, idempotencyKey: null },
      ]);
      expect(await processed(source)).toEqual([]);
    });

    it("in a batch it rejects that event alone: 200, the rest counted, and a retry is deduplicated", async () => {
      const source = src();
      const body = `{"events":[
        {"source":"${source}","payload":{"metric":"m","value":1,"eventId":"a"}},
        {"source":"${source}","payload":{"metric":"m","value":2,"eventId":"b","x":-1e400}},
        {"source":"${source}","payload":{"metric":"m","value":3,"eventId":"c"}}]}`;
      const first = await postText("/ingest/batch", body);
      expect(first.status).toBe(200);
      const rejected = {
        index: 1,
        status: "rejected",
        code: "INVALID_EVENT",
        reason: "payload.x: the number -1e400 is beyond the range of a 64-bit float (±1.8e308)",
        field: "events[1].payload.x",
      };
      expect(await first.json()).toEqual({
        success: true,
        counted: 2,
        deduplicated: 0,
        rejected: 1,
        failed: 0,
        results: [{ index: 0, status: "counted", identifiedBy: "key" }, rejected, { index: 2, status: "counted", identifiedBy: "key" }],
      });
      const retry = await postText("/ingest/batch", body);
      expect(await retry.json()).toEqual({
        success: true,
        counted: 0,
        deduplicated: 2,
        rejected: 1,
        failed: 0,
        results: [{ index: 0, status: "deduplicated", identifiedBy: "key" }, rejected, { index: 2, status: "deduplicated", identifiedBy: "key" }],
      });
      expect(await aggregates(source)).toEqual([expect.objectContaining({ source, metric: "m", count: 2, sum: 4 })]);
    });

    it("the same overflow through tRPC's ingestBatch is rejected alone as well", async () => {
      const source = src();
      const res = await postText(
        "/api/trpc/ingestBatch",
        `{"events":[{"source":"${source}","payload":{"metric":"m","value":1,"x":1e999}},{"source":"${source}","payload":{"metric":"m","value":5}}]}`,
      );
      expect(res.status).toBe(200);
      const out = (await res.json()) as { result: { data: { counted: number; rejected: number; results: unknown[] } } };
      expect(out.result.data).toMatchObject({ counted: 1, rejected: 1 });
      expect(out.result.data.results[0]).toMatchObject({ status: "rejected", code: "INVALID_EVENT", field: "events[0].payload.x" });
    });

    it("an integer past 2^53 is refused with 422 rather than read as its neighbour; the neighbour is a different event", async () => {
      const source = src();
      const big = await postText("/ingest", `{"source":"${source}","payload":{"metric":"m","value":9007199254740993}}`);
      expect(big.status).toBe(422);
      expect(await big.json()).toMatchObject({
        error: {
          code: "INVALID_EVENT",
          field: "payload.value",
          message: "payload.value: the number 9007199254740993 has more digits than a 64-bit float holds (it would be read as 9007199254740992); send it as a string",
        },
      });
      const neighbour = await postText("/ingest", `{"source":"${source}","payload":{"metric":"m","value":9007199254740992}}`);
      expect(await neighbour.json()).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
      expect((await processed(source)).map((p) => p.value.toString())).toEqual(["9007199254740992"]);
    });

    it("an identifier with more digits than a float holds is refused, not silently rounded into another event", async () => {
      const source = src();
      const a = await postText("/ingest", `{"source":"${source}","payload":{"metric":"m","value":1,"user":{"id":12345678901234567891}}}`);
      expect(a.status).toBe(422);
      expect(await a.json()).toMatchObject({ error: { field: "payload.user.id" } });
      const rows = await rawRows(source);
      expect(rows.map((r) => [r.status, r.payload])).toEqual([["rejected", { metric: "m", value: 1, user: { id: "12345678901234567891" } }]]);
    });

    it("long literals a float holds exactly are accepted as the same number (1e19, 0.30000000000000004, 1.50)", async () => {
      const source = src();
      const first = await postText("/ingest", `{"source":"${source}","payload":{"metric":"m","value":1e19,"r":0.30000000000000004,"h":1.50}}`);
      expect(await first.json()).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
      const same = await postText("/ingest", `{"source":"${source}","payload":{"h":1.5,"r":0.30000000000000004,"metric":"m","value":10000000000000000000.000}}`);
      expect(await same.json()).toEqual({ success: true, deduplicated: true, identifiedBy: "content" });
      expect((await processed(source)).map((p) => p.value.toString())).toEqual(["10000000000000000000"]);
    });

    it("tRPC refuses an inexact literal with 400 (it would parse it again as a float), nothing stored", async () => {
      const source = src();
      const res = await postText("/api/trpc/ingest", `{"source":"${source}","payload":{"metric":"m","value":9007199254740993}}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { data: { appError: unknown } } };
      expect(body.error.data.appError).toMatchObject({ code: "INVALID_JSON", field: "payload.value" });
      expect(await rawRows(source)).toEqual([]);
    });
  });

  describe("headers", () => {
    it("a non-ASCII Idempotency-Key is read as UTF-8: the same key over REST and tRPC names one event", async () => {
      const source = src();
      const key = "clé-1 ✓";
      // fetch sends header strings as bytes; the UTF-8 bytes of the key, as a client would.
      const headerBytes = Buffer.from(key, "utf8").toString("latin1");
      const rest = await post("/ingest", { source, payload: { metric: "m", value: 1 } }, { "Idempotency-Key": headerBytes });
      expect(await rest.json()).toEqual({ success: true, deduplicated: false, identifiedBy: "key" });
      const trpc = await post("/api/trpc/ingest", { source, payload: { metric: "m", value: 1 }, idempotencyKey: key });
      expect(await trpc.json()).toEqual({ result: { data: { success: true, deduplicated: true, identifiedBy: "key" } } });
      expect((await rawRows(source)).map((r) => r.idempotencyKey)).toEqual([key, key]);
      expect(await processed(source)).toHaveLength(1);
    });

    it("an Idempotency-Key whose bytes are not UTF-8 is 400 naming it; nothing stored", async () => {
      const source = src();
      const res = await post("/ingest", { source, payload: { metric: "m", value: 1 } }, { "Idempotency-Key": "caf\u00e9" /* one latin1 byte 0xE9 */ });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "INVALID_ENVELOPE", field: "idempotencyKey", message: "The idempotency-key header is not valid UTF-8" } });
      expect(await rawRows(source)).toEqual([]);
    });
  });

  describe("tRPC batching is bounded", () => {
    it("more calls in one HTTP request than TRPC_MAX_BATCH_CALLS is 413 naming the limit; nothing stored", async () => {
      const source = src();
      const calls = 5;
      const body = Object.fromEntries(Array.from({ length: calls }, (_, i) => [String(i), { source, payload: { metric: "m", value: i } }]));
      const res = await post(`/api/trpc/${Array(calls).fill("ingest").join(",")}?batch=1`, body);
      expect(res.status).toBe(413);
      const errors = (await res.json()) as { error: { data: { appError: unknown } } }[];
      expect(errors).toHaveLength(calls);
      expect(errors[0]!.error.data.appError).toEqual({
        code: "PAYLOAD_TOO_LARGE",
        field: "batch",
        retryable: false,
        message: "This request batches 5 tRPC calls; the limit is 4 (TRPC_MAX_BATCH_CALLS)",
      });
      expect(await rawRows(source)).toEqual([]);
    });

    it("a batched GET of many queries is refused the same way", async () => {
      const input = encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [String(i), { limit: 200 }]))));
      const res = await fetch(`${app.url}/api/trpc/${Array(40).fill("events.list").join(",")}?batch=1&input=${input}`);
      expect(res.status).toBe(413);
      const errors = (await res.json()) as { error: { data: { appError: unknown } } }[];
      expect(errors[0]!.error.data.appError).toMatchObject({ code: "PAYLOAD_TOO_LARGE", field: "batch" });
    });

    it("ingest calls count against MAX_BATCH_EVENTS across the calls of one request", async () => {
      const source = src();
      const batch = (n: number, from: number) => ({ events: Array.from({ length: n }, (_, i) => ({ source, payload: { metric: "m", value: from + i } })) });
      const res = await post("/api/trpc/ingestBatch,ingestBatch,ingest?batch=1", { 0: batch(30, 0), 1: batch(20, 100), 2: { source, payload: { metric: "m", value: 7 } } });
      expect(res.status).toBe(413);
      const errors = (await res.json()) as { error: { data: { appError: unknown } } }[];
      expect(errors.map((e) => e.error.data.appError)).toEqual(
        Array(3).fill({ code: "PAYLOAD_TOO_LARGE", field: "batch", retryable: false, message: "This request holds 51 events across its calls; the limit is 50 (MAX_BATCH_EVENTS)" }),
      );
      expect(await rawRows(source)).toEqual([]);
      const fits = await post("/api/trpc/ingestBatch,ingestBatch?batch=1", { 0: batch(30, 0), 1: batch(20, 100) });
      expect(fits.status).toBe(200);
    });

    it("one page of raw events carries at most about a megabyte of payloads and attributes, and paging reaches every row", async () => {
      const source = src();
      const note = "x".repeat(60_000);
      for (let i = 0; i < 3; i++) {
        const events = Array.from({ length: 10 }, (_, j) => ({ source, payload: { metric: "big", value: i * 10 + j, note } }));
        expect((await post("/ingest/batch", { events })).status).toBe(200);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const input: string = encodeURIComponent(JSON.stringify({ source, limit: 200, cursor }));
        const res: Response = await fetch(`${app.url}/api/trpc/events.list?input=${input}`);
        const text = await res.text();
        expect(text.length).toBeLessThan(PAGE_PAYLOAD_BYTES + 200_000);
        const page = (JSON.parse(text) as { result: { data: { items: { id: string }[]; nextCursor: string | null } } }).result.data;
        expect(page.items.length).toBeLessThanOrEqual(Math.ceil(PAGE_PAYLOAD_BYTES / 60_000));
        seen.push(...page.items.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(new Set(seen).size).toBe(30);
    });
  });

  describe("simulation on batches", () => {
    it("X-Simulate-Failure on /ingest/batch with simulation off is 403, as on /ingest; nothing stored", async () => {
      const source = src();
      const res = await post("/ingest/batch", { events: [{ source, payload: { metric: "m", value: 1 } }] }, { "X-Simulate-Failure": "after-commit" }, appOff.url);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: "SIMULATION_DISABLED", field: "simulate" } });
      expect(await rawRows(source)).toEqual([]);
    });

    it("with simulation on, a lost batch acknowledgement (after-commit) is 503 and the retry is all deduplicated", async () => {
      const source = src();
      const body = { events: [1, 2].map((v) => ({ source, payload: { metric: "m", value: v } })) };
      const lost = await post("/ingest/batch", body, { "X-Simulate-Failure": "after-commit" });
      expect(lost.status).toBe(503);
      expect(await lost.json()).toMatchObject({ error: { code: "SIMULATED_FAILURE", retryable: true } });
      expect(await (await post("/ingest/batch", body)).json()).toMatchObject({ counted: 0, deduplicated: 2, rejected: 0 });
    });
  });

  describe("event fields", () => {
    it.each([
      ["a string", '"3"', "payload.value: value must be a number, got a string"],
      ["null", "null", "payload.value: value must be a number, got null"],
      ["an object", '{"n":3}', "payload.value: value must be a number, got an object"],
      ["an array", "[3]", "payload.value: value must be a number, got an array"],
      ["a boolean", "true", "payload.value: value must be a number, got a boolean"],
    ])("a value that is %s is 422 naming its type", async (_what, literal, message) => {
      const res = await postText("/ingest", `{"source":"${src()}","payload":{"metric":"m","value":${literal}}}`);
      expect(res.status).toBe(422);
      expect(await res.json()).toEqual({ error: { code: "INVALID_EVENT", field: "payload.value", retryable: false, message, requestId: expect.any(String) } });
    });

    it("a missing value is still reported as required", async () => {
      const res = await post("/ingest", { source: src(), payload: { metric: "m" } });
      expect(await res.json()).toMatchObject({ error: { field: "payload.value", message: "payload.value is required" } });
    });

    it("epoch seconds are refused with 422 instead of being read as 1970; milliseconds are counted", async () => {
      const source = src();
      const seconds = await post("/ingest", { source, payload: { metric: "m", value: 1, timestamp: 1_764_000_000 } });
      expect(seconds.status).toBe(422);
      expect(await seconds.json()).toMatchObject({
        error: {
          field: "payload.timestamp",
          message: "payload.timestamp: timestamp in epoch milliseconds must be at least 100000000000 (1973-03-03); epoch seconds are not accepted, multiply by 1000",
        },
      });
      const ms = await post("/ingest", { source, payload: { metric: "m", value: 1, timestamp: 1_764_000_000_000 } });
      expect(ms.status).toBe(200);
      expect(await aggregates(source)).toEqual([expect.objectContaining({ count: 1, firstSeenAt: "2025-11-24T16:00:00.000Z" })]);
    });

    it("a source and metric spelled composed (NFC) or decomposed (NFD) are one group and one event", async () => {
      const base = src();
      const nfc = `${base}-caf\u00e9`;
      const nfd = `${base}-cafe\u0301`;
      expect(nfc).not.toBe(nfd);
      expect(await (await post("/ingest", { source: nfc, payload: { metric: "cr\u00e8me", value: 2 } })).json()).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
      expect(await (await post("/ingest", { source: nfd, payload: { metric: "cre\u0300me", value: 2 } })).json()).toEqual({ success: true, deduplicated: true, identifiedBy: "content" });
      expect(await (await post("/ingest", { source: nfd, payload: { metric: "cre\u0300me", value: 5 } })).json()).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
      expect(await aggregates(nfd)).toEqual([expect.objectContaining({ source: nfc, metric: "cr\u00e8me", count: 2, sum: 7 })]);
      expect(await aggregates(nfc)).toHaveLength(1);
    });
  });

  describe("nesting", () => {
    it("a body nested deeper than 64 levels outside the payload is 400 before it is parsed", async () => {
      const depth = 300_000;
      const body = `{"source":"${src()}","payload":{"metric":"m","value":1},"x":${"[".repeat(depth)}${"]".repeat(depth)}}`;
      const res = await postText("/ingest", body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "INVALID_JSON", field: "body", message: expect.stringContaining("nested deeper than 64 levels") } });
    });
  });
});
