// Behaviour during an outage (docs/write-path.md, "Failure model"): keep working, or fail cleanly and recover by
// itself: with PostgreSQL stopped (immediate shutdown) or frozen (SIGSTOP on the
// postmaster and its backends), POST /ingest answers 503 + Retry-After within a bounded
// time, /api/health stays 200, /api/ready answers 503; the process neither exits nor logs
// an unhandled rejection; when the database returns, the same process answers 200 again.
// Access control is on: the client sends a write key (Basic, as analytics SDKs do) created by
// the keys CLI, and the operator reads the aggregates with the operator token at the end.
import { mkdirSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkInvariants } from "../../test/support/invariants";
import type { Database } from "../../src/server/db/database";
import { adminToken, appEnv, appTimeouts, createFleet, type AppInstance } from "./support/app-fleet";
import { countsByKey, openCheckDatabase } from "./support/check-db";
import { startCluster, type PgCluster } from "./support/pg-cluster";
import { createKeyWithCli } from "./support/keys-cli";
import { servedAggregates, storedAggregates } from "./support/reader";
import { eventBody, ingestHeaders, postOnce, sendUntilAcknowledged, writer, type FaultEvent, type Writer } from "./support/retrying-client";
import { eventually } from "./support/wait";

/**
 * The documented bound on a 503 during an outage: a pool checkout may wait up to
 * DB_CONNECT_TIMEOUT_MS, a query up to DB_QUERY_TIMEOUT_MS (+500 ms client-side grace in
 * database.ts), plus scheduling margin on a loaded 2-core machine.
 */
const outageBoundMs = appTimeouts.DB_CONNECT_TIMEOUT_MS + appTimeouts.DB_QUERY_TIMEOUT_MS + 500 + 1500;

const source = "faults-outage";
let seq = 0;
let client: Writer;
const nextEvent = (): FaultEvent => ({ ...client, key: `outage-${Date.now()}-${seq++}`, metric: "m", value: seq });

const timings: Record<string, number[]> = {};
const record = (label: string, ms: number) => (timings[label] ??= []).push(ms);

describe("an app instance while PostgreSQL is away", () => {
  let cluster: PgCluster;
  let app: AppInstance;
  let db: Database;
  const acknowledged: FaultEvent[] = [];

  beforeAll(async () => {
    cluster = await startCluster();
    const url = await cluster.createDatabase("outage");
    [app] = (await createFleet(1, appEnv(url))) as [AppInstance];
    await app.start();
    db = openCheckDatabase(url);
    client = writer(source, await createKeyWithCli(appEnv(url), { source, label: "outage" }), "basic");
  });

  afterAll(async () => {
    cluster?.thaw();
    mkdirSync("e2e/artifacts", { recursive: true });
    writeFileSync("e2e/artifacts/faults-outage.json", `${JSON.stringify({ outageBoundMs, timings }, null, 2)}\n`);
    await app?.stop();
    await db?.close().catch(() => {});
    await cluster?.destroy();
  });

  async function expectOutageAnswers(label: string) {
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const event: FaultEvent = { ...client, key: `${label}-${Date.now()}-${i}`, metric: "m", value: 1 };
      const res = await fetch(`${app.url}/ingest`, { method: "POST", headers: ingestHeaders(event), body: eventBody(event) });
      const ms = Date.now() - started;
      record(`${label}: POST /ingest 503`, ms);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(await res.json()).toMatchObject({ error: { code: "DATABASE_UNAVAILABLE", retryable: true } });
      expect(ms).toBeLessThanOrEqual(outageBoundMs);
    }
    const health = await fetch(`${app.url}/api/health`);
    expect(health.status).toBe(200);
    const readyStarted = Date.now();
    const ready = await fetch(`${app.url}/api/ready`);
    record(`${label}: GET /api/ready 503`, Date.now() - readyStarted);
    expect(ready.status).toBe(503);
    expect(Date.now() - readyStarted).toBeLessThanOrEqual(outageBoundMs);
  }

  async function expectBackWithoutRestart() {
    const pid = app.process?.child.pid;
    const started = Date.now();
    await eventually("/api/ready to answer 200 again", async () => ((await fetch(`${app.url}/api/ready`)).ok ? true : undefined), 30_000);
    const event = nextEvent();
    const outcome = await sendUntilAcknowledged(() => [app.url], event, { baseMs: 50, capMs: 500, giveUpAfterMs: 30_000, requestTimeoutMs: 10_000 });
    expect(outcome.acknowledged).toBe(true);
    acknowledged.push(event);
    record("recovery: database back → first 200", Date.now() - started);
    expect(app.process?.child.pid).toBe(pid);
    expect(app.running).toBe(true);
  }

  it("answers 200 while the database is healthy", async () => {
    const event = nextEvent();
    const { attempt } = await postOnce(app.url, event, 10_000);
    expect(attempt.result).toBe(200);
    acknowledged.push(event);
  });

  it("answers 503 with Retry-After within the bound while PostgreSQL is stopped, and recovers by itself", async () => {
    await cluster.stopImmediate();
    try {
      await expectOutageAnswers("stopped");
    } finally {
      await cluster.start();
    }
    await expectBackWithoutRestart();
  });

  it("answers 503 with Retry-After within the bound while PostgreSQL is frozen, and recovers by itself", async () => {
    // Warm the pool first so the frozen server holds established connections too.
    const warm = nextEvent();
    expect((await postOnce(app.url, warm, 10_000)).attempt.result).toBe(200);
    acknowledged.push(warm);
    cluster.freeze();
    try {
      await expectOutageAnswers("frozen");
    } finally {
      cluster.thaw();
    }
    await expectBackWithoutRestart();
  });

  it("survives a stop that lands while requests are in flight", async () => {
    const inFlight = Array.from({ length: 10 }, () => nextEvent());
    const sending = inFlight.map((e) =>
      sendUntilAcknowledged(() => [app.url], e, { baseMs: 100, capMs: 1000, giveUpAfterMs: 60_000, requestTimeoutMs: 15_000 }),
    );
    await cluster.stopImmediate();
    await new Promise((r) => setTimeout(r, 1500)); // nemesis schedule: 1.5 s outage
    await cluster.start();
    const outcomes = await Promise.all(sending);
    for (const o of outcomes) {
      expect(o.acknowledged).toBe(true);
      for (const a of o.attempts) expect(a.ms).toBeLessThanOrEqual(outageBoundMs);
    }
    acknowledged.push(...inFlight);
  });

  it("kept running, logged no unhandled rejection, and counted every acknowledged event once", async () => {
    expect(app.problems()).toEqual([]);
    expect(app.running).toBe(true);
    await eventually(
      "no raw event left received",
      async () => {
        const rows = await db.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM raw_event_state WHERE status = 'received'`;
        return rows[0]?.n === 0 ? true : undefined;
      },
      30_000,
    );
    const counts = await countsByKey(db, source);
    for (const e of acknowledged) expect(counts.get(e.key)?.n, e.key).toBe(1);
    expect(await checkInvariants(db)).toEqual([]);
    // The operator reads exactly what is stored.
    expect(await servedAggregates(app.url, `Bearer ${adminToken}`, source)).toEqual(await storedAggregates(db, source));
    console.log(`[outage] bound ${outageBoundMs} ms; timings (ms): ${JSON.stringify(timings)}`);
  });
});
