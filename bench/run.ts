// npm run bench – throughput and latency of the app against the bare baseline
// (bench/baseline-server.ts), measured alternately in the same run on the same
// PostgreSQL, each on a database of its own. The app runs as in production, with access
// control on: one write key per source (20 sources), created by the keys CLI, sent as
// `Authorization: Bearer`; the baseline has no auth.
//   1. single-event POST /ingest, 32 connections, about half the requests retries of
//      earlier events (same Idempotency-Key, same body), against the app with auth on, the
//      same app with auth off (what auth costs per request) and the baseline, alternating;
//      the server process's CPU time per request is read from /proc for each;
//   2. POST /ingest/batch (BENCH_BATCH_SIZE events per request, one source per request, as a
//      write key writes one source) against the baseline's raw multi-row insert of the same rows;
//   3. GET /aggregates p50/p99 with 10^4, 10^5 and 10^6 processed events, read with a read key.
// Env: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
// BENCH_SECONDS (per measured window, default 10), BENCH_ROUNDS (default 2),
// BENCH_CONNECTIONS (default 32), BENCH_BATCH_SIZE (default 200), BENCH_POOL_SIZE (default 16),
// BENCH_ONLY=single,batch,aggregates to run some parts only.
import { mkdirSync, writeFileSync } from "node:fs";
import autocannon from "autocannon";
import pg from "pg";
import { startApp, type AppProcess } from "../e2e/support/app-process";
import { measureAuthCpu } from "./auth-cpu";
import { benchWriteKeys, bearerHeaders, cpuMs, freshDatabase, readAuthorization, startAppWithAuth, startBaseline } from "./support";

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const batchSize = Number(process.env.BENCH_BATCH_SIZE ?? 200);
const poolSize = String(process.env.BENCH_POOL_SIZE ?? 16);
const parts = new Set((process.env.BENCH_ONLY ?? "single,batch,aggregates").split(",").map((p) => p.trim()));
const sources = Array.from({ length: 20 }, (_, i) => `client-${i}`);
/** Authorization header per source; none for the baseline and the app with auth off. */
type Authorizations = Map<string, string> | undefined;

interface Measured {
  eventsPerSec: number;
  requestsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** CPU time of the server process per answered request, in µs (when its pid was given). */
  serverCpuUs?: number;
}

const withAuthorization = (headers: Record<string, string>, auth: Authorizations, source: string): Record<string, string> => {
  const authorization = auth?.get(source);
  return authorization ? { ...headers, authorization } : headers;
};

/** Bodies for single-event ingest: about half are retries of an earlier event. */
function singleEventRequests(auth?: Authorizations): autocannon.Request[] {
  let next = 0;
  const sent: { key: string; body: string; source: string }[] = [];
  return [
    {
      method: "POST",
      path: "/ingest",
      setupRequest: (req) => {
        let pick: { key: string; body: string; source: string };
        if (sent.length > 0 && Math.random() < 0.5) {
          pick = sent[Math.floor(Math.random() * sent.length)]!;
        } else {
          const n = next++;
          const source = sources[n % sources.length]!;
          pick = {
            key: `bench-${n}`,
            source,
            body: JSON.stringify({ source, payload: { metric: `metric-${n % 10}`, value: (n % 1000) / 10, region: "eu" } }),
          };
          sent.push(pick);
          if (sent.length > 50_000) sent.splice(0, 10_000);
        }
        return { ...req, body: pick.body, headers: withAuthorization({ "content-type": "application/json", "idempotency-key": pick.key }, auth, pick.source) };
      },
    },
  ];
}

function batchRequests(auth?: Authorizations): autocannon.Request[] {
  let next = 0;
  let request = 0;
  return [
    {
      method: "POST",
      path: "/ingest/batch",
      setupRequest: (req) => {
        const source = sources[request++ % sources.length]!;
        const events = Array.from({ length: batchSize }, () => {
          const n = next++;
          return { source, payload: { metric: `metric-${n % 10}`, value: (n % 1000) / 10, eventId: `batch-${n}` } };
        });
        return { ...req, body: JSON.stringify({ events }), headers: withAuthorization({ "content-type": "application/json" }, auth, source) };
      },
    },
  ];
}

async function load(
  url: string,
  requests: autocannon.Request[],
  eventsPerRequest: number,
  duration = seconds,
  conns = connections,
  serverPid?: number,
): Promise<Measured> {
  const cpuBefore = serverPid === undefined ? 0 : cpuMs(serverPid);
  const result = await autocannon({ url, connections: conns, duration, requests, timeout: 30 });
  const cpu = serverPid === undefined ? undefined : cpuMs(serverPid) - cpuBefore;
  return {
    // Only answered-2xx requests count as ingested events.
    eventsPerSec: ((result.requests.total - result.non2xx) / result.duration) * eventsPerRequest,
    requestsPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    ...(cpu === undefined ? {} : { serverCpuUs: (cpu * 1000) / result.requests.total }),
  };
}

function average(ms: Measured[]): Measured {
  const avg = (f: (m: Measured) => number) => ms.reduce((s, m) => s + f(m), 0) / ms.length;
  return {
    eventsPerSec: avg((m) => m.eventsPerSec),
    requestsPerSec: avg((m) => m.requestsPerSec),
    p50: avg((m) => m.p50),
    p99: Math.max(...ms.map((m) => m.p99)),
    errors: ms.reduce((s, m) => s + m.errors, 0),
    non2xx: ms.reduce((s, m) => s + m.non2xx, 0),
    ...(ms.every((m) => m.serverCpuUs !== undefined) ? { serverCpuUs: avg((m) => m.serverCpuUs ?? 0) } : {}),
  };
}

const fmt = (n: number, d = 0) => n.toFixed(d).padStart(9);
const errorsNote = (m: Measured) => (m.errors + m.non2xx > 0 ? `   (errors ${m.errors}, non-2xx ${m.non2xx})` : "");
const nameWidth = 40;
function row(name: string, m: Measured, ratio?: number): string {
  const cpu = m.serverCpuUs === undefined ? "" : `${m.serverCpuUs.toFixed(0).padStart(12)} µs`;
  return `${name.padEnd(nameWidth)}${fmt(m.eventsPerSec)} ev/s ${fmt(m.p50, 1)} ms ${fmt(m.p99, 1)} ms   ${(ratio === undefined ? "" : `×${ratio.toFixed(2)}`).padEnd(8)}${cpu}${errorsNote(m)}`;
}

async function groupCount(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM metric_aggregate")).rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

async function seedProcessed(url: string, total: number): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const have = Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM processed_event")).rows[0]?.n ?? 0);
    const add = total - have;
    if (add <= 0) return;
    // Raw and processed rows exactly as the write path leaves them, then the rollup
    // recomputed from processed events (the same rows the invariant check would compare).
    await c.query(`
      WITH raw AS (
        INSERT INTO raw_event (id, source, payload, status, dedup_key, processed_at, received_at, next_attempt_at)
        SELECT gen_random_uuid(), 'seed-' || (g % 20), jsonb_build_object('metric', 'seed-metric-' || ((g / 20) % 10), 'value', g % 1000),
               'processed', 'seed-' || g, now(), now(), now()
        FROM generate_series(${have + 1}, ${total}) g
        RETURNING id, source, payload, dedup_key)
      INSERT INTO processed_event (dedup_key, content_hash, source, metric, value, occurred_at, attributes, raw_event_id)
      SELECT dedup_key, dedup_key, source, payload->>'metric', (payload->>'value')::numeric, now(), '{}', id FROM raw`);
    await c.query(
      `UPDATE raw_event r SET processed_event_id = p.id FROM processed_event p WHERE p.raw_event_id = r.id AND r.processed_event_id IS NULL`,
    );
    await c.query(`
      INSERT INTO metric_aggregate (source, metric, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
      SELECT source, metric, count(*), sum(value), min(value), max(value), min(occurred_at), max(occurred_at), now()
      FROM processed_event GROUP BY source, metric
      ON CONFLICT (source, metric) DO UPDATE SET count = EXCLUDED.count, sum = EXCLUDED.sum, min = EXCLUDED.min, max = EXCLUDED.max,
        first_seen_at = EXCLUDED.first_seen_at, last_seen_at = EXCLUDED.last_seen_at, updated_at = now()`);
    await c.query("VACUUM ANALYZE");
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const appDbUrl = await freshDatabase("ingest_bench_app");
  const baseDbUrl = await freshDatabase("ingest_bench_baseline");
  const appEnv = { DATABASE_URL: appDbUrl, SERVE_PAGES: "false", DB_POOL_SIZE: poolSize, LOG_LEVEL: "error", RECOVERY_DELAY_MS: "30000" };
  const { app, env: authEnv } = await startAppWithAuth(appEnv);
  let openApp: AppProcess | undefined;
  let baseline: Awaited<ReturnType<typeof startBaseline>> | undefined;
  const results: Record<string, unknown> = {
    machine: { cores: (await import("node:os")).cpus().length, node: process.version },
    seconds,
    rounds,
    connections,
    auth: { required: true, writeKeys: sources.length, scheme: "Bearer", rateLimit: "production default" },
  };
  try {
    console.log(`Creating ${sources.length} write keys with the keys CLI…`);
    const keys = await benchWriteKeys(authEnv, sources);
    const auth = bearerHeaders(keys);
    // The same app with access control off, on a database of its own: the auth-off side of
    // the single-event comparison.
    if (parts.has("single")) openApp = await startApp({ ...appEnv, DATABASE_URL: await freshDatabase("ingest_bench_app_open"), AUTH_REQUIRED: "false" });
    baseline = await startBaseline(baseDbUrl, poolSize);
    if (openApp) {
      console.log(`\nWarm-up (3 s each)…`);
      await load(app.url, singleEventRequests(auth), 1, 3);
      await load(openApp.url, singleEventRequests(), 1, 3);
      await load(baseline.url, singleEventRequests(), 1, 3);

      console.log(`\nSingle-event ingest: ${connections} connections, ~50% retries, ${rounds}×${seconds} s each, alternating auth on / auth off / baseline`);
      const authRuns: Measured[] = [];
      const openRuns: Measured[] = [];
      const baseRuns: Measured[] = [];
      for (let r = 0; r < rounds; r++) {
        authRuns.push(await load(app.url, singleEventRequests(auth), 1, seconds, connections, app.child.pid));
        openRuns.push(await load(openApp.url, singleEventRequests(), 1, seconds, connections, openApp.child.pid));
        baseRuns.push(await load(baseline.url, singleEventRequests(), 1, seconds, connections, baseline.child.pid));
      }
      const a = average(authRuns);
      const o = average(openRuns);
      const b = average(baseRuns);
      console.log(`${"".padEnd(nameWidth)}${"events/s".padStart(14)} ${"p50".padStart(12)} ${"p99".padStart(12)}   ${"vs base".padEnd(8)}${"server CPU/req".padStart(15)}`);
      console.log(row("app  POST /ingest, auth on (Bearer key)", a, a.eventsPerSec / b.eventsPerSec));
      console.log(row("app  POST /ingest, auth off", o, o.eventsPerSec / b.eventsPerSec));
      console.log(row("baseline (1 tx per event, no auth)", b));
      const authCost = {
        eventsPerSecRatio: a.eventsPerSec / o.eventsPerSec,
        p50Ms: a.p50 - o.p50,
        p99Ms: a.p99 - o.p99,
        serverCpuUsPerRequest: (a.serverCpuUs ?? 0) - (o.serverCpuUs ?? 0),
      };
      const signed = (n: number, d: number) => `${n >= 0 ? "+" : "−"}${Math.abs(n).toFixed(d)}`;
      console.log(
        `auth cost per request (on vs off): server CPU ${signed(authCost.serverCpuUsPerRequest, 0)} µs, p50 ${signed(authCost.p50Ms, 1)} ms, p99 ${signed(authCost.p99Ms, 1)} ms, events/s ×${authCost.eventsPerSecRatio.toFixed(2)}`,
      );
      const steps = await measureAuthCpu(authEnv, sources[0]!, keys.get(sources[0]!) ?? "");
      console.log(
        `auth steps alone, in this process (header, cached key, source check, rate-limit bucket): ${steps.bearerUs.toFixed(1)} µs CPU per request with Bearer, ${steps.basicUs.toFixed(1)} µs with Basic, ${steps.offUs.toFixed(1)} µs with auth off; a key lookup in the database (once per key per ${steps.keyCacheMs / 1000} s per instance) ${steps.lookupMs.toFixed(1)} ms`,
      );
      results.single = { app: a, appAuthOff: o, baseline: b, ratio: a.eventsPerSec / b.eventsPerSec, authCost: { ...authCost, steps } };
    }

    if (parts.has("batch")) {
      console.log(`\nBatch ingest: ${batchSize} events per request (one source each), 8 connections, auth on`);
      const batchApp: Measured[] = [];
      const batchBase: Measured[] = [];
      for (let r = 0; r < rounds; r++) {
        batchApp.push(await load(app.url, batchRequests(auth), batchSize, seconds, 8));
        batchBase.push(await load(baseline.url, batchRequests(), batchSize, seconds, 8));
      }
      const ba = average(batchApp);
      const bb = average(batchBase);
      console.log(row("app  POST /ingest/batch", ba, ba.eventsPerSec / bb.eventsPerSec));
      console.log(row("baseline (multi-row raw insert)", bb));
      results.batch = { app: ba, baseline: bb, ratio: ba.eventsPerSec / bb.eventsPerSec };
    }

    if (parts.has("aggregates")) {
      console.log(`\nGET /aggregates (4 connections, 10 s each, a database of its own, a read key)`);
      const aggDbUrl = await freshDatabase("ingest_bench_aggregates");
      const { app: aggApp, env: aggEnv } = await startAppWithAuth({ DATABASE_URL: aggDbUrl, SERVE_PAGES: "false", DB_POOL_SIZE: poolSize, LOG_LEVEL: "error" });
      const aggs: Record<string, Measured> = {};
      try {
        const readKey = await readAuthorization(aggEnv);
        for (const total of [10_000, 100_000, 1_000_000]) {
          await seedProcessed(aggDbUrl, total);
          const m = await load(aggApp.url, [{ method: "GET", path: "/aggregates", headers: { authorization: readKey } }], 1, 10, 4);
          aggs[String(total)] = m;
          console.log(
            `${`at ${total.toLocaleString("en")} processed events`.padEnd(nameWidth)}${fmt(m.requestsPerSec)} req/s ${fmt(m.p50, 1)} ms ${fmt(m.p99, 1)} ms   (${await groupCount(aggDbUrl)} groups)${errorsNote(m)}`,
          );
        }
      } finally {
        await aggApp.stop();
      }
      results.aggregates = aggs;
    }
  } finally {
    await app.stop();
    await openApp?.stop();
    baseline?.child.kill("SIGTERM");
  }
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/latest.json", `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nSaved bench/results/latest.json`);
}

await main();
