// npm run bench:flood – the overload flood from the red-team finding, against the app as a
// real process on a fresh PostgreSQL database: FLOOD_CLIENTS clients (default 200) post
// 1 MB batches (FLOOD_BATCH_EVENTS events, default 500) back to back for FLOOD_SECONDS
// (default 15), each waiting at most 30 s for an answer. A refused or unanswered batch is
// re-sent with the same events (after Retry-After plus up to 1 s of jitter, or at once with
// FLOOD_RETRY=immediate); an acknowledged one is followed by a new one. An observer process,
// started before the flood like a load balancer's health checker, polls GET /api/health
// every 100 ms on connections of its own and reads the server's RSS from /proc every 100 ms. Real clients do not share the server's CPU: once the app has started,
// this load generator lowers its own priority (nice 10) so it takes the cores only when the
// server and PostgreSQL leave them idle; the observer keeps normal priority.
// Afterwards, once the recovery worker has finished, every event acknowledged with 200 must
// be counted exactly once (processed events per eventId), none twice, and the invariants
// must hold. Prints requests by status, health p50/p99/max, RSS, lost/doubled; writes
// bench/results/flood.json.
// Env: BENCH_DATABASE_URL, FLOOD_CLIENTS, FLOOD_SECONDS, FLOOD_BATCH_EVENTS, FLOOD_RETRY,
// FLOOD_MAX_PENDING_EVENTS (the app's MAX_PENDING_EVENTS; default: the app's default).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { spawn } from "node:child_process";
import { setPriority } from "node:os";
import { startApp } from "../e2e/support/app-process";
import { checkInvariants } from "../test/support/invariants";
import { openTestDatabase } from "../test/support/test-db";
import { freshDatabase } from "./support";

const clients = Number(process.env.FLOOD_CLIENTS ?? 200);
const seconds = Number(process.env.FLOOD_SECONDS ?? 15);
const batchEvents = Number(process.env.FLOOD_BATCH_EVENTS ?? 500);
const honourRetryAfter = (process.env.FLOOD_RETRY ?? "after") !== "immediate";
const maxPending = process.env.FLOOD_MAX_PENDING_EVENTS;
const requestTimeoutMs = 30_000;
const bodyLimit = 1024 * 1024;

interface Answer {
  status: number | string;
  retryAfter?: number;
  text?: string;
  ms: number;
}

function send(agent: Agent, base: URL, method: string, path: string, body: Buffer | undefined, timeoutMs: number): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: body ? { "content-type": "application/json", "content-length": body.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: Number(res.headers["retry-after"] ?? 0),
            text: Buffer.concat(chunks).toString(),
            ms: performance.now() - started,
          });
        });
        res.on("error", () => {});
      },
    );
    const timer = setTimeout(() => req.destroy(new Error("timeout")), timeoutMs);
    req.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ status: err.message === "timeout" ? "timeout" : (err.code ?? "error"), ms: performance.now() - started });
    });
    req.end(body);
  });
}

/** One client's batch number `seq`: about 1 MB, every event with its own eventId. */
function batch(client: number, seq: number): { ids: string[]; body: Buffer } {
  const ids: string[] = [];
  const make = (pad: number) =>
    JSON.stringify({
      events: Array.from({ length: batchEvents }, (_, k) => {
        const eventId = `f${client}-${seq}-${k}`;
        if (ids.length < batchEvents) ids.push(eventId);
        return {
          source: `flood-${client % 20}`,
          payload: { metric: `m${k % 10}`, value: (client + seq + k) % 1000, eventId, note: "x".repeat(pad) },
        };
      }),
    });
  // Fill the body up to just under MAX_REQUEST_BYTES.
  const bare = Buffer.byteLength(make(0));
  const pad = Math.max(0, Math.floor((bodyLimit - 1024 - bare) / batchEvents));
  return { ids, body: Buffer.from(make(pad)) };
}

interface Observed {
  /** `sentAt`: wall clock (ms) when the poll was sent. */
  health: { sentAt: number; ms: number; status: number | string }[];
  rssMax: number;
}

// The observer, in plain JavaScript so its process needs no TypeScript loader. It starts
// before the flood, like a load balancer's health checker: warm, with its connection open.
const observer = `
const http = require("node:http");
const fs = require("node:fs");
const { url, pid } = JSON.parse(process.argv[1]);
const agent = new http.Agent({ keepAlive: true });
const health = [];
const inflight = new Set();
let rssMax = 0;
const rss = () => Number(/VmRSS:\\s+(\\d+) kB/.exec(fs.readFileSync("/proc/" + pid + "/status", "utf8"))[1]) * 1024;
function poll() {
  const sentAt = Date.now();
  const started = performance.now();
  const p = new Promise((resolve) => {
    const req = http.get(url + "/api/health", { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve({ sentAt, ms: performance.now() - started, status: res.statusCode }));
    });
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ sentAt, ms: performance.now() - started, status: e.message }));
  });
  inflight.add(p);
  p.then((r) => { health.push(r); inflight.delete(p); });
}
const timer = setInterval(() => {
  rssMax = Math.max(rssMax, rss());
  poll();
}, 100);
process.once("message", async () => {
  clearInterval(timer);
  rssMax = Math.max(rssMax, rss());
  await Promise.all(inflight);
  agent.destroy();
  process.send({ health, rssMax }, () => process.exit(0));
});
`;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** The share of time some task waited for a CPU over the last 10 s (other work on the machine included). */
function cpuPressure(): string {
  return /some avg10=([\d.]+)/.exec(readFileSync("/proc/pressure/cpu", "utf8"))?.[1] ?? "n/a";
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : Number.NaN;
};
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  const databaseUrl = await freshDatabase("ingest_bench_flood");
  const app = await startApp({
    DATABASE_URL: databaseUrl,
    SERVE_PAGES: "false",
    LOG_LEVEL: "warn",
    RECOVERY_DELAY_MS: "2000",
    // The flood's clients stand for many clients but share one address: the per-address cap must not thin them out.
    MAX_CONNECTIONS_PER_ADDRESS: String(clients + 8),
    ...(maxPending ? { MAX_PENDING_EVENTS: maxPending } : {}),
  });
  const pid = app.child.pid!;
  const base = new URL(app.url);
  const floodAgent = new Agent({ keepAlive: true, maxSockets: clients });

  // Warm the server up (JIT, pool) with one batch, then take its resting RSS.
  const warm = batch(-1, 0);
  const acked: string[][] = [];
  if ((await send(floodAgent, base, "POST", "/ingest/batch", warm.body, requestTimeoutMs)).status === 200) acked.push(warm.ids);
  const rssBefore = rssBytes(pid);
  const pressureBefore = cpuPressure();

  console.log(
    `Flood: ${clients} clients × ${batchEvents}-event batches (${mb(warm.body.length)} each) for ${seconds} s; retry ${honourRetryAfter ? "after Retry-After" : "at once"}`,
  );
  const statuses = new Map<string, number>();
  const okMs: number[] = [];
  const refusedMs: number[] = [];
  const watcher = spawn(process.execPath, ["-e", observer, JSON.stringify({ url: app.url, pid })], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const observed = new Promise<Observed>((resolve) => watcher.once("message", (m) => resolve(m as Observed)));
  // Every client's first batch is built before the clock starts, so the flood starts at once.
  const first = Array.from({ length: clients }, (_, i) => batch(i, 0));
  setPriority(10);
  const started = Date.now();
  const endAt = started + seconds * 1000;

  const runClient = async (client: number) => {
    let seq = 0;
    let current = first[client]!;
    while (Date.now() < endAt) {
      const answer = await send(floodAgent, base, "POST", "/ingest/batch", current.body, requestTimeoutMs);
      statuses.set(String(answer.status), (statuses.get(String(answer.status)) ?? 0) + 1);
      if (answer.status === 200) {
        okMs.push(answer.ms);
        acked.push(current.ids);
        current = batch(client, ++seq);
      } else if (answer.status === 503) {
        refusedMs.push(answer.ms);
        // Retry-After is the least a client waits; well-behaved clients add jitter so their retries spread out.
        if (honourRetryAfter) await new Promise((r) => setTimeout(r, (answer.retryAfter || 1) * 1000 + Math.random() * 1000));
      } else {
        // No answer (timeout, reset): the batch may or may not be stored; re-send the same events.
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => runClient(i)));
  const drainedAfterMs = Date.now() - endAt;
  const pressureAtEnd = cpuPressure();
  watcher.send("stop");
  const observedAll = await observed;
  const rssMax = observedAll.rssMax;
  // Polls sent while the flood ran; `at` in ms since it started.
  const health = observedAll.health.filter((h) => h.sentAt >= started && h.sentAt < endAt).map((h) => ({ ...h, at: h.sentAt - started }));
  floodAgent.destroy();

  // Let the recovery worker finish anything captured but left unanswered.
  const db = openTestDatabase(databaseUrl, { poolSize: 2 });
  const deadline = Date.now() + 60_000;
  while ((await db.prisma.rawEventState.count({ where: { status: "received" } })) > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 250));
  const stuck = await db.prisma.rawEventState.count({ where: { status: "received" } });
  const counts = new Map<string, number>();
  const rows = await db.prisma.$queryRaw<{ id: string; n: bigint }[]>`
    SELECT r.payload->>'eventId' AS id, count(*) AS n FROM processed_event p JOIN raw_event r ON r.id = p.raw_event_id
    WHERE p.source LIKE 'flood-%' GROUP BY 1`;
  for (const r of rows) counts.set(r.id, Number(r.n));
  const ackedIds = acked.flat();
  const lost = ackedIds.filter((id) => (counts.get(id) ?? 0) === 0).length;
  const doubled = [...counts.values()].filter((n) => n > 1).length;
  const unackedCounted = rows.length - ackedIds.filter((id) => counts.has(id)).length;
  const violations = await checkInvariants(db);
  const rssAfter = rssBytes(pid);
  // Overload must not flood the log either: refusals are summarised.
  const logLines = app
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{")).length;
  await db.close();
  await app.stop();

  const healthMs = health.filter((h) => h.status === 200).map((h) => h.ms);
  // The first seconds take the clients' first requests all at once (200 MB arriving together).
  const steadyFromMs = 3000;
  const steadyMs = health.filter((h) => h.status === 200 && h.at >= steadyFromMs).map((h) => h.ms);
  const result = {
    date: new Date().toISOString(),
    clients,
    seconds,
    batchEvents,
    batchBytes: warm.body.length,
    retry: honourRetryAfter ? "after Retry-After" : "immediate",
    maxPendingEvents: maxPending ?? "default",
    requestsByStatus: Object.fromEntries([...statuses].sort()),
    acknowledgedEvents: ackedIds.length,
    eventsPerSecond: Math.round(ackedIds.length / seconds),
    ackLatencyMs: { p50: quantile(okMs, 0.5), p99: quantile(okMs, 0.99), max: Math.max(0, ...okMs) },
    refusedLatencyMs: { p50: quantile(refusedMs, 0.5), p99: quantile(refusedMs, 0.99), max: Math.max(0, ...refusedMs) },
    lastRequestsDrainedMs: drainedAfterMs,
    health: {
      polls: health.length,
      failed: health.length - healthMs.length,
      p50: quantile(healthMs, 0.5),
      p99: quantile(healthMs, 0.99),
      max: Math.max(0, ...healthMs),
      slowest: [...health]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5)
        .map((h) => ({ atMs: h.at, ms: Math.round(h.ms) })),
      steady: {
        fromMs: steadyFromMs,
        polls: steadyMs.length,
        p50: quantile(steadyMs, 0.5),
        p99: quantile(steadyMs, 0.99),
        max: Math.max(0, ...steadyMs),
      },
    },
    rss: { before: rssBefore, max: rssMax, after: rssAfter },
    logLines,
    cpuPressure: { before: pressureBefore, atEnd: pressureAtEnd },
    check: { lost, doubled, unacknowledgedButCounted: unackedCounted, rawStillReceived: stuck, invariantViolations: violations },
  };
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/flood.json", `${JSON.stringify(result, null, 2)}\n`);

  const f = (n: number) => n.toFixed(1);
  console.log(`requests by status: ${JSON.stringify(result.requestsByStatus)}`);
  console.log(
    `acknowledged: ${ackedIds.length} events (${result.eventsPerSecond}/s); 200 p50 ${f(result.ackLatencyMs.p50)} ms, p99 ${f(result.ackLatencyMs.p99)} ms, max ${f(result.ackLatencyMs.max)} ms`,
  );
  console.log(
    `refused (503): p50 ${f(result.refusedLatencyMs.p50)} ms, p99 ${f(result.refusedLatencyMs.p99)} ms, max ${f(result.refusedLatencyMs.max)} ms`,
  );
  console.log(`last requests finished ${drainedAfterMs} ms after the flood ended`);
  console.log(
    `health: ${health.length} polls, ${result.health.failed} failed; p50 ${f(result.health.p50)} ms, p99 ${f(result.health.p99)} ms, max ${f(result.health.max)} ms`,
  );
  const st = result.health.steady;
  console.log(`health from ${st.fromMs} ms on: ${st.polls} polls; p50 ${f(st.p50)} ms, p99 ${f(st.p99)} ms, max ${f(st.max)} ms`);
  console.log(
    `slowest health polls (sent at ms into the flood: took ms): ${result.health.slowest.map((h) => `${h.atMs}: ${h.ms}`).join(", ")}`,
  );
  console.log(`RSS: ${mb(rssBefore)} before, ${mb(rssMax)} max, ${mb(rssAfter)} after`);
  console.log(
    `server log lines: ${logLines}; machine CPU pressure (some, avg10) ${result.cpuPressure.before} before, ${result.cpuPressure.atEnd} at the end`,
  );
  console.log(
    `lost ${lost}, doubled ${doubled}, unacknowledged but counted ${unackedCounted}, raw still received ${stuck}, invariant violations ${violations.length}`,
  );
  const ok = lost === 0 && doubled === 0 && stuck === 0 && violations.length === 0;
  if (!ok) {
    console.error(violations.join("\n"));
    process.exitCode = 1;
  }
}

await main();
