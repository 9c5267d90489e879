// A rolling deploy costs clients nothing (README "Deploy", Graceful stop): the built app
// gets SIGTERM while 16 clients keep sending events over keep-alive connections (on
// PostgreSQL, while every one of their requests waits on a lock in the database). Every
// request gets a complete HTTP answer — 200, or 503 SHUTTING_DOWN with Connection: close —
// never an empty reply or a reset; readiness says 503 at once; the requests waiting on the
// database finish after the stop has begun refusing new ones; the process exits 0; and the
// stored data holds every event answered 200 exactly once and nothing else.
import { once } from "node:events";
import http from "node:http";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../src/server/db/database";
import { checkInvariants } from "../test/support/invariants";
import { sample } from "../test/support/prometheus-text";
import { backends } from "../test/support/test-db";
import { startAppOn, type AppOnDatabase } from "./support/app-process";

const CLIENTS = 16;
const GRACE_MS = 1000;

interface Answer {
  client: number;
  ref: string;
  /** When the answer (or the error) came, epoch ms. */
  at: number;
  status?: number;
  connection?: string;
  retryAfter?: string;
  requestId?: string;
  body?: string;
  /** A request that got no HTTP answer: ECONNRESET, socket hang up, ECONNREFUSED … */
  error?: string;
}

/** POST /ingest of one event (`ref` is its idempotency key) on the client's own keep-alive agent. */
function post(url: string, agent: http.Agent, client: number, ref: string): Promise<Answer> {
  const body = JSON.stringify({ source: "drain", payload: { metric: "m", value: 1, ref } });
  return new Promise((resolve) => {
    const req = http.request(`${url}/ingest`, { method: "POST", agent, timeout: 30_000, headers: { "content-type": "application/json", "idempotency-key": ref } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("error", (err: NodeJS.ErrnoException) => resolve({ client, ref, at: Date.now(), error: err.code ?? err.message }));
      res.on("end", () =>
        resolve({
          client,
          ref,
          at: Date.now(),
          status: res.statusCode,
          connection: res.headers.connection,
          retryAfter: res.headers["retry-after"],
          requestId: res.headers["x-request-id"] as string | undefined,
          body: text,
        }),
      );
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ client, ref, at: Date.now(), error: err.code ?? err.message }));
    req.end(body);
  });
}

/** Awaits a condition the app reaches by itself (polled: it lives in another process). */
async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function logLines(output: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function openStored(env: Record<string, string>): Database {
  return openDatabase({ url: env.DATABASE_URL, pgliteDataDir: env.PGLITE_DATA_DIR ?? "memory://", poolSize: 2, connectTimeoutMs: 5000, queryTimeoutMs: 10_000, transactionTimeoutMs: 10_000 });
}

describe.each(backends)("SIGTERM under load on %s", (kind) => {
  let app: AppOnDatabase;
  beforeAll(async () => {
    app = await startAppOn(kind, { SERVE_PAGES: "false", SHUTDOWN_GRACE_MS: String(GRACE_MS), LOG_LEVEL: "info" });
  });
  const locks: pg.Client[] = [];
  afterAll(async () => {
    for (const lock of locks) await lock.end().catch(() => {});
    await app?.dispose();
  });

  it("answers every request whole (200, or 503 with Connection: close), exits 0, and stores each 200 exactly once", async () => {
    const answers: Answer[] = [];
    const runClient = async (client: number) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        // A client keeps sending until told to go away (503) or failing: like a load balancer's member.
        for (let n = 0; ; n++) {
          const answer = await post(app.url, agent, client, `c${client}-${n}`);
          answers.push(answer);
          if (answer.status !== 200) return;
        }
      } finally {
        agent.destroy();
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, i) => runClient(i));
    await until(() => answers.filter((a) => a.status === 200).length >= 200, "200 events answered under load");

    // PostgreSQL: every client's next request waits on the database when the signal comes.
    let lock: pg.Client | undefined;
    if (kind === "postgresql") {
      lock = new pg.Client({ connectionString: app.databaseEnv.DATABASE_URL });
      // A failed run drops the database under it: that must fail the test, not the worker.
      lock.on("error", () => {});
      locks.push(lock);
      await lock.connect();
      await lock.query("BEGIN; LOCK TABLE metric_aggregate IN SHARE MODE");
      // All 16 requests in flight, plus the scrape asking.
      await until(async () => sample(await (await fetch(`${app.url}/metrics`)).text(), "ingest_http_requests_in_flight") === CLIENTS + 1, "every client waiting on the lock");
    }
    const exited = once(app.child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    const signalledAt = Date.now();
    app.child.kill("SIGTERM");

    // Readiness goes 503 as soon as the process handles the signal, while the grace keeps the listener serving.
    await until(() => logLines(app.output()).some((l) => l.msg === "stopping: readiness answers 503, requests still served"), "the signal handled");
    const ready = await fetch(`${app.url}/api/ready`);
    expect([ready.status, await ready.json()]).toEqual([503, { status: "draining" }]);

    let releasedAt = 0;
    if (lock) {
      // Past the grace the stop refuses new requests: only then may the waiting ones finish.
      await until(() => logLines(app.output()).some((l) => l.msg === "stopping: new requests refused, finishing those running"), "the stop to refuse new requests");
      releasedAt = Date.now();
      await lock.query("COMMIT");
    }
    await Promise.all(clients);
    const [code] = await exited;
    expect(code).toBe(0);

    // Every request got a whole HTTP answer: no empty reply, no reset, no refused connection.
    expect(answers.filter((a) => a.error !== undefined)).toEqual([]);
    expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
    const refused = answers.filter((a) => a.status === 503);
    expect(refused).toHaveLength(CLIENTS);
    for (const a of refused) {
      expect(a).toMatchObject({ connection: "close", retryAfter: "1" });
      expect(JSON.parse(a.body ?? "")).toEqual({
        error: { code: "SHUTTING_DOWN", message: expect.stringContaining("shutting down"), retryable: true, requestId: a.requestId },
      });
    }
    // Once the stop began, every answer closed its connection (keep-alive clients reconnect elsewhere).
    const afterSignal = answers.filter((a) => a.at > signalledAt + 100);
    expect(afterSignal.filter((a) => a.connection !== "close")).toEqual([]);
    if (lock) {
      // Each client's request that waited on the database through the signal and the grace was answered 200.
      const finishedLate = answers.filter((a) => a.status === 200 && a.at >= releasedAt);
      expect(new Set(finishedLate.map((a) => a.client)).size).toBe(CLIENTS);
    }
    const stopped = logLines(app.output()).find((l) => l.msg === "stopped");
    expect(stopped).toMatchObject({ signal: "SIGTERM", refused: CLIENTS, cut: 0 });

    // Nothing lost, nothing doubled: the 200s, each stored and counted once; the 503s, nothing.
    const ok = answers.filter((a) => a.status === 200).map((a) => a.ref);
    const db = openStored(app.databaseEnv);
    try {
      const raw = await db.prisma.$queryRaw<{ ref: string; status: string; counted: number }[]>`
        SELECT r.idempotency_key AS ref, r.status::text AS status, count(p.id)::int AS counted
        FROM raw_event_state r LEFT JOIN processed_event p ON p.raw_event_id = r.id
        WHERE r.source = 'drain' GROUP BY r.id, r.idempotency_key, r.status`;
      const byRef = (a: { ref: string }, b: { ref: string }) => (a.ref < b.ref ? -1 : 1);
      expect(raw.sort(byRef)).toEqual(ok.map((ref) => ({ ref, status: "counted", counted: 1 })).sort(byRef));
      const [aggregate] = await db.prisma.metricAggregate.findMany({ where: { source: "drain" } });
      expect([aggregate?.count, Number(aggregate?.sum)]).toEqual([BigInt(ok.length), ok.length]);
      expect(await checkInvariants(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
