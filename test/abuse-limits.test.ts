// Abuse limits per client address, over real sockets, two clients told apart by their source
// address (127.0.0.1 and 127.0.0.2: on Linux the whole of 127.0.0.0/8 is the loopback):
// - one address holding its MAX_CONNECTIONS_PER_ADDRESS of slow connections has its next one
//   closed at once, while another address is answered promptly;
// - wrong credentials are throttled per address (AUTH_FAILURES_PER_MINUTE): past them the next
//   sign-in is 429 with Retry-After even with the right token, other addresses unaffected;
// - with access control off, a Host the server does not serve (DNS rebinding) is 403.
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../src/server/auth/api-keys";
import type { Database } from "../src/server/db/database";
import { addressKey } from "../src/server/http/client-address";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { rawRequest } from "./support/raw-http";
import { testContext } from "./support/test-db";
import { useTestDatabase } from "./support/use-test-database";

const OTHER = "127.0.0.2";
const ADMIN = "abuse-limits-operator-token-0123456789abcdef";

/** A connection from `localAddress` that answers one request whole, then starts another and sends it a byte at a time: a slow client. */
class SlowClient {
  readonly socket: Socket;
  received = "";
  readonly closed: Promise<void>;

  constructor(app: HttpApp, localAddress?: string) {
    const { hostname, port } = new URL(app.url);
    this.socket = connect({ host: hostname, port: Number(port), ...(localAddress ? { localAddress } : {}) });
    this.socket.on("data", (d: Buffer) => (this.received += d.toString("latin1")));
    this.socket.on("error", () => {});
    this.closed = new Promise((r) => this.socket.once("close", () => r()));
  }

  /** One keep-alive request answered (the server holds the connection), then the start of the next one. */
  async holdOpen(): Promise<void> {
    this.socket.write("GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
    await expect.poll(() => this.received.includes('{"status":"ok"}') || this.socket.destroyed).toBe(true);
    expect(this.received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    this.socket.write("GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");
  }
}

describe("client addresses", () => {
  it("count an IPv4 address alone (IPv4-mapped IPv6 too) and an IPv6 address by its /64", () => {
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey(undefined)).toBe("unknown");
  });
});

describe("connections per client address", () => {
  // These requests never reach the database; touching it fails the test.
  const noDatabase = new Proxy({} as Database, {
    get(_, key) {
      throw new Error(`the database was used (${String(key)})`);
    },
  });

  it("one address holding its share of slow connections has the next closed at once; another address is answered promptly", async () => {
    // The whole-request timeout is 10 s (the default): a slow client could hold every connection that long.
    const app = await startHttpApp(testContext(noDatabase, { MAX_CONNECTIONS: "100", MAX_CONNECTIONS_PER_ADDRESS: "4" }));
    const slow = Array.from({ length: 4 }, () => new SlowClient(app));
    try {
      for (const c of slow) await c.holdOpen();

      const started = Date.now();
      const refused = new SlowClient(app);
      refused.socket.write("GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
      await refused.closed;
      expect(refused.received).toBe("");
      expect(Date.now() - started).toBeLessThan(1000);

      const other = Date.now();
      const answer = await rawRequest(app.url, { path: "/api/health", localAddress: OTHER });
      expect({ status: answer.status, json: answer.json }).toEqual({ status: 200, json: { status: "ok" } });
      expect(Date.now() - other).toBeLessThan(1000);

      // A freed connection makes room for the address again.
      slow[0]!.socket.destroy();
      await slow[0]!.closed;
      await expect.poll(() => rawRequest(app.url, { path: "/api/health" }).then((r) => r.status, () => 0)).toBe(200);
    } finally {
      for (const c of slow) c.socket.destroy();
      await app.close();
    }
  });
});

describe("failed credentials per client address (PGlite)", () => {
  const t = useTestDatabase("pglite");
  let app: HttpApp;
  let writeKey: string;

  beforeAll(async () => {
    app = await startHttpApp(testContext(t.db, { AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN, AUTH_FAILURES_PER_MINUTE: "5", RECOVERY_DELAY_MS: "60000" }));
    writeKey = (await createApiKey(t.db, { scope: "write", source: "abuse-limits" })).key;
  });
  afterAll(() => app.close());

  const signIn = (token: string, localAddress?: string) =>
    rawRequest(app.url, {
      method: "POST",
      path: "/api/session",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token }),
      ...(localAddress ? { localAddress } : {}),
    });

  it("past AUTH_FAILURES_PER_MINUTE wrong tokens, the next sign-in is 429 with Retry-After even with the right token; another address signs in", async () => {
    for (let i = 0; i < 5; i++) {
      const wrong = await signIn(`guess-${i}`);
      expect({ status: wrong.status, json: wrong.json }).toMatchObject({
        status: 401,
        json: { error: { code: "UNAUTHENTICATED", field: "token", message: "That is not the operator token (ADMIN_TOKEN)" } },
      });
    }
    const right = await signIn(ADMIN);
    expect(right.status).toBe(429);
    // 5 a minute: one attempt back every 12 s.
    expect(right.headers["retry-after"]).toBe("12");
    expect(right.headers["set-cookie"]).toBeUndefined();
    expect(right.json).toEqual({
      error: {
        code: "RATE_LIMITED",
        message: "Too many wrong credentials from this address (at most 5 a minute, AUTH_FAILURES_PER_MINUTE); retry in 12 s",
        field: "authorization",
        retryable: true,
        requestId: expect.any(String),
      },
    });
    // The operator token as a Bearer from the same address: not compared either.
    const bearer = await rawRequest(app.url, { path: "/aggregates", headers: { authorization: `Bearer ${ADMIN}` } });
    expect({ status: bearer.status, code: (bearer.json as { error: { code: string } }).error.code }).toEqual({ status: 429, code: "RATE_LIMITED" });
    // A write key has nothing to guess: it still works from there.
    const ingest = await rawRequest(app.url, {
      method: "POST",
      path: "/ingest",
      headers: { "content-type": "application/json", authorization: `Bearer ${writeKey}` },
      body: JSON.stringify({ payload: { metric: "m", value: 1 } }),
    });
    expect({ status: ingest.status, json: ingest.json }).toMatchObject({ status: 200, json: { success: true, deduplicated: false } });

    const elsewhere = await signIn(ADMIN, OTHER);
    expect({ status: elsewhere.status, json: elsewhere.json }).toEqual({ status: 200, json: { authRequired: true, signedIn: true } });
    expect(String(elsewhere.headers["set-cookie"])).toMatch(/^ingest_session=/);
  });

  it("wrong keys count too: guesses as Bearer tokens lock the address's sign-in", async () => {
    const third = "127.0.0.3";
    for (let i = 0; i < 5; i++) {
      const wrong = await rawRequest(app.url, { path: "/aggregates", headers: { authorization: `Bearer wk_guess-${i}` }, localAddress: third });
      expect(wrong.status).toBe(401);
    }
    expect((await signIn(ADMIN, third)).status).toBe(429);
    expect((await rawRequest(app.url, { path: "/aggregates", headers: { authorization: `Bearer wk_guess-5` }, localAddress: third })).status).toBe(429);
  });
});

describe("the Host header with access control off", () => {
  const noDatabase = new Proxy({} as Database, {
    get(_, key) {
      throw new Error(`the database was used (${String(key)})`);
    },
  });
  let open: HttpApp;
  let closed: HttpApp;

  beforeAll(async () => {
    open = await startHttpApp(testContext(noDatabase, { AUTH_REQUIRED: "false", ALLOWED_HOSTS: "ingest.test, devbox.local" }));
    closed = await startHttpApp(testContext(noDatabase, { AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN }));
  });
  afterAll(async () => {
    await open.close();
    await closed.close();
  });

  const health = (app: HttpApp, host: string) => rawRequest(app.url, { path: "/api/health", headers: { host } });

  it("a name it does not serve (a DNS-rebinding page's) is 403 HOST_NOT_ALLOWED naming the host, on pages' paths too", async () => {
    for (const path of ["/api/health", "/aggregates", "/console"]) {
      const res = await rawRequest(open.url, { path, headers: { host: "evil.example:3000" } });
      expect({ path, status: res.status, json: res.json }).toEqual({
        path,
        status: 403,
        json: {
          error: {
            code: "HOST_NOT_ALLOWED",
            message:
              'This server does not serve the host "evil.example:3000": with access control off (AUTH_REQUIRED=false) it answers only localhost, its own addresses and ALLOWED_HOSTS; add the name to ALLOWED_HOSTS to serve it',
            field: "host",
            retryable: false,
            requestId: expect.any(String),
          },
        },
      });
    }
    expect((await health(open, "localhost.evil.example")).status).toBe(403);
  });

  it("serves localhost, the loopback addresses, ALLOWED_HOSTS and the address it is bound to, on any port", async () => {
    const port = new URL(open.url).port;
    for (const host of ["localhost", `localhost:${port}`, "LOCALHOST:1", "app.localhost:3000", "127.0.0.1", `127.0.0.1:${port}`, "[::1]:3000", "ingest.test:8080", "devbox.local"]) {
      expect(`${host} ${(await health(open, host)).status}`).toBe(`${host} 200`);
    }
  });

  it("with access control on, the Host is not checked: credentials protect every route", async () => {
    expect((await health(closed, "evil.example:3000")).status).toBe(200);
  });
});
