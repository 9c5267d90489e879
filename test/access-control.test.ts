// Access control over real HTTP, on PGlite and on PostgreSQL: who may write which source,
// who may read what, the operator, the console session, rate limits and content types.
// Every refusal is checked to have stored nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, KEY_CACHE_MS } from "../src/server/auth/api-keys";
import type { ServerContext } from "../src/server/context";
import type { Database } from "../src/server/db/database";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { checkInvariants } from "./support/invariants";
import { backends, createTestDatabase, openTestDatabase, testContext, type TestDatabase } from "./support/test-db";

const ADMIN = "operator-token-for-tests-0123456789abcdef";
const AUTH = { AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN, RECOVERY_DELAY_MS: "60000" };

type App = HttpApp;

/** The app's server in process, with a stand-in for Next (the console's pages) to check the gate in front of it. */
const startApp = (ctx: ServerContext): Promise<App> =>
  startHttpApp(ctx, (_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<p>page</p>");
  });

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString("base64")}` });

describe.each(backends)("access control on %s", (kind) => {
  let t: TestDatabase;
  let app: App;
  let seq = 0;
  const src = () => `ac-${kind}-${seq++}`;
  const call = (path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}, base = app.url) =>
    fetch(`${base}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: { ...(init.body !== undefined ? { "content-type": "application/json" } : {}), ...init.headers },
      body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
    });
  const rawCount = (source?: string) => t.db.prisma.rawEventState.count(source ? { where: { source } } : undefined);
  const writeKey = async (source: string) => (await createApiKey(t.db, { scope: "write", source })).key;
  const readKey = async (source?: string) => (await createApiKey(t.db, { scope: "read", source })).key;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    app = await startApp(testContext(t.db, AUTH));
  });
  afterAll(async () => {
    await app.close();
    expect(await checkInvariants(t.db)).toEqual([]);
    await t.drop();
  });

  describe("writes need a write key", () => {
    it.each([
      ["no credentials", {}, "Credentials are needed to ingest events: send Authorization: Bearer <key>"],
      ["an unknown key", bearer("wk_not-a-real-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "The key is unknown or revoked"],
      ["a malformed Authorization header", { authorization: "Token abc" }, "The Authorization header must be `Bearer <key>` or Basic with the key as user name"],
    ])("%s: 401 UNAUTHENTICATED with WWW-Authenticate on every ingest route; nothing stored", async (_what, headers, message) => {
      const source = src();
      const before = await rawCount();
      const routes = [
        call("/ingest", { headers, body: { source, payload: { metric: "m", value: 1 } } }),
        call("/ingest/batch", { headers, body: { events: [{ source, payload: { metric: "m", value: 1 } }] } }),
        call("/api/trpc/ingest", { headers, body: { source, payload: { metric: "m", value: 1 } } }),
        call("/api/trpc/ingestBatch", { headers, body: { events: [{ source, payload: { metric: "m", value: 1 } }] } }),
      ];
      for (const res of await Promise.all(routes)) {
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe('Bearer realm="ingest", Basic realm="ingest"');
        const body = (await res.json()) as { error: { code: string; message: string; data?: { appError: unknown } } };
        const error = body.error.data?.appError ?? body.error;
        expect(error).toMatchObject({ code: "UNAUTHENTICATED", message, retryable: false });
      }
      expect(await rawCount()).toBe(before);
    });

    it("the key decides the source: the body may omit it (Bearer or Basic with the key as user name)", async () => {
      const source = src();
      const key = await writeKey(source);
      const a = await call("/ingest", { headers: bearer(key), body: { payload: { metric: "m", value: 2 } } });
      expect(await a.json()).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
      const b = await call("/ingest/batch", { headers: basic(key), body: { events: [{ payload: { metric: "m", value: 3 } }, { source, payload: { metric: "m", value: 4 } }] } });
      expect(await b.json()).toMatchObject({ counted: 2, rejected: 0 });
      const agg = await call(`/aggregates?source=${source}`, { headers: bearer(ADMIN) });
      expect(await agg.json()).toEqual([expect.objectContaining({ source, metric: "m", count: 3, sum: 9 })]);
    });

    it("a body naming another source is 403 SOURCE_MISMATCH and stores nothing, not even a raw row (single, batch, tRPC)", async () => {
      const mine = src();
      const theirs = src();
      const key = await writeKey(mine);
      const before = await rawCount();
      const single = await call("/ingest", { headers: bearer(key), body: { source: theirs, payload: { metric: "m", value: 1 } } });
      expect(single.status).toBe(403);
      expect(await single.json()).toMatchObject({
        error: { code: "SOURCE_MISMATCH", field: "source", message: `This write key writes source "${mine}", not "${theirs}"`, retryable: false },
      });
      // One spoofed event in a batch refuses the whole batch: nothing of it is stored.
      const batch = await call("/ingest/batch", {
        headers: bearer(key),
        body: { events: [{ source: mine, payload: { metric: "m", value: 1 } }, { source: theirs, payload: { metric: "m", value: 1 } }] },
      });
      expect(batch.status).toBe(403);
      expect(await batch.json()).toMatchObject({ error: { code: "SOURCE_MISMATCH", field: "events[1].source" } });
      const trpc = await call("/api/trpc/ingest", { headers: bearer(key), body: { source: theirs, payload: { metric: "m", value: 1 } } });
      expect(trpc.status).toBe(403);
      expect(await rawCount()).toBe(before);
    });

    it("a read key cannot write, and a write key cannot read: 403 FORBIDDEN", async () => {
      const source = src();
      const write = await call("/ingest", { headers: bearer(await readKey()), body: { source, payload: { metric: "m", value: 1 } } });
      expect(write.status).toBe(403);
      expect(await write.json()).toMatchObject({ error: { code: "FORBIDDEN", message: "This read key may not ingest events" } });
      const read = await call("/aggregates", { headers: bearer(await writeKey(source)) });
      expect(read.status).toBe(403);
      expect(await read.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
      expect(await rawCount(source)).toBe(0);
    });

    it("only the operator may simulate failures", async () => {
      const source = src();
      const key = await writeKey(source);
      const refused = await call("/ingest", { headers: { ...bearer(key), "x-simulate-failure": "after-commit" }, body: { payload: { metric: "m", value: 1 } } });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: { code: "FORBIDDEN", message: "This write key may not simulate failures" } });
      expect(await rawCount(source)).toBe(0);
      const operator = await call("/ingest", { headers: { ...bearer(ADMIN), "x-simulate-failure": "before-capture" }, body: { source, payload: { metric: "m", value: 1 } } });
      expect(operator.status).toBe(503);
      expect(await operator.json()).toMatchObject({ error: { code: "SIMULATED_FAILURE" } });
    });

    it("POST bodies must be labelled application/json: 415 and nothing stored", async () => {
      const source = src();
      const key = await writeKey(source);
      const body = JSON.stringify({ payload: { metric: "m", value: 1 } });
      for (const type of ["text/plain", "application/x-www-form-urlencoded", ""]) {
        const res = await fetch(`${app.url}/ingest`, { method: "POST", headers: { ...bearer(key), ...(type ? { "content-type": type } : {}) }, body });
        expect(res.status).toBe(415);
        expect(await res.json()).toMatchObject({ error: { code: "UNSUPPORTED_MEDIA_TYPE", field: "content-type" } });
      }
      const ok = await fetch(`${app.url}/ingest`, { method: "POST", headers: { ...bearer(key), "content-type": "application/json; charset=utf-8" }, body });
      expect(ok.status).toBe(200);
      expect(await rawCount(source)).toBe(1);
    });
  });

  describe("reads need a read key or the operator", () => {
    it("anonymous reads are 401; tRPC events.* too", async () => {
      const res = await call("/aggregates");
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect((await call("/api/trpc/events.statusCounts")).status).toBe(401);
      expect((await call("/api/trpc/keys.list")).status).toBe(401);
    });

    it("a read key bound to one source sees that source only; asking for another is 403", async () => {
      const a = src();
      const b = src();
      await call("/ingest", { headers: bearer(await writeKey(a)), body: { payload: { metric: "m", value: 1 } } });
      await call("/ingest", { headers: bearer(await writeKey(b)), body: { payload: { metric: "m", value: 1 } } });
      const scoped = await readKey(a);
      const all = (await (await call("/aggregates", { headers: bearer(scoped) })).json()) as { source: string }[];
      expect(all.map((r) => r.source)).toEqual([a]);
      const other = await call(`/aggregates?source=${b}`, { headers: bearer(scoped) });
      expect(other.status).toBe(403);
      expect(await other.json()).toMatchObject({ error: { code: "SOURCE_MISMATCH", message: `This read key reads source "${a}" only, not "${b}"` } });
      const events = await call(`/api/trpc/events.list?input=${encodeURIComponent(JSON.stringify({}))}`, { headers: bearer(scoped) });
      const page = (await events.json()) as { result: { data: { items: { source: string }[] } } };
      expect(new Set(page.result.data.items.map((e) => e.source))).toEqual(new Set([a]));
      // A read key for every source, and the operator, see both.
      for (const headers of [bearer(await readKey()), bearer(ADMIN)]) {
        const rows = (await (await call("/aggregates", { headers })).json()) as { source: string }[];
        expect(rows.map((r) => r.source)).toEqual(expect.arrayContaining([a, b]));
      }
    });

    it("key management is the operator's only", async () => {
      const create = { scope: "read" };
      expect((await call("/api/trpc/keys.create", { headers: bearer(await readKey()), body: create })).status).toBe(403);
      expect((await call("/api/trpc/keys.create", { headers: bearer(await writeKey(src())), body: create })).status).toBe(403);
      const made = await call("/api/trpc/keys.create", { headers: bearer(ADMIN), body: { scope: "write", source: src(), label: "ci" } });
      expect(made.status).toBe(200);
      const { key, info } = ((await made.json()) as { result: { data: { key: string; info: { prefix: string; scope: string; label: string } } } }).result.data;
      expect(key).toMatch(/^wk_[A-Za-z0-9_-]{43}$/);
      expect(info).toMatchObject({ prefix: key.slice(0, 11), scope: "write", label: "ci" });
      // Only a hash is stored: the key text appears nowhere in the database.
      const stored = await t.db.prisma.apiKey.findUniqueOrThrow({ where: { prefix: info.prefix } });
      expect(JSON.stringify(stored)).not.toContain(key.slice(11));
    });
  });

  describe("revocation", () => {
    it("a revoked key stops working within 5 s, on this instance and on another", async () => {
      const source = src();
      const key = await writeKey(source);
      // A second instance with its own key cache (on PGlite the same database handle: one process).
      const otherDb: Database = kind === "postgresql" ? openTestDatabase(t.url) : t.db;
      const other = await startApp(testContext(otherDb, AUTH));
      try {
        for (const base of [app.url, other.url]) {
          expect((await call("/ingest", { headers: bearer(key), body: { payload: { metric: "m", value: 1 } } }, base)).status).toBe(200);
        }
        const revoked = await call("/api/trpc/keys.revoke", { headers: bearer(ADMIN), body: { key: key.slice(0, 11) } });
        expect(revoked.status).toBe(200);
        const at = Date.now();
        const refusedAt: number[] = [];
        for (const base of [app.url, other.url]) {
          for (;;) {
            const res = await call("/ingest", { headers: bearer(key), body: { payload: { metric: "m", value: Date.now() } } }, base);
            if (res.status === 401) break;
            expect(res.status).toBe(200);
            expect(Date.now() - at).toBeLessThan(5000);
            await new Promise((r) => setTimeout(r, 100)); // polling a clock-driven cache: nothing to await
          }
          refusedAt.push(Date.now() - at);
        }
        expect(Math.max(...refusedAt)).toBeLessThanOrEqual(KEY_CACHE_MS + 1000);
      } finally {
        await other.close();
        if (otherDb !== t.db) await otherDb.close();
      }
    });
  });

  describe("rate limit", () => {
    it("past the key's rate: 429 RATE_LIMITED with Retry-After, nothing stored; other keys unaffected", async () => {
      const limited = await startApp(testContext(t.db, { ...AUTH, RATE_LIMIT_EVENTS_PER_SECOND: "1", RATE_LIMIT_BURST: "5", MAX_BATCH_EVENTS: "5", MAX_PENDING_EVENTS: "100" }));
      try {
        const source = src();
        const key = await writeKey(source);
        const events = Array.from({ length: 5 }, (_, i) => ({ payload: { metric: "m", value: i } }));
        expect((await call("/ingest/batch", { headers: bearer(key), body: { events } }, limited.url)).status).toBe(200);
        const over = await call("/ingest", { headers: bearer(key), body: { payload: { metric: "m", value: 99 } } }, limited.url);
        expect(over.status).toBe(429);
        expect(Number(over.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        expect(await over.json()).toMatchObject({ error: { code: "RATE_LIMITED", retryable: true } });
        expect(await rawCount(source)).toBe(5);
        const neighbour = await call("/ingest", { headers: bearer(await writeKey(src())), body: { payload: { metric: "m", value: 1 } } }, limited.url);
        expect(neighbour.status).toBe(200);
      } finally {
        await limited.close();
      }
    });
  });

  describe("the console's session", () => {
    it("signs in with the operator token only; the cookie is httpOnly, SameSite=Strict, Secure behind https", async () => {
      const wrong = await call("/api/session", { body: { token: "nope" } });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get("set-cookie")).toBeNull();
      const ok = await call("/api/session", { body: { token: ADMIN }, headers: { "x-forwarded-proto": "https" } });
      expect(ok.status).toBe(200);
      const cookie = ok.headers.get("set-cookie") ?? "";
      expect(cookie).toMatch(/^ingest_session=v1\.\d+\.[A-Za-z0-9_-]+; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
      const plain = await call("/api/session", { body: { token: ADMIN } });
      expect(plain.headers.get("set-cookie")).not.toContain("Secure");
      const session = { cookie: cookie.split(";")[0]! };
      expect(await (await call("/api/session", { headers: session })).json()).toEqual({ authRequired: true, signedIn: true });
      expect((await call("/aggregates", { headers: session })).status).toBe(200);
      // A tampered or expired cookie is no session.
      expect((await call("/aggregates", { headers: { cookie: session.cookie.replace(/.$/, "x") } })).status).toBe(401);
    });

    it("a cookie-authenticated tRPC mutation from another origin is refused; from this origin it runs", async () => {
      const signIn = await call("/api/session", { body: { token: ADMIN } });
      const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0]!;
      const before = await t.db.prisma.apiKey.count();
      const cross = await call("/api/trpc/keys.create", { headers: { cookie, origin: "https://evil.example" }, body: { scope: "read" } });
      expect(cross.status).toBe(403);
      expect(((await cross.json()) as { error: { data: { appError: unknown } } }).error.data.appError).toMatchObject({ code: "FORBIDDEN", field: "origin" });
      const crossFetch = await call("/api/trpc/keys.create", { headers: { cookie, "sec-fetch-site": "cross-site" }, body: { scope: "read" } });
      expect(crossFetch.status).toBe(403);
      expect(await t.db.prisma.apiKey.count()).toBe(before);
      const same = await call("/api/trpc/keys.create", { headers: { cookie, origin: app.url }, body: { scope: "read" } });
      expect(same.status).toBe(200);
      // Signing in or out from another origin is refused too.
      expect((await call("/api/session", { body: { token: ADMIN }, headers: { origin: "https://evil.example" } })).status).toBe(403);
    });

    it("console pages redirect to sign-in without a session, and carry a nonce CSP, nosniff, no framing", async () => {
      const res = await fetch(`${app.url}/console/events?x=1`, { redirect: "manual" });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe(`/console/sign-in?next=${encodeURIComponent("/console/events?x=1")}`);
      const signInPage = await fetch(`${app.url}/console/sign-in`, { redirect: "manual" });
      expect(signInPage.status).toBe(200);
      const csp = signInPage.headers.get("content-security-policy") ?? "";
      expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}' 'strict-dynamic'/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline' 'strict");
      expect(signInPage.headers.get("x-content-type-options")).toBe("nosniff");
      expect(signInPage.headers.get("referrer-policy")).toBe("same-origin");
      // Every answer gets a fresh nonce.
      const again = (await fetch(`${app.url}/console/sign-in`)).headers.get("content-security-policy");
      expect(again).not.toBe(csp);
      const signIn = await call("/api/session", { body: { token: ADMIN } });
      const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0]!;
      expect((await fetch(`${app.url}/console/events`, { headers: { cookie }, redirect: "manual" })).status).toBe(200);
    });
  });
});

describe("access control off (development and tests by default)", () => {
  it("every route stays open, so the quickstart's curl examples work", async () => {
    const t = await createTestDatabase("pglite");
    const app = await startApp(testContext(t.db));
    try {
      expect((await fetch(`${app.url}/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ source: "open", payload: { metric: "m", value: 1 } }) })).status).toBe(200);
      expect((await fetch(`${app.url}/aggregates`)).status).toBe(200);
      expect((await fetch(`${app.url}/console/events`, { redirect: "manual" })).status).toBe(200);
    } finally {
      await app.close();
      await t.drop();
    }
  });
});
