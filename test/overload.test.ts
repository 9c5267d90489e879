// Overload is refused early, not absorbed, over real HTTP: a bounded backlog answers 503
// OVERLOADED before a body is read and stores nothing; events whose client left while they
// waited for capture are never captured (captured ones are still finished); a client that
// trickles its request is cut off with 408; connections past the cap are refused; idle
// keep-alive connections are closed.
import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/server/config";
import type { Database } from "../src/server/db/database";
import { Backlog, backlogFor, eventsBound } from "../src/server/http/admission";
import { groupCommitter } from "../src/server/ingest/ingest-event";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { backends, testContext } from "./support/test-db";
import { useTestDatabase } from "./support/use-test-database";

/** Holds the database busy (a table lock; PGlite's one connection) until the returned function is called. */
async function holdDatabase(db: Database): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = db.prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe("LOCK TABLE raw_event IN EXCLUSIVE MODE");
      locked();
      await released;
    },
    { timeout: 30_000 },
  );
  await isLocked;
  return async () => {
    release();
    await done;
  };
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw connection to the app, to send exactly the bytes a test needs, when it needs them. */
class RawClient {
  readonly socket: Socket;
  private data = "";
  readonly closed: Promise<void>;

  constructor(app: HttpApp) {
    const { hostname, port } = new URL(app.url);
    this.socket = connect(Number(port), hostname);
    this.socket.on("data", (d: Buffer) => (this.data += d.toString("latin1")));
    this.socket.on("error", () => {});
    this.closed = new Promise((r) => this.socket.once("close", () => r()));
  }

  get received(): string {
    return this.data;
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Sends `head` at once, then `drip` a character every `everyMs` until the server closes the connection. */
  async trickle(head: string, drip: string, everyMs: number): Promise<{ elapsed: number; sent: number }> {
    const started = Date.now();
    this.send(head);
    let sent = 0;
    const timer = setInterval(() => sent < drip.length && this.send(drip[sent++]!), everyMs);
    await this.closed;
    clearInterval(timer);
    return { elapsed: Date.now() - started, sent };
  }

  /** Waits for one complete response (content-length framed). */
  async response(): Promise<RawResponse> {
    await expect.poll(() => parse(this.data) !== undefined || this.socket.destroyed, { timeout: 10_000 }).toBe(true);
    const parsed = parse(this.data);
    if (!parsed) throw new Error(`connection closed after ${JSON.stringify(this.data)}`);
    return parsed;
  }
}

function parse(text: string): RawResponse | undefined {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
  const body = text.slice(end + 4);
  if (Buffer.byteLength(body, "latin1") < Number(headers["content-length"] ?? 0)) return undefined;
  return { status: Number(statusLine?.split(" ")[1]), headers, body };
}

function postHead(path: string, contentLength: number): string {
  return `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n`;
}

function batchOf(source: string, n: number): string {
  return JSON.stringify({
    events: Array.from({ length: n }, (_, i) => ({ source, payload: { metric: "m", value: i, eventId: `${source}-${i}` } })),
  });
}

function post(app: HttpApp, path: string, body: string): Promise<Response> {
  return fetch(`${app.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
}

describe("the backlog count", () => {
  it("admits a request whole or refuses it whole, shrinks to what the body held, releases once", () => {
    const backlog = new Backlog(10);
    const a = backlog.admit(6);
    expect(() => backlog.admit(5)).toThrow(expect.objectContaining({ code: "OVERLOADED", status: 503 }));
    expect(backlog.pending).toBe(6);
    a.shrinkTo(2);
    expect(backlog.pending).toBe(2);
    a.shrinkTo(9); // never grows
    expect(backlog.pending).toBe(2);
    const b = backlog.admit(8);
    expect(backlog.pending).toBe(10);
    a.release();
    a.release();
    expect(backlog.pending).toBe(8);
    b.release();
    expect(backlog.pending).toBe(0);
    expect(backlog.admit(0).events).toBe(0);
  });

  it("reports refusals as one summary, not one log line per refused request", () => {
    const reports: [number, number][] = [];
    const backlog = new Backlog(1, (refused, pending) => reports.push([refused, pending]));
    backlog.admit(1);
    for (let i = 0; i < 50; i++) expect(() => backlog.admit(1)).toThrow("at capacity");
    expect(reports).toEqual([[1, 1]]); // the first refusal is reported at once; the next summary waits 10 s
  });

  it("bounds a request's events from content-length before its body is read", () => {
    const config = loadConfig({});
    expect(eventsBound("event", "120", config)).toBe(1);
    expect(eventsBound("batch", "280", config)).toBe(10); // no event is shorter than 28 bytes with its comma
    expect(eventsBound("batch", "1048576", config)).toBe(500);
    expect(eventsBound("batch", undefined, config)).toBe(500); // chunked: the most a batch may hold
    expect(eventsBound("batch", "1048577", config)).toBe(0); // over MAX_REQUEST_BYTES: 413, never 503
    expect(eventsBound("event", "1048577", config)).toBe(0);
  });

  it.each([
    [{ MAX_BATCH_EVENTS: "500", MAX_PENDING_EVENTS: "499" }, "MAX_PENDING_EVENTS: must be at least MAX_BATCH_EVENTS (500)"],
    [{ REQUEST_TIMEOUT_MS: "1000", HEADERS_TIMEOUT_MS: "2000" }, "HEADERS_TIMEOUT_MS: must be at most REQUEST_TIMEOUT_MS (1000)"],
  ])("refuses a configuration %j that could never admit its own limits", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe.each(backends)("overload on %s", (kind) => {
  const t = useTestDatabase(kind);

  async function rawCount(source: string): Promise<number> {
    return t.db.prisma.rawEventState.count({ where: { source } });
  }

  it("past MAX_PENDING_EVENTS answers 503 OVERLOADED with Retry-After before reading the body, and stores nothing", async () => {
    const ctx = testContext(t.db, { MAX_BATCH_EVENTS: "3", MAX_PENDING_EVENTS: "4" });
    const app = await startHttpApp(ctx);
    const backlog = backlogFor(ctx);
    const src = (name: string) => `overload-${kind}-${name}`;
    const release = await holdDatabase(t.db);
    let a: Promise<Response>, c: Promise<Response>;
    try {
      a = post(app, "/ingest/batch", batchOf(src("a"), 3));
      await expect.poll(() => backlog.pending).toBe(3);

      // A batch that would not fit: refused whole from its headers, its body never sent.
      const b = new RawClient(app);
      b.send(postHead("/ingest/batch", 200));
      const refused = await b.response();
      expect(refused.status).toBe(503);
      expect(refused.headers["retry-after"]).toBe("1");
      expect(JSON.parse(refused.body)).toEqual({
        error: {
          code: "OVERLOADED",
          message: "The server is at capacity (3 events pending, limit 4); nothing was stored, retry later",
          retryable: true,
          requestId: expect.any(String),
        },
      });
      expect(refused.headers.connection).toBe("keep-alive"); // a small body is drained, the connection kept
      b.socket.destroy();

      // A large body is not read at all: the refusal closes the connection.
      const big = new RawClient(app);
      big.send(postHead("/ingest/batch", 1_000_000));
      const closed = await big.response();
      expect([closed.status, closed.headers.connection, closed.headers["retry-after"]]).toEqual([503, "close", "1"]);
      await big.closed;

      // One event still fits, the next does not.
      c = post(app, "/ingest", JSON.stringify({ source: src("c"), payload: { metric: "m", value: 1 } }));
      await expect.poll(() => backlog.pending).toBe(4);
      const d = await post(app, "/ingest", JSON.stringify({ source: src("d"), payload: { metric: "m", value: 1 } }));
      expect(d.status).toBe(503);
      expect(d.headers.get("retry-after")).toBe("1");
      expect(((await d.json()) as { error: { code: string } }).error.code).toBe("OVERLOADED");

      // The tRPC route is admitted the same way.
      const trpc = await post(app, "/api/trpc/ingest", JSON.stringify({ source: src("e"), payload: { metric: "m", value: 1 } }));
      expect(trpc.status).toBe(503);
      expect(trpc.headers.get("retry-after")).toBe("1");
      expect(
        ((await trpc.json()) as { error: { data: { appError: { code: string; retryable: boolean } } } }).error.data.appError,
      ).toMatchObject({
        code: "OVERLOADED",
        retryable: true,
      });
    } finally {
      await release();
    }
    expect((await a).status).toBe(200);
    expect((await c).status).toBe(200);
    await expect.poll(() => backlog.pending).toBe(0);
    expect(await post(app, "/ingest/batch", batchOf(src("f"), 3)).then((r) => r.status)).toBe(200);
    await app.close();
    expect([await rawCount(src("a")), await rawCount(src("c")), await rawCount(src("f"))]).toEqual([3, 1, 3]);
    expect([await rawCount(src("b")), await rawCount(src("d")), await rawCount(src("e"))]).toEqual([0, 0, 0]);
  });

  it("drops the events of a client that left while they waited for capture; captured ones are still counted", async () => {
    // A pool of 4: two flushes in flight on PostgreSQL, full groups included (half the pool).
    const ctx = testContext(t.db, { GROUP_COMMIT_MAX_EVENTS: "2", DB_POOL_SIZE: "4" });
    const app = await startHttpApp(ctx);
    const committer = groupCommitter(ctx);
    const backlog = backlogFor(ctx);
    const src = (name: string) => `abandon-${kind}-${name}`;
    const release = await holdDatabase(t.db);
    let inFlight: number;
    try {
      // A's events fill every flush slot (stuck on the held database); the rest of A waits.
      const a = new RawClient(app);
      const aBody = batchOf(src("a"), 4);
      a.send(postHead("/ingest/batch", Buffer.byteLength(aBody)) + aBody);
      await expect.poll(() => committer.waiting + committer.flushing).toBe(4);
      inFlight = committer.flushing;
      const waitingBefore = committer.waiting;

      // E's events queue behind A's; E leaves before they are captured.
      const e = new RawClient(app);
      const eBody = batchOf(src("e"), 2);
      e.send(postHead("/ingest/batch", Buffer.byteLength(eBody)) + eBody);
      await expect.poll(() => committer.waiting).toBe(waitingBefore + 2);
      e.socket.resetAndDestroy();
      await expect.poll(() => committer.waiting).toBe(waitingBefore);
      await expect.poll(() => backlog.pending).toBe(4);

      // A leaves too: its queued events are dropped, those already in a flush are finished.
      a.socket.resetAndDestroy();
      await expect.poll(() => committer.waiting).toBe(0);
    } finally {
      await release();
    }
    await expect.poll(() => backlog.pending).toBe(0);
    await app.close();
    expect(await rawCount(src("e"))).toBe(0);
    expect(await t.db.prisma.processedEvent.count({ where: { source: src("a") } })).toBe(inFlight);
    expect(await t.db.prisma.rawEventState.count({ where: { source: src("a"), status: "counted" } })).toBe(inFlight);
    expect(inFlight).toBe(kind === "pglite" ? 2 : 4); // one flush slot on PGlite, two on PostgreSQL
  });

  it("cuts off a client that trickles its body, 408 within REQUEST_TIMEOUT_MS, and stores nothing", async () => {
    const app = await startHttpApp(testContext(t.db, { REQUEST_TIMEOUT_MS: "1000", HEADERS_TIMEOUT_MS: "500" }));
    const client = new RawClient(app);
    const source = `trickle-${kind}`;
    const body = JSON.stringify({ source, payload: { metric: "m", value: 1 } });
    const { elapsed, sent } = await client.trickle(postHead("/ingest", body.length), body, 100);
    await app.close();
    expect(client.received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(1600); // the timeout plus Node's sweep interval (100 ms here) and slack
    expect(sent).toBeLessThan(body.length);
    expect(await t.db.prisma.rawEventState.count({ where: { source } })).toBe(0);
  });
});

describe("slow and surplus connections", () => {
  // These requests never reach the database; touching it fails the test.
  const noDatabase = new Proxy({} as Database, {
    get(_, key) {
      throw new Error(`the database was used (${String(key)})`);
    },
  });
  const t = { db: noDatabase };

  it("cuts off a client that trickles its headers, 408 within HEADERS_TIMEOUT_MS", async () => {
    const app = await startHttpApp(testContext(t.db, { REQUEST_TIMEOUT_MS: "1000", HEADERS_TIMEOUT_MS: "500" }));
    const client = new RawClient(app);
    const { elapsed } = await client.trickle("POST /ingest HTTP/1.1\r\nHost: localhost\r\nX-Slow: ", "a".repeat(1000), 50);
    await app.close();
    expect(client.received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(elapsed).toBeGreaterThanOrEqual(500);
    expect(elapsed).toBeLessThan(1100);
  });

  it("closes a connection past MAX_CONNECTIONS at once, and accepts again when one is freed", async () => {
    const app = await startHttpApp(testContext(t.db, { MAX_CONNECTIONS: "2" }));
    const health = "GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
    const open = [new RawClient(app), new RawClient(app)];
    for (const c of open) {
      c.send(health);
      expect((await c.response()).status).toBe(200);
    }
    const extra = new RawClient(app);
    extra.send(health);
    await extra.closed;
    expect(extra.received).toBe("");

    open[0]!.socket.destroy();
    await expect
      .poll(() =>
        fetch(`${app.url}/api/health`).then(
          (r) => r.status,
          () => 0,
        ),
      )
      .toBe(200);
    open[1]!.socket.destroy();
    await app.close();
  });

  it("closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_MS", async () => {
    const app = await startHttpApp(testContext(t.db, { KEEP_ALIVE_TIMEOUT_MS: "300" }));
    const client = new RawClient(app);
    client.send("GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const answered = await client.response();
    const idleFrom = Date.now();
    expect(answered.status).toBe(200);
    await client.closed;
    const idle = Date.now() - idleFrom;
    await app.close();
    expect(idle).toBeGreaterThanOrEqual(250);
    expect(idle).toBeLessThan(2000); // Node may add its keep-alive buffer (up to 1 s) to the timeout
  });
});
