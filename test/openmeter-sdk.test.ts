// The official OpenMeter client (@openmeter/sdk) against this service (README "Meters"): it
// creates, reads, replaces and deletes meters, ingests CloudEvents (re-sent: counted once), and
// queries by window, zone, subject and group, on PGlite and on PostgreSQL, with access control on.
// Errors come back as OpenMeter's problem+json, which the client turns into HTTPError details.
import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import { OpenMeter, isHTTPError, type Event as OmEvent } from "@openmeter/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../src/server/auth/api-keys";
import { runBackfill } from "../src/server/meters/backfill";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { checkInvariants } from "./support/invariants";
import { backends, createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

const ADMIN = "operator-token-for-openmeter-tests-0123456789";
const AUTH = { AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN, RECOVERY_DELAY_MS: "60000" };

describe.each(backends)("@openmeter/sdk through the server on %s", (kind) => {
  let t: TestDatabase;
  let app: HttpApp;
  let operator: OpenMeter;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    app = await startHttpApp(testContext(t.db, AUTH));
    operator = new OpenMeter({ baseUrl: app.url, apiKey: ADMIN });
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

  const writer = async (source: string) => new OpenMeter({ baseUrl: app.url, apiKey: (await createApiKey(t.db, { scope: "write", source })).key });
  const prompt = (subject: string, time: string, data: Record<string, unknown>, id = randomUUID()): OmEvent => ({
    id,
    source: "my-app",
    type: "prompt",
    subject,
    time: new Date(time),
    data,
  });

  it("creates a meter, ingests (with re-sends), queries by day in a zone, by subject and group; errors are problems", async () => {
    const meter = (await operator.meters.create({
      slug: `tokens_${kind}`,
      name: "Tokens",
      aggregation: "SUM",
      eventType: "prompt",
      valueProperty: "$.tokens",
      groupBy: { model: "$.model" },
    }))!;
    expect(meter).toMatchObject({ slug: `tokens_${kind}`, name: "Tokens", aggregation: "SUM", eventType: "prompt", valueProperty: "$.tokens", groupBy: { model: "$.model" } });
    expect(meter.id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(meter.createdAt).toBeInstanceOf(Date); // the client turns date-time strings into Dates

    const om = await writer(`om-${kind}`);
    const events = [
      prompt("customer-1", "2024-01-01T10:00:00Z", { tokens: 10, model: "gpt-4" }),
      prompt("customer-1", "2024-01-01T20:00:00Z", { tokens: 5, model: "gpt-4o" }), // 01:30 on Jan 2 in Kolkata
      prompt("customer-2", "2024-01-01T11:00:00Z", { tokens: 7, model: "gpt-4" }),
      prompt("customer-2", "2024-01-01T12:00:00Z", { tokens: "3", model: "gpt-4" }), // a numeric string counts
      prompt("customer-2", "2024-01-01T12:30:00Z", { model: "gpt-4" }), // no value: skipped
    ];
    await om.events.ingest(events);
    // Re-sent, even with another time (a fresh client stamps a new one): the id names the event.
    await om.events.ingest(events.map((e) => ({ ...e, time: new Date("2024-02-01T00:00:00Z") })));
    await om.events.ingest(events[0]!);

    const daily = await operator.meters.query(meter.slug, { from: new Date("2024-01-01T00:00:00Z"), to: new Date("2024-01-03T00:00:00Z"), windowSize: "DAY" });
    expect(daily.data.map((r) => ({ ...r, windowStart: r.windowStart.toISOString(), windowEnd: r.windowEnd.toISOString() }))).toEqual([
      { value: 25, windowStart: "2024-01-01T00:00:00.000Z", windowEnd: "2024-01-02T00:00:00.000Z", subject: null, groupBy: {} },
    ]);
    const kolkata = await operator.meters.query(meter.slug, {
      from: new Date("2023-12-31T18:30:00Z"),
      to: new Date("2024-01-02T18:30:00Z"),
      windowSize: "DAY",
      windowTimeZone: "Asia/Kolkata",
      groupBy: ["subject"],
    });
    expect(kolkata.data.map((r) => [r.windowStart.toISOString(), r.subject, r.value])).toEqual([
      ["2023-12-31T18:30:00.000Z", "customer-1", 10],
      ["2023-12-31T18:30:00.000Z", "customer-2", 10],
      ["2024-01-01T18:30:00.000Z", "customer-1", 5],
    ]);
    const byModel = await operator.meters.query(meter.slug, { subject: ["customer-1"], groupBy: ["model"] });
    expect(byModel.data.map((r) => [r.subject, r.groupBy, r.value])).toEqual([
      ["customer-1", { model: "gpt-4" }, 10],
      ["customer-1", { model: "gpt-4o" }, 5],
    ]);
    const filtered = await operator.meters.query(meter.slug, { filterGroupBy: { model: "gpt-4" } });
    expect(filtered.data.map((r) => r.value)).toEqual([20]);

    const err = await operator.meters.query(meter.slug, { groupBy: ["region"] }).catch((e: unknown) => e);
    expect(isHTTPError(err)).toBe(true);
    expect((err as Error).message).toContain('groupBy "region" is not a groupBy key of this meter');
    const missing = await operator.meters.get("no_such_meter").catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404 });
    expect((missing as Error).message).toContain("meter not found: no_such_meter");
    const dup = await operator.meters.create({ slug: meter.slug, aggregation: "COUNT", eventType: "prompt" }).catch((e: unknown) => e);
    expect(dup).toMatchObject({ status: 409 });
    // A write key ingests; it does not manage meters.
    expect(await om.meters.create({ slug: "nope", aggregation: "COUNT", eventType: "prompt" }).catch((e: unknown) => (e as { status: number }).status)).toBe(403);

    const stored = await t.db.prisma.rawEventState.findMany({ where: { source: `om-${kind}` }, select: { status: true } });
    expect(stored.filter((s) => s.status === "counted")).toHaveLength(5);
    expect(stored.filter((s) => s.status === "deduplicated")).toHaveLength(6);
  });

  it("a meter created after its events counts them (backfill), every aggregation, and PUT/DELETE as OpenMeter", async () => {
    const om = await writer(`om-late-${kind}`);
    const type = `call_${kind}`;
    const ev = (subject: string, minute: number, data: Record<string, unknown>) => ({ ...prompt(subject, `2024-03-01T10:${String(minute).padStart(2, "0")}:00Z`, data), type });
    await om.events.ingest([
      ev("a", 1, { ms: 100, user: "u1", region: "eu" }),
      ev("a", 2, { ms: 300, user: "u2", region: "eu" }),
      ev("b", 3, { ms: 200, user: "u1", region: "us" }),
      ev("b", 4, { user: "u3", region: "us" }), // no ms
    ]);
    const defs = [
      { slug: `calls_${kind}`, aggregation: "COUNT" as const },
      { slug: `ms_sum_${kind}`, aggregation: "SUM" as const, valueProperty: "$.ms" },
      { slug: `ms_avg_${kind}`, aggregation: "AVG" as const, valueProperty: "$.ms" },
      { slug: `ms_min_${kind}`, aggregation: "MIN" as const, valueProperty: "$.ms" },
      { slug: `ms_max_${kind}`, aggregation: "MAX" as const, valueProperty: "$.ms" },
      { slug: `ms_latest_${kind}`, aggregation: "LATEST" as const, valueProperty: "$.ms" },
      { slug: `users_${kind}`, aggregation: "UNIQUE_COUNT" as const, valueProperty: "$.user" },
    ];
    for (const d of defs) await operator.meters.create({ ...d, eventType: type, groupBy: { region: "$.region" } });
    await runBackfill(t.db);
    // One more event after the meters exist: the write path counts it.
    await om.events.ingest([ev("a", 5, { ms: 50, user: "u4", region: "eu" })]);
    const values: Record<string, number[]> = {};
    for (const d of defs) values[d.aggregation] = (await operator.meters.query(d.slug, {})).data.map((r) => r.value);
    expect(values).toEqual({ COUNT: [5], SUM: [650], AVG: [162.5], MIN: [50], MAX: [300], LATEST: [50], UNIQUE_COUNT: [4] });
    const latestByRegion = await operator.meters.query(`ms_latest_${kind}`, { groupBy: ["region"] });
    expect(latestByRegion.data.map((r) => [r.groupBy.region, r.value])).toEqual([
      ["eu", 50],
      ["us", 200],
    ]);

    // PUT replaces: groupBy dropped, name back to the slug; the meter is rebuilt under its new group-by.
    const updated = await operator.meters.update(`ms_sum_${kind}`, { name: "Latency", groupBy: { user: "$.user" } });
    expect(updated).toMatchObject({ name: "Latency", groupBy: { user: "$.user" } });
    await runBackfill(t.db);
    const byUser = await operator.meters.query(`ms_sum_${kind}`, { groupBy: ["user"] });
    expect(byUser.data.map((r) => [r.groupBy.user, r.value])).toEqual([
      ["u1", 300],
      ["u2", 300],
      ["u4", 50],
    ]);
    await operator.meters.delete(`calls_${kind}`);
    expect(((await operator.meters.list()) ?? []).map((m) => m.slug)).not.toContain(`calls_${kind}`);
    expect(await operator.meters.get(`calls_${kind}`).catch((e: unknown) => (e as { status: number }).status)).toBe(404);
  });

  it("a meter counts matching events from every route (CloudEvents gzip, /ingest, Segment, PostHog) by subject", async () => {
    const source = `routes-${kind}`;
    const key = (await createApiKey(t.db, { scope: "write", source })).key;
    const type = `checkout_${kind}`;
    await operator.meters.create({ slug: `checkout_${kind}`, aggregation: "SUM", eventType: type, valueProperty: "$.value" });
    const auth = { authorization: `Bearer ${key}` };
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${app.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...auth, ...headers }, body: JSON.stringify(body) });
    const gz = gzipSync(JSON.stringify([{ specversion: "1.0", id: "c-1", source: "shop", type, subject: "alice", time: "2026-12-01T10:00:00Z", data: { value: 4 } }]));
    const ce = await fetch(`${app.url}/api/v1/events`, { method: "POST", headers: { "content-type": "application/cloudevents-batch+json", "content-encoding": "gzip", ...auth }, body: gz });
    expect([ce.status, ((await ce.json()) as { counted: number }).counted]).toEqual([200, 1]);
    expect((await post("/ingest", { payload: { metric: type, value: 3, subject: "bob", timestamp: "2026-12-01T10:01:00Z" } })).status).toBe(200);
    expect((await post("/v1/track", { event: type, userId: "alice", properties: { value: 2 }, messageId: "s-1", timestamp: "2026-12-01T10:02:00Z" })).status).toBe(200);
    expect((await post("/v1/track", { event: type, anonymousId: "carol", properties: { value: 1 }, messageId: "s-2", timestamp: "2026-12-01T10:03:00Z" })).status).toBe(200);
    expect((await post("/capture", { api_key: key, event: type, distinct_id: "bob", properties: { value: 5 }, uuid: randomUUID(), timestamp: "2026-12-01T10:04:00Z" })).status).toBe(200);
    const bySubject = await operator.meters.query(`checkout_${kind}`, { groupBy: ["subject"] });
    expect(bySubject.data.map((r) => [r.subject, r.value])).toEqual([
      ["alice", 6],
      ["bob", 8],
      ["carol", 1],
    ]);
    // A source-bound read key may not read meters (they add up every source); one for every source may.
    const scoped = new OpenMeter({ baseUrl: app.url, apiKey: (await createApiKey(t.db, { scope: "read", source })).key });
    expect(await scoped.meters.list().catch((e: unknown) => (e as { status: number }).status)).toBe(403);
    const reader = new OpenMeter({ baseUrl: app.url, apiKey: (await createApiKey(t.db, { scope: "read" })).key });
    expect((await reader.meters.query(`checkout_${kind}`, {})).data.map((r) => r.value)).toEqual([15]);
  });
});
