// The real analytics SDKs as clients (README "Point your SDK at it"): unmodified Segment, RudderStack
// and PostHog SDKs send through the server, on PGlite and on PostgreSQL, with access control on
// and a write key that decides the source. Every track/capture is counted once with the right
// metric and value; identify and page are kept raw, not counted; a fresh SDK instance sending
// the same messageIds again counts nothing new; a key that may not write is refused, and the
// SDK says so.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Aggregate } from "../src/lib/aggregates-schema";
import { createApiKey } from "../src/server/auth/api-keys";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { checkInvariants } from "./support/invariants";
import {
  createSdkClient,
  sdkNames,
  type SdkClient,
  type SdkIdentify,
  type SdkName,
  type SdkPage,
  type SdkTrack,
} from "./support/sdk-clients";
import { backends, createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

const ADMIN = "operator-token-for-sdk-tests-0123456789abcdef";
const AUTH = { AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN, RECOVERY_DELAY_MS: "60000" };
const CLOSE_TIMEOUT_MS = 30_000;

/** The calls one run of an app makes, and what the service must make of them. */
interface Script {
  tracks: SdkTrack[];
  identify: SdkIdentify;
  page: SdkPage;
  /** GET /aggregates?source=… afterwards (sorted by metric). */
  expected: Omit<Aggregate, "source">[];
}

/**
 * Eight counted calls over three metrics: the value is `value` when it is a finite number,
 * else `revenue`, else 1 (SDK_VALUE_PROPERTIES=value,revenue); the timestamp is the call's.
 */
function script(userId: string): Script {
  const at = (minute: number) => new Date(Date.UTC(2024, 4, 1, 10, minute));
  const track = (event: string, minute: number, properties: SdkTrack["properties"]): SdkTrack => ({
    messageId: randomUUID(),
    event,
    userId,
    properties,
    timestamp: at(minute),
  });
  const tracks = [
    track("purchase", 1, { revenue: 12.5, currency: "EUR" }),
    track("purchase", 2, { revenue: 30 }),
    track("purchase", 3, { value: 2, revenue: 99 }),
    track("purchase", 4, { value: "n/a", revenue: 4.5 }),
    track("score", 5, { value: -3.25 }),
    track("score", 6, { value: 10, label: "high" }),
    track("signup", 7, { plan: "pro" }),
    track("signup", 8, {}),
  ];
  const iso = (minute: number) => at(minute).toISOString();
  return {
    tracks,
    identify: { messageId: randomUUID(), userId, traits: { plan: "pro" }, timestamp: at(9) },
    page: { messageId: randomUUID(), userId, name: "pricing", timestamp: at(10) },
    expected: [
      { metric: "purchase", count: 4, sum: 49, avg: 12.25, min: 2, max: 30, firstSeenAt: iso(1), lastSeenAt: iso(4) },
      { metric: "score", count: 2, sum: 6.75, avg: 3.375, min: -3.25, max: 10, firstSeenAt: iso(5), lastSeenAt: iso(6) },
      { metric: "signup", count: 2, sum: 2, avg: 1, min: 1, max: 1, firstSeenAt: iso(7), lastSeenAt: iso(8) },
    ],
  };
}

const callCount = (s: Script) => s.tracks.length + 2;

/** Requests one script takes (flushAt 20 > its 10 calls): RudderStack sends its first call at once, alone. */
const batchesOfOneScript: Record<SdkName, number> = { segment: 1, rudderstack: 2, posthog: 1 };

async function send(client: SdkClient, s: Script): Promise<void> {
  for (const t of s.tracks) client.track(t);
  client.identify(s.identify);
  client.page(s.page);
  await client.close(CLOSE_TIMEOUT_MS);
}

describe.each(backends)("the analytics SDKs through the server on %s", (kind) => {
  let t: TestDatabase;
  let app: HttpApp;
  let seq = 0;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    app = await startHttpApp(testContext(t.db, AUTH));
  });
  afterAll(async () => {
    await app?.close();
    if (!t) return;
    try {
      expect(await checkInvariants(t.db)).toEqual([]);
    } finally {
      await t.drop();
    }
  });

  const newSource = (sdk: SdkName) => `sdk-${kind}-${sdk}-${seq++}`;
  const writeKey = async (source: string) => (await createApiKey(t.db, { scope: "write", source })).key;
  const client = (sdk: SdkName, key: string, flushAt = 20) =>
    createSdkClient(sdk, { host: app.url, key, flushAt, flushIntervalMs: 100, retries: "brief" });
  const aggregates = async (source: string) => {
    const res = await fetch(`${app.url}/aggregates?source=${encodeURIComponent(source)}`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as unknown[];
  };
  const rawRows = (source: string) =>
    t.db.prisma.rawEventState.findMany({ where: { source }, select: { status: true, format: true, idempotencyKey: true, payload: true } });
  const format = (sdk: SdkName) => (sdk === "posthog" ? "posthog" : "segment");

  describe.each(sdkNames)("%s", (sdk) => {
    it("counts every track once under the key's source, with the right metric, value and time; identify and page are kept raw, not counted", async () => {
      const source = newSource(sdk);
      const s = script(`user-${source}`);
      const c = client(sdk, await writeKey(source));
      await send(c, s);
      expect(c.report).toEqual({ delivered: callCount(s), failures: [], failedAttempts: {} });

      expect(await aggregates(source)).toEqual(s.expected.map((e) => ({ source, ...e })));

      const raws = await rawRows(source);
      const byKey = new Map(raws.map((r) => [r.idempotencyKey, r]));
      for (const track of s.tracks) {
        expect(byKey.get(track.messageId), track.messageId).toMatchObject({ status: "counted", format: format(sdk) });
        // The message is stored as the SDK sent it.
        expect(byKey.get(track.messageId)?.payload).toMatchObject(
          sdk === "posthog"
            ? { uuid: track.messageId, event: track.event }
            : { messageId: track.messageId, event: track.event, type: "track" },
        );
      }
      const uncounted = raws.filter((r) => r.status === "not_counted");
      expect(uncounted.map((r) => r.format)).toEqual([format(sdk), format(sdk)]);
      const kinds = uncounted.map((r) => {
        const p = r.payload as { type?: string; event?: string };
        return sdk === "posthog" ? p.event : p.type;
      });
      expect(kinds.sort()).toEqual(sdk === "posthog" ? ["$identify", "$pageview"] : ["identify", "page"]);
      expect(raws).toHaveLength(callCount(s));

      // The key decided the source; the event's attributes keep the user and the other properties.
      const processed = await t.db.prisma.processedEvent.findMany({
        where: { source },
        select: { metric: true, value: true, attributes: true, occurredAt: true },
      });
      expect(processed).toHaveLength(s.tracks.length);
      const first = processed.find((p) => p.occurredAt.toISOString() === s.tracks[0]?.timestamp?.toISOString());
      expect(first).toMatchObject({ metric: "purchase" });
      expect(Number(first?.value)).toBe(12.5);
      expect(first?.attributes).toMatchObject(
        sdk === "posthog"
          ? { distinctId: `user-${source}`, properties: expect.objectContaining({ currency: "EUR" }) }
          : { userId: `user-${source}`, properties: expect.objectContaining({ currency: "EUR" }) },
      );
    });

    it("a fresh SDK instance sending the same messageIds again counts nothing new: each is stored as a duplicate", async () => {
      const source = newSource(sdk);
      const key = await writeKey(source);
      const s = script(`user-${source}`);
      await send(client(sdk, key), s);
      const before = await aggregates(source);
      expect(before).toEqual(s.expected.map((e) => ({ source, ...e })));

      const again = client(sdk, key);
      await send(again, s);
      expect(again.report).toEqual({ delivered: callCount(s), failures: [], failedAttempts: {} });

      expect(await aggregates(source)).toEqual(before);
      expect(await t.db.prisma.processedEvent.count({ where: { source } })).toBe(s.tracks.length);
      const raws = await rawRows(source);
      for (const track of s.tracks) {
        const statuses = raws.filter((r) => r.idempotencyKey === track.messageId).map((r) => r.status);
        expect(statuses.sort(), track.messageId).toEqual(["counted", "deduplicated"]);
      }
    });

    it("a fresh SDK re-sending the same messageIds with a time it stamps anew (and a new sentAt) is deduplicated, never rejected", async () => {
      // An app that passes no timestamp gets the SDK's own at each call: the re-send differs in
      // its SDK-stamped fields, and the message id alone names the event, as the SDKs' backends do.
      const source = newSource(sdk);
      const key = await writeKey(source);
      const unstamped = script(`user-${source}`).tracks.map(({ timestamp: _stamped, ...rest }) => rest);
      const first = client(sdk, key);
      for (const t of unstamped) first.track(t);
      await first.close(CLOSE_TIMEOUT_MS);
      const before = await aggregates(source);
      expect(before.map((a) => (a as { count: number }).count)).toEqual([4, 2, 2]);

      const again = client(sdk, key);
      for (const t of unstamped) again.track(t);
      await again.close(CLOSE_TIMEOUT_MS);
      expect(again.report).toEqual({ delivered: unstamped.length, failures: [], failedAttempts: {} });

      expect(await aggregates(source)).toEqual(before);
      const raws = await rawRows(source);
      expect(raws.filter((r) => r.status === "rejected")).toEqual([]);
      for (const track of unstamped) {
        const copies = raws.filter((r) => r.idempotencyKey === track.messageId);
        expect(copies.map((r) => r.status).sort(), track.messageId).toEqual(["counted", "deduplicated"]);
        // The two copies really differ in the time the SDK stamped on them.
        const [a, b] = copies.map((r) => {
          const p = r.payload as { timestamp?: string; originalTimestamp?: string };
          return p.timestamp ?? p.originalTimestamp; // RudderStack stamps originalTimestamp
        });
        expect(a).toEqual(expect.any(String));
        expect(a).not.toBe(b);
      }
    });

    it("a message over SDK_MAX_MESSAGE_BYTES is stored rejected alone with its reason; the rest of its batch counts and the SDK sees 200", async () => {
      // Every SDK sends such a message: Segment's size check counts `%XX` escapes and the
      // letter i rather than bytes, RudderStack only logs a warning, PostHog has none. So the
      // SDK reports it delivered; the stored rejection (the Events page) is its trace.
      const source = newSource(sdk);
      const c = client(sdk, await writeKey(source));
      const call = (value: number, extra: SdkTrack["properties"] = {}): SdkTrack => ({
        messageId: randomUUID(),
        event: "upload",
        userId: `user-${source}`,
        properties: { value, ...extra },
        timestamp: new Date(Date.UTC(2024, 4, 2, 10, value)),
      });
      const calls = [call(1), call(2, { blob: "x".repeat(40_000) }), call(3)];
      for (const t of calls) c.track(t);
      await c.close(CLOSE_TIMEOUT_MS);
      expect(c.report).toEqual({ delivered: 3, failures: [], failedAttempts: {} });
      expect(await aggregates(source)).toEqual([expect.objectContaining({ source, metric: "upload", count: 2, sum: 4 })]);
      const oversize = await t.db.prisma.rawEventState.findMany({
        where: { source, idempotencyKey: calls[1]?.messageId },
        select: { status: true, reason: true },
      });
      expect(oversize).toEqual([{ status: "rejected", reason: expect.stringMatching(/^message is \d+ bytes; the limit is 32768 bytes per message$/) }]);
      expect(await t.db.prisma.rawEventState.count({ where: { source } })).toBe(3);
    });

    it("a batch as large as the SDK makes it (1000 calls, flushAt 1000, far under the 500 KB request limit) is counted whole", async () => {
      const source = newSource(sdk);
      const c = client(sdk, await writeKey(source), 1000);
      const n = 1000;
      for (let i = 0; i < n; i++) {
        c.track({
          messageId: randomUUID(),
          event: "tick",
          userId: `user-${source}`,
          properties: { value: i + 1 },
          timestamp: new Date(Date.UTC(2024, 4, 3) + i),
        });
      }
      await c.close(CLOSE_TIMEOUT_MS);
      expect({ ...c.report, failures: c.report.failures.slice(0, 3) }).toEqual({ delivered: n, failures: [], failedAttempts: {} });
      expect(await aggregates(source)).toEqual([expect.objectContaining({ source, metric: "tick", count: n, sum: (n * (n + 1)) / 2 })]);
    });

    it.each([
      ["an unknown key", 401],
      ["a read key", 403],
    ] as const)("%s is refused (%i): the SDK reports it, does not retry, and nothing is stored", async (_what, status) => {
      const source = newSource(sdk);
      const key =
        status === 401 ? `wk_${randomBytes(32).toString("base64url")}` : (await createApiKey(t.db, { scope: "read", source })).key;
      const before = await t.db.prisma.rawEventState.count();
      const c = client(sdk, key);
      await send(c, script(`user-${source}`));
      expect(c.report.delivered).toBe(0);
      expect(c.report.failures.length).toBeGreaterThan(0);
      for (const failure of c.report.failures) expect(failure).toContain(String(status));
      // Refused requests are not retried: one request per batch, each refused once.
      expect(c.report.failedAttempts).toEqual({ [status]: batchesOfOneScript[sdk] });
      expect(await t.db.prisma.rawEventState.count()).toBe(before);
      expect(await aggregates(source)).toEqual([]);
    });

    it("with access control off (development), any key text that is not a write key names the source", async () => {
      const open = await startHttpApp(testContext(t.db, { AUTH_REQUIRED: "false", RECOVERY_DELAY_MS: "60000" }));
      try {
        const source = newSource(sdk);
        const s = script(`user-${source}`);
        const c = createSdkClient(sdk, { host: open.url, key: source, flushAt: 20, flushIntervalMs: 100, retries: "brief" });
        await send(c, s);
        expect(c.report).toEqual({ delivered: callCount(s), failures: [], failedAttempts: {} });
        expect(await aggregates(source)).toEqual(s.expected.map((e) => ({ source, ...e })));
      } finally {
        await open.close();
      }
    });
  });

  describe("posthog-node with POSTHOG_CAPTURE_MODE=v1 (Capture V1, POST /i/v1/analytics/events)", () => {
    const v1 = (key: string) =>
      createSdkClient("posthog", { host: app.url, key, flushAt: 20, flushIntervalMs: 100, retries: "brief", posthogCaptureMode: "v1" });

    it("counts every capture once with the right metric, value and time, and a fresh client re-sending them counts nothing new", async () => {
      const source = newSource("posthog");
      const key = await writeKey(source);
      const s = script(`user-${source}`);
      const first = v1(key);
      await send(first, s);
      expect(first.report).toEqual({ delivered: callCount(s), failures: [], failedAttempts: {} });
      expect(await aggregates(source)).toEqual(s.expected.map((e) => ({ source, ...e })));

      const raws = await rawRows(source);
      expect(raws).toHaveLength(callCount(s));
      // What came is Capture V1's shape (its `options` object, `$lib` taken out of the properties), read as PostHog's.
      for (const r of raws) {
        expect(r.format).toBe("posthog");
        expect(r.payload).toMatchObject({ options: expect.any(Object) });
        expect((r.payload as { properties: Record<string, unknown> }).properties).not.toHaveProperty("$lib");
      }
      expect(
        raws
          .filter((r) => r.status === "not_counted")
          .map((r) => (r.payload as { event: string }).event)
          .sort(),
      ).toEqual(["$identify", "$pageview"]);

      const again = v1(key);
      await send(again, s);
      expect(again.report).toEqual({ delivered: callCount(s), failures: [], failedAttempts: {} });
      expect(await aggregates(source)).toEqual(s.expected.map((e) => ({ source, ...e })));
      const after = await rawRows(source);
      for (const track of s.tracks) {
        expect(
          after
            .filter((r) => r.idempotencyKey === track.messageId)
            .map((r) => r.status)
            .sort(),
          track.messageId,
        ).toEqual(["counted", "deduplicated"]);
      }
    });

    it("the answer maps each uuid to its result: ok, or drop (stored rejected) for a message retrying will not help", async () => {
      const source = newSource("posthog");
      const key = await writeKey(source);
      const ok = randomUUID();
      const bad = randomUUID();
      const res = await fetch(`${app.url}/i/v1/analytics/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({
          created_at: "2026-12-07T10:00:00.000Z",
          batch: [
            { event: "upload", uuid: ok, distinct_id: "u-1", timestamp: "2026-12-07T09:59:00.000Z", options: {}, properties: { value: 3 } },
            { event: "upload", uuid: bad, distinct_id: "u-1", timestamp: "not a time", options: {}, properties: {} },
          ],
        }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { results: unknown; counted: number; rejected: number };
      expect(body.results).toEqual({
        [ok]: { result: "ok" },
        [bad]: { result: "drop", details: "timestamp must be an ISO-8601 date-time with a time zone, between the years 0001 and 9999" },
      });
      expect([body.counted, body.rejected]).toEqual([1, 1]);
      expect(await aggregates(source)).toEqual([expect.objectContaining({ source, metric: "upload", count: 1, sum: 3 })]);
    });
  });
});
