// The SDK protocol routes as an SDK (or curl) meets them, over real HTTP on PGlite and
// PostgreSQL: every route and its trailing-slash form answered directly, any Content-Type,
// compressed bodies, the key wherever the protocols put it deciding the source, refusals
// that store nothing, the limits, exactly-once on re-send, and a failing database answered
// 503 with Retry-After (what makes the SDKs retry).
import { deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../src/server/auth/api-keys";
import { insertRawEvents } from "../src/server/ingest/group-commit";
import { recoverStuckEvents } from "../src/server/ingest/recover-stuck-events";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { checkInvariants } from "./support/invariants";
import { backends, createTestDatabase, openTestDatabase, testContext, type TestDatabase } from "./support/test-db";

const ADMIN = "operator-token-for-tests-0123456789abcdef";
const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString("base64")}` });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

type Send = (path: string, body: unknown, headers?: Record<string, string>) => Promise<Response>;
const sender =
  (base: () => string): Send =>
  (path, body, headers = {}) =>
    fetch(`${base()}${path}`, {
      method: "POST",
      headers,
      body: typeof body === "string" ? body : body instanceof Uint8Array ? new Uint8Array(body) : JSON.stringify(body),
      redirect: "manual",
    });

const track = (event: string, messageId: string, value?: number) => ({ type: "track", event, messageId, ...(value === undefined ? {} : { properties: { value } }) });
const capture = (event: string, uuid: string, value?: number) => ({ event, uuid, distinct_id: "u-1", ...(value === undefined ? {} : { properties: { value } }) });

describe.each(backends)("SDK protocol routes on %s", (kind) => {
  let t: TestDatabase;
  let open: HttpApp;
  let closed: HttpApp;
  let seq = 0;
  const src = () => `sdk-${kind}-${seq++}`;
  const sendOpen = sender(() => open.url);
  const sendClosed = sender(() => closed.url);
  const raw = (source: string) => t.db.prisma.rawEventState.findMany({ where: { source }, orderBy: { receivedAt: "asc" } });
  const aggregate = async (source: string, metric: string) => {
    const row = await t.db.prisma.metricAggregate.findUnique({ where: { source_metric: { source, metric } } });
    return row ? { count: Number(row.count), sum: Number(row.sum) } : null;
  };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    open = await startHttpApp(testContext(t.db, { RECOVERY_DELAY_MS: "60000", SDK_MAX_REQUEST_BYTES: "65536", SDK_MAX_MESSAGE_BYTES: "2048" }));
    closed = await startHttpApp(testContext(t.db, { RECOVERY_DELAY_MS: "60000", AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN }));
  });
  afterAll(async () => {
    await open.close();
    await closed.close();
    expect(await checkInvariants(t.db)).toEqual([]);
    await t.drop();
  });

  it("every route, with and without a trailing slash, is answered directly (never redirected)", async () => {
    const source = src();
    const cases: [string, unknown][] = [
      ["/v1/batch", { batch: [track("b", "seg-b", 1)] }],
      ["/v1/import", { batch: [track("i", "seg-i", 1)] }],
      ["/v1/track", { event: "t", messageId: "seg-t" }],
      ["/v1/identify", { userId: "u", messageId: "seg-id" }],
      ["/v1/page", { name: "Home", messageId: "seg-p" }],
      ["/v1/screen", { name: "Home", messageId: "seg-s" }],
      ["/v1/group", { groupId: "g", messageId: "seg-g" }],
      ["/v1/alias", { previousId: "a", messageId: "seg-a" }],
      ["/batch", { api_key: source, batch: [capture("pb", "ph-b", 1)] }],
      ["/capture", { api_key: source, ...capture("pc", "ph-c") }],
      ["/e", { token: source, ...capture("pe", "ph-e") }],
      ["/i/v0/e", { token: source, ...capture("pv", "ph-v") }],
      ["/i/v1/analytics/events", { created_at: "2026-12-07T10:00:00Z", batch: [{ ...capture("p1", "ph-1", 1), options: {} }] }],
    ];
    for (const [path, body] of cases) {
      for (const p of [path, `${path}/`]) {
        const res = await sendOpen(p, body, p.startsWith("/i/v1/") ? bearer(source) : basic(source));
        expect(res.status, `${p}`).toBe(200);
        expect(((await res.json()) as { success: boolean }).success).toBe(true);
      }
    }
    const stored = await raw(source);
    // Each route twice: the second is a duplicate (counted) or another not-counted record.
    expect(stored.filter((r) => r.status === "counted").map((r) => r.idempotencyKey).sort()).toEqual(["ph-1", "ph-b", "ph-c", "ph-e", "ph-v", "seg-b", "seg-i", "seg-t"]);
    expect(stored.filter((r) => r.status === "deduplicated")).toHaveLength(8);
    expect(stored.filter((r) => r.status === "not_counted").map((r) => (r.payload as { type: string }).type).sort()).toEqual(
      ["alias", "alias", "group", "group", "identify", "identify", "page", "page", "screen", "screen"],
    );
    // A single call's type comes from its route; the key never reaches the stored message.
    expect(stored.filter((r) => ["api_key", "token", "writeKey"].some((k) => k in (r.payload as object)))).toEqual([]);
  });

  it.each([["application/x-www-form-urlencoded"], ["text/plain"], ["application/json"], [""]])("Content-Type %j is accepted", async (type) => {
    const source = src();
    const res = await sendOpen("/v1/batch", { batch: [track("ct", `ct-${type}`, 2)] }, { ...basic(source), ...(type ? { "content-type": type } : {}) });
    expect(res.status).toBe(200);
    expect(await aggregate(source, "ct")).toEqual({ count: 1, sum: 2 });
  });

  it.each([
    ["gzip", gzipSync],
    ["deflate", deflateSync],
  ] as const)("%s bodies are inflated; a zip bomb is 413 while inflating, nothing stored", async (encoding, compress) => {
    const source = src();
    const body = compress(JSON.stringify({ api_key: source, batch: [capture("z", "z-1", 3), capture("z", "z-2", 4)] }));
    const res = await sendOpen("/batch/", new Uint8Array(body), { "content-encoding": encoding });
    expect(res.status).toBe(200);
    expect(await aggregate(source, "z")).toEqual({ count: 2, sum: 7 });

    const bombSource = src();
    const bomb = compress(Buffer.concat([Buffer.from(`{"api_key":"${bombSource}","batch":[{"event":"b","properties":{"pad":"`), Buffer.alloc(8 * 1024 * 1024, 32), Buffer.from('"}}]}')]));
    const refused = await sendOpen("/batch", new Uint8Array(bomb), { "content-encoding": encoding });
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await raw(bombSource)).toEqual([]);
  });

  describe("the key decides the source", () => {
    it("a write key as Basic user, Bearer, writeKey, api_key or token: the events go to its source", async () => {
      const source = src();
      const { key } = await createApiKey(t.db, { scope: "write", source });
      const sends: [string, Promise<Response>][] = [
        ["basic", sendClosed("/v1/batch", { batch: [track("k", "k-basic")] }, basic(key))],
        ["bearer", sendClosed("/v1/track", { event: "k", messageId: "k-bearer" }, bearer(key))],
        ["writeKey", sendClosed("/v1/batch", { writeKey: key, batch: [track("k", "k-writekey")] })],
        ["api_key", sendClosed("/batch", { api_key: key, batch: [capture("k", "k-apikey")] })],
        ["token", sendClosed("/e/", { token: key, ...capture("k", "k-token") })],
      ];
      for (const [how, res] of sends) expect((await res).status, how).toBe(200);
      expect(await aggregate(source, "k")).toEqual({ count: 5, sum: 5 });
      for (const r of await raw(source)) expect(JSON.stringify(r.payload)).not.toContain(key);
    });

    it("no key, an unknown key: 401 with WWW-Authenticate; a read key or the operator: 403; nothing stored", async () => {
      const source = src();
      const { key: readKey } = await createApiKey(t.db, { scope: "read", source });
      const before = await t.db.prisma.rawEventState.count();
      const refusals: [string, Promise<Response>, number][] = [
        ["no key", sendClosed("/v1/batch", { batch: [track("r", "r-1")] }), 401],
        ["no key (PostHog)", sendClosed("/capture", capture("r", "r-2")), 401],
        ["unknown key in body", sendClosed("/batch", { api_key: "wk_unknown-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", batch: [capture("r", "r-3")] }), 401],
        ["unknown key as Basic", sendClosed("/v1/batch", { batch: [track("r", "r-4")] }, basic("wk_unknown-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")), 401],
        ["read key", sendClosed("/v1/batch", { batch: [track("r", "r-5")] }, basic(readKey)), 403],
        ["operator token", sendClosed("/v1/batch", { batch: [track("r", "r-6")] }, bearer(ADMIN)), 403],
      ];
      for (const [what, pending, status] of refusals) {
        const res = await pending;
        expect(res.status, what).toBe(status);
        if (status === 401) expect(res.headers.get("www-authenticate")).toContain("Basic");
      }
      expect(await t.db.prisma.rawEventState.count()).toBe(before);
    });

    it("with access control off, any key text names the source; no key at all is 400 naming the field", async () => {
      const source = src();
      expect((await sendOpen("/v1/batch", { writeKey: source, batch: [track("o", "o-1", 5)] })).status).toBe(200);
      expect(await aggregate(source, "o")).toEqual({ count: 1, sum: 5 });
      const none = await sendOpen("/batch", { batch: [capture("o", "o-2")] });
      expect(none.status).toBe(400);
      expect(await none.json()).toMatchObject({ error: { code: "INVALID_ENVELOPE", field: "api_key" } });
    });
  });

  describe("bad requests and limits", () => {
    it("a body that is not JSON is 400; a batch body without a batch array is 400 naming batch; nothing stored", async () => {
      const source = src();
      const notJson = await sendOpen("/v1/batch", "batch=1", basic(source));
      expect(notJson.status).toBe(400);
      expect(await notJson.json()).toMatchObject({ error: { code: "INVALID_JSON", field: "body" } });
      const noBatch = await sendOpen("/v1/batch", { messages: [] }, basic(source));
      expect(noBatch.status).toBe(400);
      expect(await noBatch.json()).toMatchObject({ error: { code: "INVALID_ENVELOPE", field: "batch" } });
      expect(await raw(source)).toEqual([]);
    });

    it("over SDK_MAX_REQUEST_BYTES: 413; a single call over SDK_MAX_MESSAGE_BYTES: 413; in a batch, that message alone is stored rejected", async () => {
      const source = src();
      const pad = "x".repeat(3000);
      const tooBig = await sendOpen("/v1/batch", { batch: Array.from({ length: 30 }, (_, i) => ({ ...track("big", `big-${i}`), properties: { pad } })) }, basic(source));
      expect(tooBig.status).toBe(413);
      const single = await sendOpen("/v1/track", { ...track("big", "big-single"), properties: { pad } }, basic(source));
      expect(single.status).toBe(413);
      expect(await single.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
      expect(await raw(source)).toEqual([]);

      // In a batch, the SDKs read only the status: the message is stored rejected, so the Events page shows it.
      const mixed = await sendOpen("/v1/batch", { batch: [{ ...track("big", "big-1"), properties: { pad } }, track("big", "big-2", 2)] }, basic(source));
      expect(mixed.status).toBe(200);
      expect(await mixed.json()).toMatchObject({ counted: 1, rejected: 1, rejections: [{ index: 0, code: "PAYLOAD_TOO_LARGE", field: "batch[0].message" }] });
      const stored = await raw(source);
      expect(stored.map((r) => [r.idempotencyKey, r.status]).sort()).toEqual([["big-1", "rejected"], ["big-2", "counted"]]);
      expect(stored.find((r) => r.idempotencyKey === "big-1")?.reason).toMatch(/^message is 30\d\d bytes; the limit is 2048 bytes per message$/);
    });

    it("a batch of more messages than MAX_BATCH_EVENTS is taken whole, in slices (the SDKs batch by bytes and drop a batch refused 413)", async () => {
      const source = src();
      const n = 800;
      const res = await sendOpen("/v1/batch", { batch: Array.from({ length: n }, (_, i) => track("many", `many-${i}`, i + 1)) }, basic(source));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ counted: n, rejected: 0 });
      expect(await aggregate(source, "many")).toEqual({ count: n, sum: (n * (n + 1)) / 2 });
    });

    it("one malformed message is stored rejected with its reason; the rest of the request is counted", async () => {
      const source = src();
      const res = await sendOpen("/v1/batch", { batch: [track("m", "m-1", 1), { type: "track", messageId: "m-2" }, "not an object", track("m", "m-3", 2)] }, basic(source));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        success: true,
        counted: 2,
        deduplicated: 0,
        notCounted: 0,
        rejected: 2,
        failed: 0,
        rejections: [
          { index: 1, code: "INVALID_EVENT", reason: "event is required (the event name is the metric)", field: "batch[1].event" },
          { index: 2, code: "INVALID_EVENT", reason: "batch[2] must be a JSON object", field: "batch[2]" },
        ],
        results: [
          { index: 0, status: "counted", identifiedBy: "key" },
          { index: 1, status: "rejected", code: "INVALID_EVENT", reason: "event is required (the event name is the metric)", field: "batch[1].event" },
          { index: 2, status: "rejected", code: "INVALID_EVENT", reason: "batch[2] must be a JSON object", field: "batch[2]" },
          { index: 3, status: "counted", identifiedBy: "key" },
        ],
      });
      expect(await aggregate(source, "m")).toEqual({ count: 2, sum: 3 });
      const rejected = (await raw(source)).filter((r) => r.status === "rejected");
      expect(rejected.map((r) => [r.idempotencyKey, r.reason])).toEqual([["m-2", "event is required (the event name is the metric)"]]);
    });
  });

  describe("exactly once", () => {
    it("the same request re-sent counts nothing new; a messageId re-sent with other content is the same event: deduplicated, counts nothing", async () => {
      const source = src();
      const body = { batch: [track("once", "once-1", 4), track("once", "once-2", 6), { type: "identify", userId: "u", messageId: "once-3" }] };
      const first = await sendOpen("/v1/batch", body, basic(source));
      expect(await first.json()).toMatchObject({ counted: 2, deduplicated: 0, notCounted: 1 });
      const again = await sendOpen("/v1/batch", body, basic(source));
      expect(await again.json()).toMatchObject({ counted: 0, deduplicated: 2, notCounted: 1 });
      // On the SDK routes the message id alone names the event, as the SDKs' own backends dedupe.
      const changed = { ...track("once", "once-1", 40), timestamp: "2026-12-07T10:00:00Z", context: { library: { version: "9" } } };
      const resent = await sendOpen("/v1/batch", { batch: [changed] }, basic(source));
      expect(resent.status).toBe(200);
      expect(await resent.json()).toMatchObject({ counted: 0, deduplicated: 1, rejected: 0, rejections: [], results: [{ index: 0, status: "deduplicated", identifiedBy: "key" }] });
      expect(await aggregate(source, "once")).toEqual({ count: 2, sum: 10 });
      // A PostHog uuid the same way.
      expect(await (await sendOpen("/batch", { api_key: source, batch: [capture("ph-once", "ph-once-1", 2)] })).json()).toMatchObject({ counted: 1 });
      const phResent = await sendOpen("/batch", { api_key: source, batch: [{ ...capture("ph-once", "ph-once-1", 9), timestamp: "2026-12-07T10:00:00Z" }] });
      expect(await phResent.json()).toMatchObject({ counted: 0, deduplicated: 1, results: [{ index: 0, status: "deduplicated", identifiedBy: "key" }] });
      expect(await aggregate(source, "ph-once")).toEqual({ count: 1, sum: 2 });
    });

    it("a message without messageId/uuid is identified by its content: the same content twice is one event", async () => {
      const source = src();
      const keyless = { type: "track", event: "nokey", properties: { value: 3 }, timestamp: "2026-12-07T10:00:00Z" };
      const first = await sendOpen("/v1/batch", { batch: [keyless] }, basic(source));
      expect(await first.json()).toMatchObject({ counted: 1, results: [{ index: 0, status: "counted", identifiedBy: "content" }] });
      const again = await sendOpen("/v1/batch", { batch: [keyless] }, basic(source));
      expect(await again.json()).toMatchObject({ deduplicated: 1, results: [{ index: 0, status: "deduplicated", identifiedBy: "content" }] });
      expect(await aggregate(source, "nokey")).toEqual({ count: 1, sum: 3 });
    });

    it("a track body posted to /v1/identify is stored rejected naming `type`, and is not counted as a track", async () => {
      const source = src();
      const res = await sendOpen("/v1/identify", track("sneaky", "sn-1", 5), basic(source));
      expect(res.status).toBe(200);
      const reason = 'type is "track" but this route takes identify calls; send it to /v1/track or /v1/batch';
      expect(await res.json()).toMatchObject({ counted: 0, rejected: 1, rejections: [{ index: 0, code: "INVALID_EVENT", reason, field: "type" }] });
      expect(await aggregate(source, "sneaky")).toBeNull();
      expect((await raw(source)).map((r) => [r.status, r.reason, (r.payload as { type: string }).type])).toEqual([["rejected", reason, "track"]]);
    });

    it("20 identical SDK requests at once: all 200, each message counted once", async () => {
      const source = src();
      const body = { api_key: source, batch: [capture("race", "race-1", 1), capture("race", "race-2", 2)] };
      const answers = await Promise.all(Array.from({ length: 20 }, () => sendOpen("/batch", body)));
      expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
      const bodies = (await Promise.all(answers.map((r) => r.json()))) as { counted: number; deduplicated: number }[];
      expect(bodies.reduce((n, b) => n + b.counted, 0)).toBe(2);
      expect(bodies.reduce((n, b) => n + b.deduplicated, 0)).toBe(38);
      expect(await aggregate(source, "race")).toEqual({ count: 2, sum: 3 });
    });

    it("the recovery worker finishes an SDK message left received, reading it as the request would", async () => {
      const source = src();
      const message = { type: "track", event: "recovered", properties: { revenue: 12.5, plan: "pro" }, messageId: "rec-1", timestamp: "2026-11-24T10:00:00Z" };
      await insertRawEvents(t.db, [{ source, payloadJson: JSON.stringify(message), format: "segment", idempotencyKey: "rec-1", nextAttemptAt: new Date() }]);
      await recoverStuckEvents(testContext(t.db, { RECOVERY_DELAY_MS: "0" }));
      expect(await aggregate(source, "recovered")).toEqual({ count: 1, sum: 12.5 });
      // The SDK's retry of the same message, arriving after, is a duplicate.
      const retry = await sendOpen("/v1/batch", { batch: [message] }, basic(source));
      expect(await retry.json()).toMatchObject({ counted: 0, deduplicated: 1 });
    });
  });
});

describe("SDK routes when the database is down", () => {
  it("503 with Retry-After and a fixed message (the SDKs retry 5xx); nothing leaks", async () => {
    const db = openTestDatabase("postgresql://postgres@127.0.0.1:9/none", { connectTimeoutMs: 1000, queryTimeoutMs: 1000 });
    const app = await startHttpApp(testContext(db, { LOG_LEVEL: "silent" }));
    try {
      const send = sender(() => app.url);
      for (const [path, body] of [
        ["/v1/batch", { batch: [track("down", "down-1")] }],
        ["/batch/", { api_key: "shop", batch: [capture("down", "down-2")] }],
      ] as const) {
        const res = await send(path, body, basic("shop"));
        expect(res.status, path).toBe(503);
        expect(res.headers.get("retry-after")).toBe("1");
        const text = await res.text();
        expect(JSON.parse(text)).toMatchObject({ error: { code: "DATABASE_UNAVAILABLE", retryable: true } });
        expect(text).not.toContain("127.0.0.1");
      }
    } finally {
      await app.close();
      await db.close();
    }
  });
});
