// npm run bench – throughput and latency of the app against the bare baseline
// (bench/baseline-server.ts), measured alternately in the same run on the same
// PostgreSQL, each on a database of its own:
//   1. single-event POST /ingest, 32 connections, about half the requests retries of
//      earlier events (same Idempotency-Key, same body);
//   2. POST /ingest/batch (BENCH_BATCH_SIZE events per request) against the baseline's raw
//      multi-row insert of the same rows;
//   3. GET /aggregates p50/p99 with 10^4, 10^5 and 10^6 processed events.
// Env: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
// BENCH_SECONDS (per measured window, default 10), BENCH_ROUNDS (default 2),
// BENCH_CONNECTIONS (default 32), BENCH_BATCH_SIZE (default 200), BENCH_POOL_SIZE (default 16),
// BENCH_ONLY=single,batch,aggregates to run some parts only.
import { mkdirSync, writeFileSync } from "node:fs";
import autocannon from "autocannon";
import pg from "pg";
import { startApp, type AppProcess } from "../e2e/support/app-process";
import { freshDatabase, startBaseline } from "./support";

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const batchSize = Number(process.env.BENCH_BATCH_SIZE ?? 200);
const poolSize = String(process.env.BENCH_POOL_SIZE ?? 16);
const parts = new Set((process.env.BENCH_ONLY ?? "single,batch,aggregates").split(",").map((p) => p.trim()));

interface Measured {
  eventsPerSec: number;
  requestsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Bodies for single-event ingest: about half are retries of an earlier event. */
function singleEventRequests(): autocannon.Request[] {
  let next = 0;
  const sent: { key: string; body: string }[] = [];
  return [
    {
      method: "POST",
      path: "/ingest",
      setupRequest: (req) => {
        let pick: { key: string; body: string };
        if (sent.length > 0 && Math.random() < 0.5) {
          pick = sent[Math.floor(Math.random() * sent.length)]!;
        } else {
          const n = next++;
          pick = {
            key: `bench-${n}`,
            body: JSON.stringify({
              source: `client-${n % 20}`,
              payload: { metric: `metric-${n % 10}`, value: (n % 1000) / 10, region: "eu" },
            }),
          };
          sent.push(pick);
          if (sent.length > 50_000) sent.splice(0, 10_000);
        }
        return { ...req, body: pick.body, headers: { "content-type": "application/json", "idempotency-key": pick.key } };
      },
    },
  ];
}

function batchRequests(): autocannon.Request[] {
  let next = 0;
  return [
    {
      method: "POST",
      path: "/ingest/batch",
      setupRequest: (req) => {
        const events = Array.from({ length: batchSize }, () => {
          const n = next++;
          return { source: `client-${n % 20}`, payload: { metric: `metric-${n % 10}`, value: (n % 1000) / 10, eventId: `batch-${n}` } };
        });
        return { ...req, body: JSON.stringify({ events }), headers: { "content-type": "application/json" } };
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
): Promise<Measured> {
  const result = await autocannon({ url, connections: conns, duration, requests, timeout: 30 });
  return {
    // Only answered-2xx requests count as ingested events.
    eventsPerSec: ((result.requests.total - result.non2xx) / result.duration) * eventsPerRequest,
    requestsPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
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
  };
}

const fmt = (n: number, d = 0) => n.toFixed(d).padStart(9);
function row(name: string, m: Measured, ratio?: number): string {
  return `${name.padEnd(34)}${fmt(m.eventsPerSec)} ev/s ${fmt(m.p50, 1)} ms ${fmt(m.p99, 1)} ms${ratio === undefined ? "" : `   ×${ratio.toFixed(2)}`}${m.errors + m.non2xx > 0 ? `   (errors ${m.errors}, non-2xx ${m.non2xx})` : ""}`;
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
  const app: AppProcess = await startApp({
    DATABASE_URL: appDbUrl,
    SERVE_PAGES: "false",
    DB_POOL_SIZE: poolSize,
    LOG_LEVEL: "error",
    RECOVERY_DELAY_MS: "30000",
  });
  const baseline = await startBaseline(baseDbUrl, poolSize);
  const results: Record<string, unknown> = {
    machine: { cores: (await import("node:os")).cpus().length, node: process.version },
    seconds,
    rounds,
    connections,
  };
  try {
    if (parts.has("single")) {
      console.log(`\nWarm-up (3 s each)…`);
      await load(app.url, singleEventRequests(), 1, 3);
      await load(baseline.url, singleEventRequests(), 1, 3);

      console.log(`\nSingle-event ingest: ${connections} connections, ~50% retries, ${rounds}×${seconds} s each, alternating`);
      const appRuns: Measured[] = [];
      const baseRuns: Measured[] = [];
      for (let r = 0; r < rounds; r++) {
        appRuns.push(await load(app.url, singleEventRequests(), 1));
        baseRuns.push(await load(baseline.url, singleEventRequests(), 1));
      }
      const a = average(appRuns);
      const b = average(baseRuns);
      console.log(`${"".padEnd(34)}${"events/s".padStart(14)} ${"p50".padStart(12)} ${"p99".padStart(12)}`);
      console.log(row("app  POST /ingest", a, a.eventsPerSec / b.eventsPerSec));
      console.log(row("baseline (1 tx per event)", b));
      results.single = { app: a, baseline: b, ratio: a.eventsPerSec / b.eventsPerSec };
    }

    if (parts.has("batch")) {
      console.log(`\nBatch ingest: ${batchSize} events per request, 8 connections`);
      const batchApp: Measured[] = [];
      const batchBase: Measured[] = [];
      for (let r = 0; r < rounds; r++) {
        batchApp.push(await load(app.url, batchRequests(), batchSize, seconds, 8));
        batchBase.push(await load(baseline.url, batchRequests(), batchSize, seconds, 8));
      }
      const ba = average(batchApp);
      const bb = average(batchBase);
      console.log(row("app  POST /ingest/batch", ba, ba.eventsPerSec / bb.eventsPerSec));
      console.log(row("baseline (multi-row raw insert)", bb));
      results.batch = { app: ba, baseline: bb, ratio: ba.eventsPerSec / bb.eventsPerSec };
    }

    if (parts.has("aggregates")) {
      console.log(`\nGET /aggregates (4 connections, 10 s each, a database of its own)`);
      const aggDbUrl = await freshDatabase("ingest_bench_aggregates");
      const aggApp = await startApp({ DATABASE_URL: aggDbUrl, SERVE_PAGES: "false", DB_POOL_SIZE: poolSize, LOG_LEVEL: "error" });
      const aggs: Record<string, Measured> = {};
      try {
        for (const total of [10_000, 100_000, 1_000_000]) {
          await seedProcessed(aggDbUrl, total);
          const m = await load(aggApp.url, [{ method: "GET", path: "/aggregates" }], 1, 10, 4);
          aggs[String(total)] = m;
          console.log(
            `${`at ${total.toLocaleString("en")} processed events`.padEnd(34)}${fmt(m.requestsPerSec)} req/s ${fmt(m.p50, 1)} ms ${fmt(m.p99, 1)} ms   (${await groupCount(aggDbUrl)} groups)`,
          );
        }
      } finally {
        await aggApp.stop();
      }
      results.aggregates = aggs;
    }
  } finally {
    await app.stop();
    baseline.child.kill("SIGTERM");
  }
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/latest.json", `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nSaved bench/results/latest.json`);
}

await main();
