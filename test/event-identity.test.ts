// How an event is identified, as a client meets it over real HTTP on PGlite and PostgreSQL:
// every answer says `identifiedBy` ("key" or "content") on the single, batch, tRPC and SDK
// routes, and with REQUIRE_EVENT_KEY=true an event without a key is refused 422
// EVENT_KEY_REQUIRED naming the fields that would do, stored `rejected`, nothing counted —
// by the request path and by the recovery worker alike.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertRawEvents } from "../src/server/ingest/group-commit";
import { recoverStuckEvents } from "../src/server/ingest/recover-stuck-events";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { checkInvariants } from "./support/invariants";
import { backends, createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

const json = { "content-type": "application/json" };
const basic = (source: string) => ({ authorization: `Basic ${Buffer.from(`${source}:`).toString("base64")}` });

describe.each(backends)("event identity on %s", (kind) => {
  let t: TestDatabase;
  let lax: HttpApp;
  let strict: HttpApp;
  let seq = 0;
  const src = () => `identity-${kind}-${seq++}`;
  const post = (app: HttpApp, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${app.url}${path}`, { method: "POST", headers: { ...json, ...headers }, body: JSON.stringify(body) });
  const counted = async (source: string) => {
    const row = await t.db.prisma.metricAggregate.findFirst({ where: { source } });
    return row ? Number(row.count) : 0;
  };
  const stored = (source: string) =>
    t.db.prisma.rawEventState.findMany({
      where: { source },
      orderBy: { receivedAt: "asc" },
      select: { status: true, reasonCode: true, reason: true },
    });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    lax = await startHttpApp(testContext(t.db, { RECOVERY_DELAY_MS: "60000" }));
    strict = await startHttpApp(testContext(t.db, { RECOVERY_DELAY_MS: "60000", REQUIRE_EVENT_KEY: "true" }));
  });
  afterAll(async () => {
    await lax?.close();
    await strict?.close();
    expect(await checkInvariants(t.db)).toEqual([]);
    await t.drop();
  });

  it("by default an event without a key is identified by its content, one with a key by the key; every answer says which", async () => {
    const source = src();
    const event = { source, payload: { metric: "views", value: 1 } };
    expect(await (await post(lax, "/ingest", event)).json()).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
    expect(await (await post(lax, "/ingest", event)).json()).toEqual({ success: true, deduplicated: true, identifiedBy: "content" });
    expect(await (await post(lax, "/ingest", event, { "Idempotency-Key": "v-1" })).json()).toEqual({
      success: true,
      deduplicated: false,
      identifiedBy: "key",
    });
    expect(await (await post(lax, "/ingest", { source, payload: { ...event.payload, eventId: "v-2" } })).json()).toEqual({
      success: true,
      deduplicated: false,
      identifiedBy: "key",
    });
    const trpc = await post(lax, "/api/trpc/ingest", event);
    expect(await trpc.json()).toEqual({ result: { data: { success: true, deduplicated: true, identifiedBy: "content" } } });
    expect(await counted(source)).toBe(3);
  });

  it("REQUIRE_EVENT_KEY=true: POST /ingest without a key is 422 EVENT_KEY_REQUIRED naming the fields, stored rejected, nothing counted", async () => {
    const source = src();
    const res = await post(strict, "/ingest", { source, payload: { metric: "views", value: 1 } });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      error: {
        code: "EVENT_KEY_REQUIRED",
        message: "This server requires every event to carry a key (REQUIRE_EVENT_KEY): send the Idempotency-Key header or payload.eventId",
        field: "payload.eventId",
        retryable: false,
      },
    });
    expect(await stored(source)).toEqual([
      { status: "rejected", reasonCode: "EVENT_KEY_REQUIRED", reason: expect.stringContaining("REQUIRE_EVENT_KEY") },
    ]);
    expect(await counted(source)).toBe(0);
    // With a key, header or eventId, it counts.
    expect(
      await (await post(strict, "/ingest", { source, payload: { metric: "views", value: 1 } }, { "Idempotency-Key": "k-1" })).json(),
    ).toEqual({
      success: true,
      deduplicated: false,
      identifiedBy: "key",
    });
    expect(await (await post(strict, "/ingest", { source, payload: { metric: "views", value: 1, eventId: "k-2" } })).json()).toMatchObject({
      identifiedBy: "key",
    });
    expect(await counted(source)).toBe(2);
  });

  it("REQUIRE_EVENT_KEY=true: in a batch the keyless event alone is rejected; over tRPC the same code", async () => {
    const source = src();
    const res = await post(strict, "/ingest/batch", {
      events: [
        { source, payload: { metric: "m", value: 1, eventId: "b-1" } },
        { source, payload: { metric: "m", value: 2 } },
        { source, payload: { metric: "m", value: 3 }, idempotencyKey: "b-3" },
      ],
    });
    expect(await res.json()).toEqual({
      success: true,
      counted: 2,
      deduplicated: 0,
      rejected: 1,
      failed: 0,
      results: [
        { index: 0, status: "counted", identifiedBy: "key" },
        {
          index: 1,
          status: "rejected",
          code: "EVENT_KEY_REQUIRED",
          reason: "This server requires every event to carry a key (REQUIRE_EVENT_KEY): send the Idempotency-Key header or payload.eventId",
          field: "events[1].payload.eventId",
        },
        { index: 2, status: "counted", identifiedBy: "key" },
      ],
    });
    const trpc = await post(strict, "/api/trpc/ingest", { source, payload: { metric: "m", value: 4 } });
    expect(trpc.status).toBe(422);
    expect(((await trpc.json()) as { error: { data: unknown } }).error.data).toMatchObject({
      appError: { code: "EVENT_KEY_REQUIRED", field: "payload.eventId" },
    });
    expect(await counted(source)).toBe(2);
  });

  it("REQUIRE_EVENT_KEY=true: an SDK track without messageId is stored rejected naming messageId; the SDK still sees 200", async () => {
    const source = src();
    const res = await post(
      strict,
      "/v1/batch",
      {
        batch: [
          { type: "track", event: "t", messageId: "s-1" },
          { type: "track", event: "t" },
        ],
      },
      basic(source),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      counted: 1,
      rejected: 1,
      rejections: [
        {
          index: 1,
          code: "EVENT_KEY_REQUIRED",
          field: "batch[1].messageId",
          reason: "This server requires every event to carry a key (REQUIRE_EVENT_KEY): send messageId",
        },
      ],
      results: [
        { index: 0, status: "counted", identifiedBy: "key" },
        { index: 1, status: "rejected" },
      ],
    });
    // Calls that are never counted need no key.
    const identify = await post(strict, "/v1/identify", { userId: "u" }, basic(source));
    expect(await identify.json()).toMatchObject({ notCounted: 1, rejected: 0 });
  });

  it("the recovery worker decides as the request path does: a keyless event it finds under REQUIRE_EVENT_KEY is rejected, not counted", async () => {
    const source = src();
    const due = new Date(Date.now() - 1000);
    const row = (payload: object, idempotencyKey: string | null) => ({
      source,
      payloadJson: JSON.stringify(payload),
      format: "event" as const,
      idempotencyKey,
      nextAttemptAt: due,
    });
    await insertRawEvents(t.db, [row({ metric: "w", value: 1 }, null), row({ metric: "w", value: 2 }, "w-2")]);
    const report = await recoverStuckEvents(testContext(t.db, { REQUIRE_EVENT_KEY: "true" }));
    expect(report).toEqual({ recovered: 2, failed: 0, retrying: 0 });
    expect((await stored(source)).map((r) => [r.status, r.reasonCode]).sort()).toEqual([
      ["counted", null],
      ["rejected", "EVENT_KEY_REQUIRED"],
    ]);
    expect(await counted(source)).toBe(1);
  });
});
