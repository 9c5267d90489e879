// The Jepsen-style run (DESIGN.md "Invariants"): several app instances on one throwaway
// PostgreSQL, reached through a TCP proxy; concurrent clients send events with unique
// Idempotency-Keys and known values, each retried until 200 across the instances, while
// the nemesis kills PostgreSQL, freezes it, SIGKILLs app instances, adds latency, cuts
// and partitions connections, one after another and combined. After healing, the verdict
// is read from the database per key: nothing acknowledged is lost, nothing is counted
// twice, every aggregate equals its recomputation, and no raw event is left `received`.
// The tally goes to stdout and e2e/artifacts/faults-tally.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkInvariants } from "../../test/support/invariants";
import type { Database } from "../../src/server/db/database";
import { projectRoot } from "../support/app-process";
import { appEnv, appTimeouts, createFleet, type AppInstance } from "./support/app-fleet";
import { openCheckDatabase, rawStatuses } from "./support/check-db";
import { healAll, runNemesis, type NemesisRecord } from "./support/nemesis";
import { startCluster, type PgCluster } from "./support/pg-cluster";
import { sendUntilAcknowledged, type FaultEvent, type Outcome, type RetryPolicy } from "./support/retrying-client";
import { computeTally, formatTally } from "./support/tally";
import { TcpProxy } from "./support/tcp-proxy";
import { eventually } from "./support/wait";

const instanceCount = 3;
/** Patient clients retry each event until 200; impatient ones send it once and move on. */
const patientClients = 8;
const impatientClients = 2;
const clientCount = patientClients + impatientClients;
const maxEventsPerClient = 20_000;
const metrics = ["latency_ms", "bytes", "score"];
const patient: RetryPolicy = { baseMs: 50, capMs: 1500, giveUpAfterMs: 60_000, requestTimeoutMs: 20_000 };
const impatient: RetryPolicy = { ...patient, maxAttempts: 1 };
/** The schedule runs in order, then shuffled; FAULTS_SEED replays a shuffle. */
const rounds = 3;
const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);
const source = "faults-jepsen";

describe("several instances under a nemesis", () => {
  let cluster: PgCluster;
  let proxy: TcpProxy;
  let apps: AppInstance[] = [];
  let db: Database;

  beforeAll(async () => {
    cluster = await startCluster();
    const direct = await cluster.createDatabase("jepsen");
    proxy = await TcpProxy.start(cluster.port);
    apps = await createFleet(instanceCount, appEnv(direct.replace(`:${cluster.port}/`, `:${proxy.port}/`)));
    await Promise.all(apps.map((a) => a.start()));
    db = openCheckDatabase(direct);
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await proxy?.close();
    await db?.close().catch(() => {});
    await cluster?.destroy();
  });

  it("loses nothing acknowledged, counts nothing twice, and heals completely", async () => {
    const started = Date.now();
    const outcomes: Outcome[] = [];
    const urls = apps.map((a) => a.url);
    let stopSending = false;

    const client = async (c: number) => {
      for (let i = 0; !stopSending && i < maxEventsPerClient; i++) {
        const event: FaultEvent = {
          key: `jepsen-c${c}-e${i}`,
          source,
          metric: metrics[(c + i) % metrics.length] ?? "m",
          // Quarters: exact in binary floating point and in numeric, so sums compare exactly.
          value: ((c * 7919 + i * 31) % 4000) / 4,
        };
        const outcome = await sendUntilAcknowledged(() => urls, event, c < patientClients ? patient : impatient);
        outcomes.push(outcome);
        // An impatient client that failed pauses a little before its next event, so an
        // outage does not turn it into a flood of one-shot events.
        if (!outcome.acknowledged) await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    };
    const clients = Array.from({ length: clientCount }, (_, c) => client(c));

    let nemesisLog: NemesisRecord[] | undefined;
    try {
      // Warm-up under no fault, then the schedule (three rounds), each step followed by 2 s of calm.
      await eventually("first acknowledgements", async () => (outcomes.length >= clientCount ? true : undefined), 30_000);
      nemesisLog = await runNemesis({ cluster, proxy, apps }, { quietMs: 2000, rounds, seed }, (line) => console.log(line));
    } finally {
      await healAll({ cluster, proxy, apps });
      stopSending = true;
    }
    await Promise.all(clients);
    const trafficMs = Date.now() - started;

    // Healed: every raw event must leave `received` (the worker's delay is 1.5 s, with
    // exponential backoff per failed attempt), within a deadline.
    await eventually(
      "no raw event left received",
      async () => ((await rawStatuses(db)).received ?? 0) === 0 || undefined,
      60_000,
      250,
    ).catch(() => undefined); // the tally below reports what is left

    const tally = await computeTally(db, source, outcomes);
    const invariantViolations = await checkInvariants(db);
    const attempts = outcomes.flatMap((o) => o.attempts);
    const byResult: Record<string, number> = {};
    const maxMsByResult: Record<string, number> = {};
    for (const a of attempts) {
      const k = String(a.result);
      byResult[k] = (byResult[k] ?? 0) + 1;
      maxMsByResult[k] = Math.max(maxMsByResult[k] ?? 0, a.ms);
    }
    const perInstance = Object.fromEntries(urls.map((u, i) => [`app-${i + 1}`, attempts.filter((a) => a.instance === u && a.result === 200).length]));
    const appProblems = apps.flatMap((a) => a.problems());

    const report = {
      finishedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
      trafficMs,
      instances: instanceCount,
      clients: { patient: patientClients, impatient: impatientClients },
      seed,
      appTimeouts,
      tally,
      invariantViolations,
      attempts: { total: attempts.length, byResult, maxMsByResult, acknowledgedPerInstance: perInstance },
      proxy: proxy.stats,
      nemesis: nemesisLog ?? [],
      appProblems,
    };
    mkdirSync(join(projectRoot, "e2e/artifacts"), { recursive: true });
    writeFileSync(join(projectRoot, "e2e/artifacts/faults-tally.json"), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\n[tally]\n${formatTally(tally)}\n[attempts] ${JSON.stringify(report.attempts)}\n[proxy] ${JSON.stringify(proxy.stats)}\n`);

    expect(appProblems).toEqual([]);
    expect(tally.lost, `lost: ${tally.examples.lost.join(", ")}`).toBe(0);
    expect(tally.doubled, `doubled: ${tally.examples.doubled.join(", ")}`).toBe(0);
    expect(tally.wrongValue, `wrong value: ${tally.examples.wrongValue.join(", ")}`).toBe(0);
    expect(tally.aggregateMismatches).toEqual([]);
    expect(invariantViolations).toEqual([]);
    expect(tally.rawStuck).toBe(0);
    // The run meant something: real traffic, every instance served, the faults were felt.
    expect(tally.acknowledged).toBeGreaterThan(500);
    expect(tally.sent - tally.acknowledged, "impatient clients left some events unacknowledged").toBeGreaterThan(0);
    for (const n of Object.values(perInstance)) expect(n).toBeGreaterThan(0);
    expect(byResult["503"] ?? 0).toBeGreaterThan(0);
    // No request hung until the client gave up on it.
    expect(byResult.CLIENT_TIMEOUT ?? 0).toBe(0);
  });
});
