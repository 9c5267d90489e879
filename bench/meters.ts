// The `meters` part of `npm run bench` (BENCH_ONLY=meters): two targets of the meters issue
// (issue 22), measured as the other parts are (the built app as a process at its production
// defaults, every side on a database of its own, CPU per event or request from bench/cpu.ts).
//   1. Ingest with meters: batches, POST /ingest/batch (the batch part's shape: BENCH_BATCH_SIZE
//      events of one source per request, BENCH_BATCH_CONNECTIONS connections, ~10% of batches
//      re-sent whole, a write key per source), whose events carry a subject and properties
//      (metric "prompt", value, subject, model, region, user). Side A: the app with no meter.
//      Side B: the same app with five meters over "prompt", created through the API before the
//      warm-up (COUNT; SUM $.value by model; UNIQUE_COUNT $.user; MAX $.value by region;
//      LATEST $.value). Both sides get the same events (the batch part's workload, dressed),
//      alternating within each round. Target: B ≥ ×0.80 A's events/s. After the windows,
//      B's COUNT meter is checked against its processed events.
//   2. A meter query at 10⁶ events: a database of its own seeded with 10⁶ processed events
//      (one generate_series statement, as bench/seed-processed.ts seeds) spread over 30 days
//      that end at an Asia/Kolkata midnight, 100 subjects; then a SUM meter created through the
//      API, whose backfill (run by the app right after the create) counts them: timed from the
//      create to GET …/meters/{slug} answering backfill.done, with the CPU it took. Then
//      GET …/query?windowSize=DAY&windowTimeZone=Asia/Kolkata&groupBy=subject over those 30
//      Kolkata days (from/to at 18:30Z), checked once against a SQL recomputation from
//      processed_event (30 × 100 rows, every sum exact) and timed with 4 connections and a read
//      key for BENCH_SECONDS (a failed or wrong answer fails the target untimed). Target: p99 ≤ 50 ms.
import type { AppProcess } from "../e2e/support/app-process";
import type { MeterCreateInput, MeterQueryResult } from "../src/lib/meters-schema";
import { startCluster } from "../e2e/faults/support/pg-cluster";
import { perEvent, startCpuWindow, type CpuPerEvent } from "./cpu";
import { alternate, batchRequests, httpWindow, type HttpSide } from "./load";
import { header, int, ms, ratio, row, summarize, verdict, type Line, type TargetResult } from "./report";
import { benchWriteKeys, bearerHeaders, freshDatabase, readAuthorization, startAppWithAuth, withClient } from "./support";
import { BatchWorkload, sources, type BatchEvent, type BatchGroup } from "./workload";

/** What the part needs of the bench's configuration (run.ts, config). */
export interface MetersRunConfig {
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  batchConnections: number;
  batchSize: number;
  batchRetryShare: number;
}

/** The part's own settings (saved in bench.json's config). */
export const metersConfig = {
  metric: "prompt",
  queryConnections: 4,
  queryAtEvents: 1_000_000,
  querySubjects: 100,
  queryDays: 30,
  queryTimeZone: "Asia/Kolkata",
  /** Kolkata is UTC+05:30 all year: its midnight is 18:30Z. */
  queryZoneOffsetMinutes: 330,
  backfillPollMs: 100,
};

/** The meters issue's targets. */
export const meterTargets = { ingestRatio: 0.8, queryP99Ms: 50 };

export const metersTargets = {
  ingest: { target: "meters: POST /ingest/batch with 5 meters ÷ without", goal: `≥ ${ratio(meterTargets.ingestRatio)}` },
  query: {
    target: `meters: query 30 Kolkata days × ${metersConfig.querySubjects} subjects at ${int(metersConfig.queryAtEvents)}, p99`,
    goal: `≤ ${meterTargets.queryP99Ms} ms`,
  },
};

const MODELS = ["gpt-4o", "gpt-4o-mini", "claude-sonnet", "llama-3-70b"];
const REGIONS = ["eu-west", "us-east", "ap-south"];

/**
 * The batch part's workload (same seed, same groups, retries and sources), each event dressed
 * as a metered one: metric "prompt", a subject of 100, a model, a region and a user of 1,000,
 * all from the event's number, so a re-sent batch is the same batch again.
 */
export class MeteredBatchWorkload extends BatchWorkload {
  override take(): BatchGroup {
    const group = super.take();
    return { ...group, events: group.events.map(metered) };
  }
}

function metered(e: BatchEvent): BatchEvent {
  const n = Number(e.payload.eventId.slice("batch-".length));
  const payload = {
    ...e.payload,
    metric: metersConfig.metric,
    subject: `customer-${n % 100}`,
    model: MODELS[n % MODELS.length]!,
    region: REGIONS[n % REGIONS.length]!,
    user: `user-${n % 1000}`,
  };
  return { source: e.source, payload };
}

/** The five meters of side B, in OpenMeter's shape. */
const ingestMeters: MeterCreateInput[] = [
  { slug: "prompt_count", aggregation: "COUNT", eventType: metersConfig.metric },
  {
    slug: "prompt_value_by_model",
    aggregation: "SUM",
    eventType: metersConfig.metric,
    valueProperty: "$.value",
    groupBy: { model: "$.model" },
  },
  { slug: "prompt_users", aggregation: "UNIQUE_COUNT", eventType: metersConfig.metric, valueProperty: "$.user" },
  {
    slug: "prompt_max_by_region",
    aggregation: "MAX",
    eventType: metersConfig.metric,
    valueProperty: "$.value",
    groupBy: { region: "$.region" },
  },
  { slug: "prompt_latest", aggregation: "LATEST", eventType: metersConfig.metric, valueProperty: "$.value" },
];

type Stops = (() => Promise<unknown>)[];

interface AppSide {
  app: AppProcess;
  env: Record<string, string>;
  side: HttpSide;
  /** `Authorization` of the operator (ADMIN_TOKEN). */
  operator: string;
}

async function startSide(dbName: string, appEnv: Record<string, string>, stops: Stops, server: string): Promise<AppSide> {
  const databaseUrl = await freshDatabase(dbName, server);
  const { app, env } = await startAppWithAuth({ ...appEnv, DATABASE_URL: databaseUrl });
  stops.push(() => app.stop());
  return { app, env, side: { url: app.url, pid: app.child.pid!, databaseUrl }, operator: `Bearer ${env.ADMIN_TOKEN ?? ""}` };
}

/** A JSON request to the app; throws with the answer when it is not 2xx. */
async function api<T>(s: AppSide, path: string, init: { method?: string; body?: unknown; authorization?: string } = {}): Promise<T> {
  const res = await fetch(s.app.url + path, {
    method: init.method ?? "GET",
    headers: {
      authorization: init.authorization ?? s.operator,
      ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

const createMeter = (s: AppSide, meter: MeterCreateInput) => api<{ slug: string }>(s, "/api/v1/meters", { method: "POST", body: meter });

const count = async (url: string, sql: string, params: unknown[] = []): Promise<number> =>
  withClient(url, async (c) => Number((await c.query<{ n: string }>(sql, params)).rows[0]?.n ?? 0));

/** Part 1: batches with five meters against the same app without meters. */
async function ingestWithMeters(config: MetersRunConfig, appEnv: Record<string, string>, stops: Stops, server: string) {
  const plain = await startSide("ingest_bench_meters_off", appEnv, stops, server);
  const metered = await startSide("ingest_bench_meters_on", appEnv, stops, server);
  console.log(`Creating ${sources.length} write keys per side with the keys CLI…`);
  const plainAuth = bearerHeaders(await benchWriteKeys(plain.env, sources));
  const meteredAuth = bearerHeaders(await benchWriteKeys(metered.env, sources));
  for (const m of ingestMeters) await createMeter(metered, m);
  const plainWorkload = new MeteredBatchWorkload(config.batchSize, config.batchRetryShare);
  const meteredWorkload = new MeteredBatchWorkload(config.batchSize, config.batchRetryShare);
  const sides = [
    (seconds: number) =>
      httpWindow(plain.side, batchRequests(plainWorkload, plainAuth), config.batchSize, seconds, config.batchConnections),
    (seconds: number) =>
      httpWindow(metered.side, batchRequests(meteredWorkload, meteredAuth), config.batchSize, seconds, config.batchConnections),
  ];
  console.log(
    `\nMeters, ingest: POST /ingest/batch, ${config.batchSize} events of one source per request, ${config.batchConnections} connections, ~${config.batchRetryShare * 100}% of batches re-sent whole, ` +
      `events with a subject (100), model, region and user (1,000); side B with ${ingestMeters.length} meters (${ingestMeters.map((m) => m.slug).join(", ")}); warm-up…`,
  );
  for (const s of sides) await s(config.warmupSeconds);
  const [plainW, meteredW] = await alternate(
    config.rounds,
    sides.map((s) => () => s(config.seconds)),
  );
  const off = summarize("app  POST /ingest/batch, no meters", plainW!);
  const on = summarize(`app  POST /ingest/batch, ${ingestMeters.length} meters`, meteredW!);
  const ingestRatio = on.eventsPerSec / off.eventsPerSec;
  console.log(header());
  console.log(row(off));
  console.log(row(on, off));
  console.log(`with ${ingestMeters.length} meters ÷ without: ${ratio(ingestRatio)} (target ≥ ${ratio(meterTargets.ingestRatio)})`);

  // Side B's meters did count: its COUNT meter over all time equals its processed events.
  // The requests in flight when the window closed still commit after it: wait for the last.
  const db = metered.side.databaseUrl;
  const processedNow = () => count(db, "SELECT count(*) AS n FROM processed_event WHERE metric = $1", [metersConfig.metric]);
  let processed = await processedNow();
  for (let settled = false; !settled;) {
    await new Promise((r) => setTimeout(r, 1000));
    const [now, pending] = [await processedNow(), await count(db, "SELECT count(*) AS n FROM raw_event_pending")];
    settled = now === processed && pending === 0;
    processed = now;
  }
  const answer = await api<MeterQueryResult>(metered, "/api/v1/meters/prompt_count/query");
  const counted = answer.data.reduce((s, r) => s + r.value, 0);
  if (counted !== processed) throw new Error(`side B: meter prompt_count counts ${counted} events, processed_event holds ${processed}`);
  const rollupRows = await count(db, "SELECT count(*) AS n FROM meter_rollup");
  const distinctRows = await count(db, "SELECT count(*) AS n FROM meter_distinct");
  console.log(
    `(side B: prompt_count = ${int(counted)} = its processed events; meter_rollup ${int(rollupRows)} rows, meter_distinct ${int(distinctRows)} rows: ` +
      `${((rollupRows + distinctRows) / Math.max(1, processed)).toFixed(2)} per event)`,
  );
  // Out of the way of the query's measurements (stopping again at the end is a no-op).
  await plain.app.stop();
  await metered.app.stop();
  return {
    lines: [off, on],
    target: { ...metersTargets.ingest, measured: ratio(ingestRatio), ...verdict(ingestRatio >= meterTargets.ingestRatio, [off, on]) },
    json: {
      withoutMeters: off,
      withMeters: on,
      ratio: ingestRatio,
      meters: ingestMeters,
      check: { processed, counted, rollupRows, distinctRows },
    },
  };
}

/** The last `days` whole days of the query's zone before now: [from, to) at its midnights. */
function zoneDays(days: number): { from: Date; to: Date } {
  const dayMs = 86_400_000;
  const offsetMs = metersConfig.queryZoneOffsetMinutes * 60_000;
  const to = Math.floor((Date.now() + offsetMs) / dayMs) * dayMs - offsetMs;
  return { from: new Date(to - days * dayMs), to: new Date(to) };
}

/** Part 2: a SUM meter over 10⁶ processed events: its backfill, then its query over 30 Kolkata days by subject. */
async function queryAtScale(config: MetersRunConfig, appEnv: Record<string, string>, stops: Stops, server: string) {
  const { queryAtEvents: total, querySubjects: subjects, queryDays: days, queryTimeZone: timeZone } = metersConfig;
  const s = await startSide("ingest_bench_meters_query", appEnv, stops, server);
  const db = s.side.databaseUrl;
  const readKey = await readAuthorization(s.env);
  const { from, to } = zoneDays(days);
  const metric = "tokens";

  // 10⁶ processed events in [from, to): event g at (g × 7919 mod the span) seconds after from,
  // subject g mod 100 (7919 is prime to 100 and the span: every subject has events in every day).
  const t0 = performance.now();
  await withClient(db, async (c) => {
    await c.query(
      `INSERT INTO processed_event (dedup_key, content_hash, source, metric, value, occurred_at, attributes, subject)
       SELECT 'meter-seed-' || g, 'meter-seed-' || g, 'seed-' || (g % 20), $1, g % 1000,
              $2::timestamptz + ((g * 7919) % $3::bigint) * interval '1 second', '{}', 'customer-' || (g % $4::bigint)
       FROM generate_series(1::bigint, $5::bigint) g`,
      [metric, from.toISOString(), days * 86_400, subjects, total],
    );
    await c.query("VACUUM ANALYZE processed_event");
  });
  const seedSeconds = (performance.now() - t0) / 1000;
  console.log(
    `\nMeters, query: ${int(total)} processed events of metric "${metric}" over ${days} ${timeZone} days (${from.toISOString()} – ${to.toISOString()}), ${subjects} subjects; seeded in ${seedSeconds.toFixed(1)} s`,
  );

  // The backfill: the app starts it right after the create; timed until the meter says done.
  const slug = "tokens_total";
  const cpu = await startCpuWindow({ appPid: s.side.pid, databaseUrl: db });
  const b0 = performance.now();
  await createMeter(s, { slug, aggregation: "SUM", eventType: metric, valueProperty: "$.value" });
  let progress: number;
  for (;;) {
    const m = await api<{ backfill: { done: boolean; progress: number } }>(s, `/api/v1/meters/${slug}`);
    progress = m.backfill.progress;
    if (m.backfill.done) break;
    await new Promise((r) => setTimeout(r, metersConfig.backfillPollMs));
  }
  const backfillSeconds = (performance.now() - b0) / 1000;
  const backfillCpu = perEvent(await cpu.stop(), total);
  const us = (n: number | null) => (n === null ? "—" : n.toFixed(1));
  console.log(
    `backfill of ${int(total)} events (SUM meter "${slug}", create → backfill.done, progress ${progress}): ${backfillSeconds.toFixed(1)} s, ${int(total / backfillSeconds)} events/s; ` +
      `CPU µs per event: app ${us(backfillCpu.appUs)}, postgres ${us(backfillCpu.postgresUs)} (${backfillCpu.cores.toFixed(2)} cores)`,
  );
  const rollupRows = await withClient(db, async (c) => {
    await c.query("VACUUM ANALYZE meter_rollup");
    const { rows } = await c.query<{ tier: string; n: string }>(
      "SELECT tier::text AS tier, count(*) AS n FROM meter_rollup GROUP BY 1 ORDER BY 1",
    );
    return Object.fromEntries(rows.map((r) => [r.tier, Number(r.n)]));
  });
  console.log(
    `meter_rollup rows: ${Object.entries(rollupRows)
      .map(([t, n]) => `${t} ${int(n)}`)
      .join(", ")} (then VACUUM ANALYZE meter_rollup)`,
  );

  // The query, checked once against a recomputation from processed_event before it is timed.
  const params = new URLSearchParams({
    from: from.toISOString(),
    to: to.toISOString(),
    windowSize: "DAY",
    windowTimeZone: timeZone,
    groupBy: "subject",
  });
  const path = `/api/v1/meters/${slug}/query?${params}`;
  const c0 = performance.now();
  const res = await fetch(s.app.url + path, { headers: { authorization: readKey } });
  const text = await res.text();
  const checkMs = performance.now() - c0;
  const expected = await withClient(db, async (c) => {
    const { rows } = await c.query<{ start: Date; subject: string; sum: string }>(
      `SELECT date_trunc('day', occurred_at, $4) AS start, subject, sum(value)::text AS sum
       FROM processed_event WHERE metric = $1 AND occurred_at >= $2 AND occurred_at < $3 GROUP BY 1, 2`,
      [metric, from.toISOString(), to.toISOString(), timeZone],
    );
    return new Map(rows.map((r) => [`${r.start.toISOString()} ${r.subject}`, r.sum]));
  });
  // A wrong or failed answer is the target's FAIL, not the run's end: the report still prints.
  let problem: string | null = null;
  let answerRows = 0;
  if (!res.ok) {
    let code = "";
    try {
      code = (JSON.parse(text) as { code?: string }).code ?? "";
    } catch {
      // not a problem+json answer: the status says it
    }
    problem = `answered ${res.status} ${code} after ${int(checkMs)} ms`;
  } else {
    const answer = JSON.parse(text) as MeterQueryResult;
    answerRows = answer.data.length;
    const wrong = answer.data.filter((r) => {
      const sum = expected.get(`${new Date(r.windowStart).toISOString()} ${r.subject ?? ""}`);
      return sum === undefined || Number(sum) !== r.value || !Number.isSafeInteger(r.value);
    });
    if (answerRows !== days * subjects || expected.size !== days * subjects || wrong.length > 0)
      problem = `${answerRows} rows (expected ${days * subjects}; SQL has ${expected.size}), ${wrong.length} differ from SQL, e.g. ${JSON.stringify(wrong[0])}`;
  }
  const answerBytes = Buffer.byteLength(text);
  const seeded = { events: total, subjects, from: from.toISOString(), to: to.toISOString(), seedSeconds };
  const backfill = { seconds: backfillSeconds, eventsPerSec: total / backfillSeconds, cpuPerEvent: backfillCpu satisfies CpuPerEvent };
  const check = { ms: checkMs, status: res.status, rows: answerRows, bytes: answerBytes, problem };
  if (problem !== null) {
    console.log(`check of ${path}: ${problem}; the query is not timed (${text.slice(0, 300)})`);
    return {
      lines: [],
      target: { ...metersTargets.query, measured: "—", verdict: "FAIL" as const, note: `the check request ${problem}, not timed` },
      json: { ...seeded, backfill, rollupRows, check, query: null },
    };
  }
  console.log(
    `checked: ${answerRows} rows (${days} windows × ${subjects} subjects), every sum equal to SQL's over processed_event; ${int(answerBytes / 1024)} KB, ${int(checkMs)} ms`,
  );

  const request = { method: "GET" as const, path, headers: { authorization: readKey } };
  console.log(`GET …/query with a read key, ${metersConfig.queryConnections} connections, ${config.seconds} s; warm-up…`);
  await httpWindow(s.side, [request], 1, config.warmupSeconds, metersConfig.queryConnections);
  const line = summarize(`GET meter query, 30 ${timeZone} days by subject`, [
    await httpWindow(s.side, [request], 1, config.seconds, metersConfig.queryConnections),
  ]);
  console.log(header().replace("events/s", "   req/s").replace("CPU µs per event: server", "CPU µs per request: server"));
  console.log(row(line));
  return {
    lines: [line],
    target: { ...metersTargets.query, measured: ms(line.p99), ...verdict(line.p99 <= meterTargets.queryP99Ms, [line]) },
    json: { ...seeded, backfill, rollupRows, check, query: line },
  };
}

/** The part: both targets, in the shape run.ts reports. */
export async function metersPart(
  config: MetersRunConfig,
  appEnv: Record<string, string>,
  stops: Stops,
): Promise<{ lines: Line[]; targets: TargetResult[]; json: unknown }> {
  // Meters update hot rollup rows, so their cost depends on vacuum: unless BENCH_METERS_DATABASE_URL
  // names a server, the part runs on a PostgreSQL cluster of its own with the default settings
  // (autovacuum on), initdb'd as the fault suite's, not on a shared one that may have it off.
  const given = process.env.BENCH_METERS_DATABASE_URL;
  let server = given;
  if (!server) {
    const cluster = await startCluster();
    stops.push(() => cluster.destroy());
    server = cluster.url();
    console.log(`Meters: on a PostgreSQL cluster of its own (initdb, default settings: autovacuum on) at ${server}`);
  }
  const ingest = await ingestWithMeters(config, appEnv, stops, server);
  const query = await queryAtScale(config, appEnv, stops, server);
  return {
    lines: [...ingest.lines, ...query.lines],
    targets: [ingest.target, query.target],
    json: { ingest: ingest.json, query: query.json },
  };
}
