// Reading events back over real HTTP, on PGlite and on PostgreSQL: GET /events with each
// filter (exact ids), keyset pages while events keep arriving, a read key's scope, GET
// /events/{id} of a deduplicated event with the event it repeats, and 400 naming each bad
// parameter. The tRPC procedures answer the same from the same functions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../src/server/api/root";
import { createApiKey } from "../src/server/auth/api-keys";
import type { ServerContext } from "../src/server/context";
import { listEvents } from "../src/server/events/list-events";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { checkInvariants } from "./support/invariants";
import { backends, createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

const ADMIN = "events-api-operator-token-0123456789abcdef";
const operator = { authorization: `Bearer ${ADMIN}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

interface Page {
  items: { id: string; status: string; identifiedBy: string }[];
  nextCursor: string | null;
}

describe.each(backends)("reading events back on %s", (kind) => {
  let t: TestDatabase;
  let ctx: ServerContext;
  let app: HttpApp;
  let seq = 0;
  const src = (label: string) => `ev-${kind}-${label}-${Date.now().toString(36)}-${seq++}`;

  const get = (path: string, headers: Record<string, string> = operator) => fetch(`${app.url}${path}`, { headers });
  const list = async (query: string, headers: Record<string, string> = operator): Promise<Page> => {
    const res = await get(`/events?${query}`, headers);
    expect(res.status, `${query}: ${res.status}`).toBe(200);
    return (await res.json()) as Page;
  };
  const ids = async (query: string) => (await list(query)).items.map((e) => e.id);

  /** Sends one event as the operator and returns the id of the raw event it stored (the one new row of the source). */
  const sendOne = async (source: string, payload: Record<string, unknown>, key?: string): Promise<string> => {
    const before = await t.db.prisma.rawEvent.findMany({ where: { source }, select: { id: true } });
    await fetch(`${app.url}/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json", ...operator, ...(key ? { "idempotency-key": key } : {}) },
      body: JSON.stringify({ source, payload }),
    });
    const known = new Set(before.map((r) => r.id));
    const added = (await t.db.prisma.rawEvent.findMany({ where: { source }, select: { id: true } })).filter((r) => !known.has(r.id));
    expect(added).toHaveLength(1);
    return added[0]!.id;
  };
  const receivedAt = async (id: string) => (await t.db.prisma.rawEvent.findUniqueOrThrow({ where: { id } })).receivedAt.toISOString();
  /** Ids newest first, as the list orders them: by receivedAt, then id. */
  const newestFirst = async (list: string[]) => {
    const rows = await t.db.prisma.rawEvent.findMany({ where: { id: { in: list } }, orderBy: [{ receivedAt: "desc" }, { id: "desc" }], select: { id: true } });
    return rows.map((r) => r.id);
  };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    ctx = testContext(t.db, { AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN, RECOVERY_DELAY_MS: "60000" });
    app = await startHttpApp(ctx);
  });
  afterAll(async () => {
    await app?.close();
    expect(await checkInvariants(t.db)).toEqual([]);
    await t?.drop();
  });

  describe("one source's events", () => {
    const source = src("filters");
    const e: Record<string, string> = {};
    beforeAll(async () => {
      const order = { metric: "orders", value: 3, timestamp: "2026-11-24T10:00:00Z", currency: "EUR" };
      const visit = { metric: "visits", value: 1.5, timestamp: "2026-11-24T12:00:00Z" };
      e.keyed = await sendOne(source, order, "k1");
      e.keyedAgain = await sendOne(source, order, "k1");
      e.content = await sendOne(source, visit);
      e.contentAgain = await sendOne(source, visit);
      e.rejected = await sendOne(source, { metric: "orders" });
      e.late = await sendOne(source, { metric: "orders", value: 0.1, timestamp: "2026-11-25T00:00:00Z" }, "k6");
    });

    it("each filter returns exactly its events, newest first", async () => {
      const all = await newestFirst(Object.values(e));
      const only = async (...names: string[]) => newestFirst(names.map((n) => e[n]!));
      const s = `source=${source}`;
      expect(await ids(s)).toEqual(all);
      expect(await ids(`${s}&status=deduplicated`)).toEqual(await only("keyedAgain", "contentAgain"));
      expect(await ids(`${s}&status=rejected`)).toEqual([e.rejected]);
      // A metric filter looks at the processed record: the rejected "orders" event has none.
      expect(await ids(`${s}&metric=orders`)).toEqual(await only("keyed", "keyedAgain", "late"));
      expect(await ids(`${s}&metric=visits`)).toEqual(await only("content", "contentAgain"));
      expect(await ids(`${s}&metric=nothing`)).toEqual([]);
      expect(await ids(`${s}&identity=key`)).toEqual(await only("keyed", "keyedAgain", "late"));
      expect(await ids(`${s}&identity=content`)).toEqual(await only("content", "contentAgain", "rejected"));
      expect(await ids(`${s}&key=k1`)).toEqual(await only("keyed", "keyedAgain"));
      expect(await ids(`${s}&key=k6`)).toEqual([e.late]);
      // Own time: [from, to) over occurredAt; events without a processed record are left out.
      expect(await ids(`${s}&from=2026-11-24T11:00:00Z`)).toEqual(await only("content", "contentAgain", "late"));
      expect(await ids(`${s}&to=2026-11-24T12:00:00Z`)).toEqual(await only("keyed", "keyedAgain"));
      expect(await ids(`${s}&from=2026-11-24T12:00:00%2B00:00&to=2026-11-24T12:00:00.001Z`)).toEqual(await only("content", "contentAgain"));
      // Received time: [receivedFrom, receivedTo) over receivedAt.
      const at = await receivedAt(e.content!);
      const from = await t.db.prisma.rawEvent.findMany({ where: { source, receivedAt: { gte: new Date(at) } }, select: { id: true } });
      expect(await ids(`${s}&receivedFrom=${at}`)).toEqual(await newestFirst(from.map((r) => r.id)));
      expect(await ids(`${s}&receivedFrom=${at}`)).toEqual(expect.arrayContaining(await only("content", "contentAgain", "rejected", "late")));
      expect(await ids(`${s}&receivedTo=${at}`)).toEqual(all.filter((id) => !from.some((r) => r.id === id)));
      expect(await ids(`${s}&receivedTo=${at}`)).toEqual(expect.arrayContaining(await only("keyed", "keyedAgain")));
      // A metric with many events is read in the raw events' order instead of from its processed
      // events (METRIC_CANDIDATES_MAX): the same events either way.
      for (const metric of ["orders", "visits"]) {
        const scanned = await listEvents(t.db, { source, metric }, { metricCandidatesMax: 0 });
        expect(scanned.items.map((i) => i.id)).toEqual(await ids(`${s}&metric=${metric}`));
      }
      // Filters combine.
      expect(await ids(`${s}&metric=orders&identity=key&from=2026-11-25T00:00:00Z`)).toEqual([e.late]);
      expect(await ids(`${s}&status=counted&metric=orders`)).toEqual(await only("keyed", "late"));
      // Each row says how it was identified (one rule: a stored key is `key`).
      const rows = (await list(s)).items;
      expect(Object.fromEntries(rows.map((r) => [r.id, r.identifiedBy]))).toEqual({
        [e.keyed!]: "key",
        [e.keyedAgain!]: "key",
        [e.late!]: "key",
        [e.content!]: "content",
        [e.contentAgain!]: "content",
        [e.rejected!]: "content",
      });
    });

    it("GET /events/{id} of a deduplicated event: raw, the processed record beside it, and the event it repeats, exact", async () => {
      const first = await t.db.prisma.processedEvent.findUniqueOrThrow({ where: { rawEventId: e.keyed! } });
      const res = await get(`/events/${e.keyedAgain}`);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toEqual({
        id: e.keyedAgain,
        source,
        status: "deduplicated",
        format: "event",
        identifiedBy: "key",
        idempotencyKey: "k1",
        reason: null,
        reasonCode: null,
        receivedAt: await receivedAt(e.keyedAgain!),
        attempts: 0,
        payload: { metric: "orders", value: 3, timestamp: "2026-11-24T10:00:00Z", currency: "EUR" },
        processed: {
          id: first.id.toString(),
          metric: "orders",
          value: 3,
          occurredAt: "2026-11-24T10:00:00.000Z",
          attributes: { currency: "EUR" },
          dedupKey: first.dedupKey,
        },
        repeats: { processedEventId: first.id.toString(), rawEventId: e.keyed, firstSeenAt: first.createdAt.toISOString(), identifiedBy: "key" },
      });
      // The same event as the list shows it, and as tRPC answers it: one implementation.
      expect((await list(`source=${source}&key=k1`)).items[0]).toEqual(body);
      expect(await createCaller({ ...ctx, principal: { kind: "operator", via: "token" } }).events.get({ id: e.keyedAgain! })).toEqual(body);

      // The first copy: counted, nothing repeated.
      expect(await (await get(`/events/${e.keyed}`)).json()).toMatchObject({ status: "counted", processed: { id: first.id.toString() }, repeats: null });
      // A copy deduplicated by content says so.
      const visit = await t.db.prisma.processedEvent.findUniqueOrThrow({ where: { rawEventId: e.content! } });
      expect(await (await get(`/events/${e.contentAgain}`)).json()).toMatchObject({
        identifiedBy: "content",
        idempotencyKey: null,
        processed: { id: visit.id.toString(), metric: "visits", value: 1.5, attributes: {} },
        repeats: { processedEventId: visit.id.toString(), rawEventId: e.content, firstSeenAt: visit.createdAt.toISOString(), identifiedBy: "content" },
      });
      // A rejected event has no processed record.
      expect(await (await get(`/events/${e.rejected}`)).json()).toMatchObject({
        status: "rejected",
        reasonCode: "INVALID_EVENT",
        reason: expect.stringContaining("value"),
        payload: { metric: "orders" },
        processed: null,
        repeats: null,
      });
    });
  });

  it("keyset pages: events arriving meanwhile never repeat or skip one; Link and nextCursor name the next page", async () => {
    const source = src("paging");
    const sent: string[] = [];
    for (let i = 0; i < 7; i++) sent.push(await sendOne(source, { metric: "m", value: i }));
    const seen: string[] = [];
    let path: string | null = `/events?source=${source}&limit=3`;
    let pages = 0;
    while (path !== null) {
      const res = await get(path);
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      seen.push(...page.items.map((i) => i.id));
      const link = res.headers.get("link");
      if (page.nextCursor === null) expect(link).toBeNull();
      else expect(link).toBe(`</events?source=${source}&limit=3&cursor=${page.nextCursor}>; rel="next"`);
      path = link === null ? null : /^<([^>]+)>/.exec(link)![1]!;
      // New events arrive after every page: they are newer than the cursor.
      for (let i = 0; i < 2; i++) await sendOne(source, { metric: "m", value: 100 + pages * 2 + i });
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(await newestFirst(sent));
    // From the top again, the newcomers come first.
    expect((await list(`source=${source}&limit=200`)).items).toHaveLength(7 + 6);
  });

  it("a read key bound to one source sees only that source: its list, 403 for another, 404 for another's event; a write key cannot read", async () => {
    const a = src("a");
    const b = src("b");
    const aId = await sendOne(a, { metric: "m", value: 1 });
    const bId = await sendOne(b, { metric: "m", value: 1 });
    const readA = bearer((await createApiKey(t.db, { scope: "read", source: a })).key);
    expect((await list("", readA)).items.map((i) => i.id)).toEqual([aId]);
    expect((await list(`source=${a}`, readA)).items.map((i) => i.id)).toEqual([aId]);
    const other = await get(`/events?source=${b}`, readA);
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ error: { code: "SOURCE_MISMATCH", field: "source" } });
    expect((await get(`/events/${aId}`, readA)).status).toBe(200);
    // Another source's event and an unknown id answer alike.
    const hidden = await get(`/events/${bId}`, readA);
    const unknownId = "00000000-0000-4000-8000-000000000000";
    const unknown = await get(`/events/${unknownId}`, readA);
    expect([hidden.status, unknown.status]).toEqual([404, 404]);
    expect(await hidden.json()).toMatchObject({ error: { code: "NOT_FOUND", field: "id", message: `No event ${bId}`, retryable: false } });
    expect(await unknown.json()).toMatchObject({ error: { code: "NOT_FOUND", field: "id", message: `No event ${unknownId}`, retryable: false } });
    // A read key of every source, and the operator, see both.
    const readAll = bearer((await createApiKey(t.db, { scope: "read" })).key);
    expect((await get(`/events/${bId}`, readAll)).status).toBe(200);
    expect((await list(`limit=200`, readAll)).items.map((i) => i.id)).toEqual(expect.arrayContaining([aId, bId]));
    expect((await list(`source=${b}`, operator)).items.map((i) => i.id)).toEqual([bId]);
    // A write key may not read; nobody anonymous may.
    const write = bearer((await createApiKey(t.db, { scope: "write", source: a })).key);
    for (const path of ["/events", `/events/${aId}`]) {
      const refused = await get(path, write);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
      const anonymous = await get(path, {});
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    }
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=201", "limit"],
    ["limit=ten", "limit"],
    ["limit=1.5", "limit"],
    ["status=lost", "status"],
    ["identity=maybe", "identity"],
    ["key=", "key"],
    ["source=", "source"],
    ["source=a%00b", "source"],
    ["metric=a%00b", "metric"],
    ["from=yesterday", "from"],
    ["to=2026-11-24", "to"],
    ["from=2026-11-24T10:00:00Z&to=2026-11-24T10:00:00Z", "to"],
    ["receivedFrom=now", "receivedFrom"],
    ["receivedFrom=2026-11-24T11:00:00Z&receivedTo=2026-11-24T10:00:00Z", "receivedTo"],
    ["cursor=not-a-cursor", "cursor"],
    [`cursor=${Buffer.from(JSON.stringify({ f: "x", t: "2026-11-24T10:00:00.000Z", i: "00000000-0000-4000-8000-000000000000" })).toString("base64url")}`, "cursor"],
    [`cursor=${Buffer.from(JSON.stringify({ f: "x", t: "'; DROP TABLE raw_event; --", i: "1" })).toString("base64url")}`, "cursor"],
  ])("GET /events?%s is 400 INVALID_QUERY naming %s", async (query, field) => {
    const res = await get(`/events?${query}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; field: string; message: string } };
    expect(body).toMatchObject({ error: { code: "INVALID_QUERY", field, retryable: false } });
    expect(body.error.message).toMatch(new RegExp(`^${field}: `));
  });

  it("a cursor works only with the filters it was given for; a malformed event id is 400 naming id", async () => {
    const source = src("cursor");
    for (let i = 0; i < 3; i++) await sendOne(source, { metric: "m", value: i });
    const { nextCursor } = await list(`source=${source}&limit=1`);
    expect(nextCursor).toEqual(expect.any(String));
    // The same filters with another page size go on; other filters are refused.
    expect((await list(`source=${source}&limit=2&cursor=${nextCursor}`)).items).toHaveLength(2);
    const other = await get(`/events?source=${source}&metric=m&cursor=${nextCursor}`);
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({ error: { code: "INVALID_QUERY", field: "cursor", message: expect.stringContaining("other filters") } });
    for (const id of ["not-a-uuid", "1", "%E0%A4%A"]) {
      const res = await get(`/events/${id}`);
      expect(res.status, id).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "INVALID_QUERY", field: "id" } });
    }
  });
});
