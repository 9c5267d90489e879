// npm run bench – the write path's targets ("write path v3", outcome 1) with their
// baselines, all measured in the same run on the same PostgreSQL, every side on a database
// of its own, sides alternating within each round (the order reversed every other round):
//   1. single events, POST /ingest: the app with access control on (a write key per source,
//      created by the keys CLI, sent as Bearer), the same app with auth off (what auth costs)
//      and the bare baseline bench/baseline-server.ts (node:http + pg, one transaction per
//      event). Target, auth on and off: app ≥ ×1.15 the baseline's events/s, p99 ≤ 50 ms;
//   2. batches, POST /ingest/batch (BENCH_BATCH_SIZE events of one source per request): the
//      app with auth on and with auth off; the app's group-commit SQL as of 8c25579 driven by bare pg with the
//      same groups over as many connections (bench/baseline-group-commit.ts); and the bare
//      baseline's multi-row raw insert (the floor: no dedup, no processing). Target, auth on
//      and off: app ≥ ×1.15 the bare group-commit SQL's events/s;
//   3. GET /aggregates with a read key at 10⁴, 10⁵ and 10⁶ processed events. Target: p99 ≤
//      10 ms at 10⁶. At 10⁶ also 30-day daily series (bucket=day) over 30 UTC days and over 30
//      days starting 5 hours off a UTC midnight (a console's local days): one (source, metric)'s
//      series — target (issue 13, "console at scale"): p99 ≤ 20 ms over UTC days — and, for
//      comparison, the console chart's series over every group and a page of 100 groups' series;
//   4. meters (issue 22; bench/meters.ts): batches with five meters ÷ the same batches without
//      (target ≥ ×0.80), and a meter query over 30 Asia/Kolkata days by subject at 10⁶ events
//      (target p99 ≤ 50 ms), with the backfill of those 10⁶ events timed.
// Every app runs with the production defaults a user gets (the access log at info, metrics on;
// bench/support.ts startBenchApp). Every line gets the CPU per event of the server under test, PostgreSQL and the load
// generator (bench/cpu.ts). For the bare group-commit SQL the driver process is both: its
// event generation (timed around each call) is the load generator, the rest is the "server".
// Events per second count events answered 2xx (a re-sent, deduplicated event counts: it was
// answered). Every side gets the same sequence of events, retries and groups
// (bench/workload.ts). The rate limit is on but set too high to refuse: the bench measures
// the write path, not the limiter (at its default, 20 keys would cap batches at 20,000
// events/s). Results: bench/results/bench.json.
// Env: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
// BENCH_SECONDS (per measured window, default 10), BENCH_ROUNDS (default 2),
// BENCH_CONNECTIONS (single events, default 32), BENCH_BATCH_CONNECTIONS (default 8),
// BENCH_BATCH_SIZE (default 200), BENCH_BATCH_RETRIES (share of batches re-sent, default 0.1),
// BENCH_POOL_SIZE (default 16), BENCH_ONLY=single,batch,aggregates,meters to run some parts only,
// BENCH_METERS_DATABASE_URL (the meters part's server; default: a cluster of its own, initdb'd with default settings).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import type { AppProcess } from "../e2e/support/app-process";
import { measureAuthCpu } from "./auth-cpu";
import { startGroupCommitBaseline } from "./baseline-group-commit";
import { alternate, batchRequests, driverWindow, httpWindow, singleEventRequests, type Authorizations } from "./load";
import { ceiling, ceilingLine, header, int, ms, ratio, row, summarize, verdict, type Line, type TargetResult } from "./report";
import { meterTargets, metersConfig, metersPart, metersTargets } from "./meters";
import { SEEDED_DAYS, seededGroups, seedProcessed } from "./seed-processed";
import {
  benchDatabaseUrl,
  benchWriteKeys,
  bearerHeaders,
  freshDatabase,
  readAuthorization,
  startAppWithAuth,
  startBaseline,
  startBenchApp,
  withClient,
} from "./support";
import { BatchWorkload, SingleEventWorkload, sources } from "./workload";

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number ≥ 0 (got ${process.env[name]})`);
  return v;
};
const allParts = ["single", "batch", "aggregates", "meters"] as const;
type Part = (typeof allParts)[number];
const parts = new Set((process.env.BENCH_ONLY ?? allParts.join(",")).split(",").map((p) => p.trim()));
for (const p of parts)
  if (!(allParts as readonly string[]).includes(p)) throw new Error(`BENCH_ONLY: unknown part "${p}" (parts: ${allParts.join(", ")})`);
const runs = (p: Part) => parts.has(p);

const config = {
  seconds: num("BENCH_SECONDS", 10),
  rounds: num("BENCH_ROUNDS", 2),
  warmupSeconds: Math.min(3, num("BENCH_SECONDS", 10)),
  connections: num("BENCH_CONNECTIONS", 32),
  singleRetryShare: 0.5,
  batchConnections: num("BENCH_BATCH_CONNECTIONS", 8),
  batchSize: num("BENCH_BATCH_SIZE", 200),
  batchRetryShare: num("BENCH_BATCH_RETRIES", 0.1),
  poolSize: num("BENCH_POOL_SIZE", 16),
  aggregatesConnections: 4,
  aggregatesAt: [10_000, 100_000, 1_000_000],
  meters: metersConfig,
  parts: [...parts],
  sources: sources.length,
  auth: { required: true, writeKeys: sources.length, scheme: "Bearer" },
  rateLimitEventsPerSecond: 10_000_000,
  recoveryDelayMs: 30_000,
};

/** The targets of "write path v3", outcome 1 (the aggregates' from write path v2 and issue 13). */
const targets = { batchRatio: 1.15, singleRatio: 1.15, singleP99Ms: 50, aggregatesP99Ms: 10, aggregatesAtEvents: 1_000_000, seriesP99Ms: 20, meters: meterTargets };

// ---- the run -----------------------------------------------------------------------------

const cpuPressure = (): string => {
  try {
    return readFileSync("/proc/pressure/cpu", "utf8").split("\n")[0] ?? "";
  } catch {
    return "unavailable";
  }
};

/** What the write parts share: the app with auth on and its keys, the app with auth off, the bare baseline server. */
interface WriteSetup {
  app: AppProcess;
  appDbUrl: string;
  openApp: AppProcess;
  openDbUrl: string;
  authEnv: Record<string, string>;
  keys: Map<string, string>;
  auth: Authorizations;
  baseline: Awaited<ReturnType<typeof startBaseline>>;
  baseDbUrl: string;
}

/** What a part adds to the report. */
interface PartResult {
  lines: Line[];
  targets: TargetResult[];
  json: unknown;
}

type Stops = (() => Promise<unknown>)[];

// The production defaults a user gets (access log at info, metrics on: startBenchApp), but for
// what a bench must set: no pages, the pool, a rate limit too high to refuse.
const appEnv = {
  SERVE_PAGES: "false",
  DB_POOL_SIZE: String(config.poolSize),
  RECOVERY_DELAY_MS: String(config.recoveryDelayMs),
  RATE_LIMIT_EVENTS_PER_SECOND: String(config.rateLimitEventsPerSecond),
};

async function startWriteSetup(stops: Stops): Promise<WriteSetup> {
  const appDbUrl = await freshDatabase("ingest_bench_app");
  const baseDbUrl = await freshDatabase("ingest_bench_baseline");
  const { app, env: authEnv } = await startAppWithAuth({ ...appEnv, DATABASE_URL: appDbUrl });
  stops.push(() => app.stop());
  const openDbUrl = await freshDatabase("ingest_bench_app_open");
  const openApp = await startBenchApp({ ...appEnv, DATABASE_URL: openDbUrl, AUTH_REQUIRED: "false" });
  stops.push(() => openApp.stop());
  console.log(`Creating ${sources.length} write keys with the keys CLI…`);
  const keys = await benchWriteKeys(authEnv, sources);
  const baseline = await startBaseline(baseDbUrl, String(config.poolSize));
  stops.push(async () => baseline.child.kill("SIGTERM"));
  return { app, appDbUrl, openApp, openDbUrl, authEnv, keys, auth: bearerHeaders(keys), baseline, baseDbUrl };
}

const singleTargets = {
  ratio: { target: "single: POST /ingest, auth on ÷ 1-tx-per-event baseline", goal: `≥ ${ratio(targets.singleRatio)}` },
  p99: { target: "single: POST /ingest, auth on, p99", goal: `≤ ${targets.singleP99Ms} ms` },
  ratioOff: { target: "single: POST /ingest, auth off ÷ 1-tx-per-event baseline", goal: `≥ ${ratio(targets.singleRatio)}` },
  p99Off: { target: "single: POST /ingest, auth off, p99", goal: `≤ ${targets.singleP99Ms} ms` },
};
const batchTargets = {
  on: { target: "batch: POST /ingest/batch, auth on ÷ bare group-commit SQL", goal: `≥ ${ratio(targets.batchRatio)}` },
  off: { target: "batch: POST /ingest/batch, auth off ÷ bare group-commit SQL", goal: `≥ ${ratio(targets.batchRatio)}` },
};
const seriesTarget = {
  target: `GET /aggregates one group's 30-day daily series at ${int(targets.aggregatesAtEvents)} (issue 13)`,
  goal: `≤ ${targets.seriesP99Ms} ms`,
};
const aggregatesTarget = {
  target: `GET /aggregates p99 at ${int(targets.aggregatesAtEvents)} events`,
  goal: `≤ ${targets.aggregatesP99Ms} ms`,
};

/** Part 1: single events against the app with auth on, with auth off, and the bare baseline. */
async function singlePart(w: WriteSetup): Promise<PartResult> {
  const sides = [
    { side: { url: w.app.url, pid: w.app.child.pid!, databaseUrl: w.appDbUrl }, auth: w.auth },
    { side: { url: w.openApp.url, pid: w.openApp.child.pid!, databaseUrl: w.openDbUrl }, auth: undefined },
    { side: { url: w.baseline.url, pid: w.baseline.child.pid!, databaseUrl: w.baseDbUrl }, auth: undefined },
  ].map((s) => ({ ...s, workload: new SingleEventWorkload(config.singleRetryShare) }));
  const measure = (s: (typeof sides)[number], seconds: number) =>
    httpWindow(s.side, singleEventRequests(s.workload, s.auth), 1, seconds, config.connections);
  console.log(`\nSingle events, POST /ingest: ${config.connections} connections, ~${config.singleRetryShare * 100}% retries; warm-up…`);
  for (const s of sides) await measure(s, config.warmupSeconds);
  const [onW, offW, baseW] = await alternate(
    config.rounds,
    sides.map((s) => () => measure(s, config.seconds)),
  );
  const on = summarize("app  POST /ingest, auth on (Bearer key)", onW!);
  const off = summarize("app  POST /ingest, auth off", offW!);
  const base = summarize("baseline: 1 transaction per event, no auth", baseW!);
  console.log(header());
  console.log(row(on, base));
  console.log(row(off, base));
  console.log(row(base));
  const authCost = {
    eventsPerSecRatio: on.eventsPerSec / off.eventsPerSec,
    p50Ms: on.p50 - off.p50,
    p99Ms: on.p99 - off.p99,
    serverCpuUsPerRequest: on.cpuPerEvent.appUs - off.cpuPerEvent.appUs,
  };
  const signed = (n: number, d: number) => `${n >= 0 ? "+" : "−"}${Math.abs(n).toFixed(d)}`;
  console.log(
    `auth cost per request (on vs off): server CPU ${signed(authCost.serverCpuUsPerRequest, 0)} µs, p50 ${signed(authCost.p50Ms, 1)} ms, p99 ${signed(authCost.p99Ms, 1)} ms, events/s ×${authCost.eventsPerSecRatio.toFixed(2)}`,
  );
  const steps = await measureAuthCpu(w.authEnv, sources[0]!, w.keys.get(sources[0]!) ?? "");
  console.log(
    `auth steps alone, in this process (header, cached key, source check, rate-limit bucket): ${steps.bearerUs.toFixed(1)} µs CPU per request with Bearer, ${steps.basicUs.toFixed(1)} µs with Basic, ${steps.offUs.toFixed(1)} µs with auth off; a key lookup in the database (once per key per ${steps.keyCacheMs / 1000} s per instance) ${steps.lookupMs.toFixed(1)} ms`,
  );
  const singleRatio = on.eventsPerSec / base.eventsPerSec;
  // The bare baseline server forwards each event to PostgreSQL and does nothing else: the
  // leanest process an HTTP service on Node can be.
  const singleCeiling = ceiling(on, base, targets.singleRatio);
  console.log(ceilingLine(singleCeiling, targets.singleRatio, "the bare baseline server"));
  return {
    lines: [on, off, base],
    targets: [
      { ...singleTargets.ratio, measured: ratio(singleRatio), ...verdict(singleRatio >= targets.singleRatio, [on, base]) },
      { ...singleTargets.p99, measured: ms(on.p99), ...verdict(on.p99 <= targets.singleP99Ms, [on]) },
      { ...singleTargets.ratioOff, measured: ratio(off.eventsPerSec / base.eventsPerSec), ...verdict(off.eventsPerSec / base.eventsPerSec >= targets.singleRatio, [off, base]) },
      { ...singleTargets.p99Off, measured: ms(off.p99), ...verdict(off.p99 <= targets.singleP99Ms, [off]) },
    ],
    json: { app: on, appAuthOff: off, baseline: base, ratio: singleRatio, ceiling: singleCeiling, authCost: { ...authCost, steps } },
  };
}

/** Part 2: batches against the app, the bare group-commit SQL of 8c25579 and the raw-insert floor. */
async function batchPart(w: WriteSetup, stops: Stops): Promise<PartResult> {
  const groupDbUrl = await freshDatabase("ingest_bench_group_commit");
  const driver = await startGroupCommitBaseline({
    databaseUrl: groupDbUrl,
    connections: config.batchConnections,
    batchSize: config.batchSize,
    retryShare: config.batchRetryShare,
    recoveryDelayMs: config.recoveryDelayMs,
  });
  stops.push(() => driver.stop());
  const appSide = { url: w.app.url, pid: w.app.child.pid!, databaseUrl: w.appDbUrl };
  const openSide = { url: w.openApp.url, pid: w.openApp.child.pid!, databaseUrl: w.openDbUrl };
  const rawSide = { url: w.baseline.url, pid: w.baseline.child.pid!, databaseUrl: w.baseDbUrl };
  // The driver holds the third workload built from the same seed: every side sends the same groups.
  const appWorkload = new BatchWorkload(config.batchSize, config.batchRetryShare);
  const openWorkload = new BatchWorkload(config.batchSize, config.batchRetryShare);
  const rawWorkload = new BatchWorkload(config.batchSize, config.batchRetryShare);
  const sides = [
    (seconds: number) => httpWindow(appSide, batchRequests(appWorkload, w.auth), config.batchSize, seconds, config.batchConnections),
    (seconds: number) => httpWindow(openSide, batchRequests(openWorkload, undefined), config.batchSize, seconds, config.batchConnections),
    (seconds: number) => driverWindow(driver, groupDbUrl, seconds),
    (seconds: number) => httpWindow(rawSide, batchRequests(rawWorkload, undefined), config.batchSize, seconds, config.batchConnections),
  ];
  console.log(
    `\nBatches: ${config.batchSize} events of one source per request/group, ${config.batchConnections} connections, ~${config.batchRetryShare * 100}% of batches re-sent whole; warm-up…`,
  );
  for (const s of sides) await s(config.warmupSeconds);
  const [appW, openW, sqlW, rawW] = await alternate(
    config.rounds,
    sides.map((s) => () => s(config.seconds)),
  );
  const ba = summarize("app  POST /ingest/batch, auth on", appW!);
  const bo = summarize("app  POST /ingest/batch, auth off", openW!);
  const bs = summarize("baseline: group-commit SQL of 8c25579, bare pg", sqlW!);
  const br = summarize("floor: multi-row raw insert, no processing", rawW!);
  console.log(header());
  console.log(row(ba, bs));
  console.log(row(bo, bs));
  console.log(row(bs));
  console.log(row(br, bs));
  console.log(`(p50/p99: per request over HTTP; for the bare SQL per group, capture to processing commit)`);
  const batchRatio = ba.eventsPerSec / bs.eventsPerSec;
  const batchRatioOff = bo.eventsPerSec / bs.eventsPerSec;
  // The bare-SQL driver's own process (less its event generation) is the leanest client of the same SQL.
  const batchCeiling = ceiling(ba, bs, targets.batchRatio);
  console.log(ceilingLine(batchCeiling, targets.batchRatio, "the bare-SQL driver"));
  return {
    lines: [ba, bo, bs, br],
    targets: [
      { ...batchTargets.on, measured: ratio(batchRatio), ...verdict(batchRatio >= targets.batchRatio, [ba, bs]) },
      { ...batchTargets.off, measured: ratio(batchRatioOff), ...verdict(batchRatioOff >= targets.batchRatio, [bo, bs]) },
    ],
    json: { app: ba, appAuthOff: bo, ratioAuthOff: batchRatioOff, groupCommitSql: bs, rawInsert: br, ratio: batchRatio, ceiling: batchCeiling, ratioToRawInsert: ba.eventsPerSec / br.eventsPerSec },
  };
}

/** Part 3: GET /aggregates at 10⁴, 10⁵ and 10⁶ processed events, on an app and a database of its own. */
async function aggregatesPart(stops: Stops): Promise<PartResult> {
  console.log(
    `\nGET /aggregates: ${config.aggregatesConnections} connections, ${config.seconds} s each, a database of its own, a read key`,
  );
  const aggDbUrl = await freshDatabase("ingest_bench_aggregates");
  const { app, env } = await startAppWithAuth({ ...appEnv, DATABASE_URL: aggDbUrl });
  stops.push(() => app.stop());
  const readKey = await readAuthorization(env);
  const side = { url: app.url, pid: app.child.pid!, databaseUrl: aggDbUrl };
  const aggs: Record<string, Line & { groups: number; seedSeconds: number }> = {};
  const lines: Line[] = [];
  console.log(header().replace("events/s", "   req/s").replace("CPU µs per event: server", "CPU µs per request: server"));
  for (const total of config.aggregatesAt) {
    const t0 = performance.now();
    await seedProcessed(aggDbUrl, total);
    const seedSeconds = (performance.now() - t0) / 1000;
    const request = { method: "GET" as const, path: "/aggregates", headers: { authorization: readKey } };
    const line = summarize(`GET /aggregates at ${int(total)} processed events`, [
      await httpWindow(side, [request], 1, config.seconds, config.aggregatesConnections),
    ]);
    const groups = await withClient(aggDbUrl, async (c) =>
      Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM metric_aggregate")).rows[0]?.n ?? 0),
    );
    aggs[String(total)] = { ...line, groups, seedSeconds };
    lines.push(line);
    console.log(`${row(line)}   (${groups} groups; seeded in ${seedSeconds.toFixed(1)} s)`);
  }
  // 30-day daily series, at the last size seeded: 30 UTC days ending at the next UTC midnight
  // (whole days: the daily rollup answers them), and the same 30 days starting 5 hours off
  // midnight, as a console in a zone 5 hours from UTC asks them (every day bucket then straddles
  // two UTC days: the hourly rollup answers it). Three shapes each:
  //   - one (source, metric)'s series, GET /aggregates?source=&metric=&bucket=day (the API's
  //     "series per (source, metric)": issue 13's figure), cycling over 20 of the seeded groups;
  //   - the console's chart: aggregatesSummary's series, every group's events per day;
  //   - a page of 100 groups with their series (100 series, 3,000 points, ~330 KB).
  const dayMs = 86_400_000;
  const to = Math.ceil(Date.now() / dayMs) * dayMs;
  const seriesWindow = (offsetHours: number) => {
    const shift = offsetHours * 3_600_000;
    return { from: new Date(to - SEEDED_DAYS * dayMs - shift).toISOString(), to: new Date(to - shift).toISOString(), bucket: "day" };
  };
  const get = (path: string) => ({ method: "GET" as const, path, headers: { authorization: readKey } });
  // Each shape with the series points its answer must hold (checked once before it is measured,
  // so a line never times a fast empty answer).
  type Series = { start: string }[];
  const shapes = [
    {
      name: "one group",
      requests: (w: Record<string, string>) =>
        seededGroups(20).map((g) => get(`/aggregates?${new URLSearchParams({ ...w, source: g.source, metric: g.metric })}`)),
      points: (body: unknown) => (body as { series: Series }[]).flatMap((r) => r.series).length,
      expected: SEEDED_DAYS,
    },
    {
      name: "console chart (all groups)",
      requests: (w: Record<string, string>) => [get(`/api/trpc/aggregatesSummary?${new URLSearchParams({ input: JSON.stringify(w) })}`)],
      points: (body: unknown) => (body as { result: { data: { series: Series } } }).result.data.series.length,
      expected: SEEDED_DAYS,
    },
    {
      name: "page of 100 groups",
      requests: (w: Record<string, string>) => [get(`/aggregates?${new URLSearchParams(w)}`)],
      points: (body: unknown) => (body as { series: Series }[]).flatMap((r) => r.series).length,
      expected: 100 * SEEDED_DAYS,
    },
  ];
  const series: Record<string, Line> = {};
  console.log(
    `30-day daily series at ${int(config.aggregatesAt.at(-1) ?? 0)} events (bucket=day): over 30 UTC days, and 30 days from 05:00 UTC (hourly rows only)`,
  );
  for (const [offset, days] of [[0, "UTC days"], [5, "05:00 days"]] as const) {
    for (const shape of shapes) {
      const first = shape.requests(seriesWindow(offset))[0]!;
      const answer = await fetch(app.url + first.path, { headers: first.headers });
      const points = answer.ok ? shape.points(await answer.json()) : 0;
      if (points !== shape.expected) throw new Error(`${first.path}: ${answer.status}, ${points} series points, expected ${shape.expected}`);
      const line = summarize(`series ${days}: ${shape.name}`, [
        await httpWindow(side, shape.requests(seriesWindow(offset)), 1, config.seconds, config.aggregatesConnections),
      ]);
      series[`${offset}h ${shape.name}`] = line;
      lines.push(line);
      console.log(row(line));
    }
  }
  const seriesLine = series[`0h ${shapes[0]!.name}`]!;
  const atTarget = aggs[String(targets.aggregatesAtEvents)]!;
  return {
    lines,
    targets: [
      { ...aggregatesTarget, measured: ms(atTarget.p99), ...verdict(atTarget.p99 <= targets.aggregatesP99Ms, [atTarget]) },
      { ...seriesTarget, measured: ms(seriesLine.p99), ...verdict(seriesLine.p99 <= targets.seriesP99Ms, [seriesLine]) },
    ],
    json: { ...aggs, series30Days: series },
  };
}

const notRun = (t: { target: string; goal: string }): TargetResult => ({ ...t, measured: "—", verdict: "NOT RUN" });

async function main(): Promise<void> {
  const startedAt = new Date();
  const postgres = await withClient(benchDatabaseUrl, async (c) => ({
    version: (await c.query<{ v: string }>("SELECT version() AS v")).rows[0]?.v ?? "",
    synchronousCommit: (await c.query<{ s: string }>("SELECT current_setting('synchronous_commit') AS s")).rows[0]?.s ?? "",
  }));
  const machine = { cores: cpus().length, node: process.version, loadavgAtStart: loadavg(), cpuPressureAtStart: cpuPressure(), postgres };
  console.log(
    `npm run bench — ${startedAt.toISOString()}; ${config.rounds} round(s) × ${config.seconds} s per side (warm-up ${config.warmupSeconds} s); parts: ${config.parts.join(", ")}\n` +
      `${machine.cores} cores, load ${machine.loadavgAtStart.map((l) => l.toFixed(2)).join(" ")}, ${postgres.version.split(" on ")[0]}, synchronous_commit ${postgres.synchronousCommit}\n` +
      `CPU per event: "server" is the process under test (the app, the bare baseline server, or the bare-SQL driver less its event generation); "load" the load generator.`,
  );

  const stops: Stops = [];
  const done: Partial<Record<Part, PartResult>> = {};
  try {
    const write = runs("single") || runs("batch") ? await startWriteSetup(stops) : undefined;
    if (write && runs("single")) done.single = await singlePart(write);
    if (write && runs("batch")) done.batch = await batchPart(write, stops);
    if (runs("aggregates")) done.aggregates = await aggregatesPart(stops);
    if (runs("meters")) done.meters = await metersPart(config, appEnv, stops);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }

  const targetResults = [
    ...(done.single?.targets ?? Object.values(singleTargets).map(notRun)),
    ...(done.batch?.targets ?? [notRun(batchTargets.on), notRun(batchTargets.off)]),
    ...(done.aggregates?.targets ?? [notRun(aggregatesTarget), notRun(seriesTarget)]),
    ...(done.meters?.targets ?? Object.values(metersTargets).map(notRun)),
  ];
  console.log(`\nTargets ("write path v3", outcome 1; the aggregates': "write path v2" and issue 13; the meters': issue 22)`);
  const width = Math.max(...targetResults.map((t) => t.target.length)) + 2;
  console.log(`${"".padEnd(width)}${"target".padStart(10)}${"measured".padStart(12)}   verdict`);
  for (const t of targetResults)
    console.log(`${t.target.padEnd(width)}${t.goal.padStart(10)}${t.measured.padStart(12)}   ${t.verdict}${t.note ? ` (${t.note})` : ""}`);
  const allLines = allParts.flatMap((p) => done[p]?.lines ?? []);
  if (allLines.length > 0) {
    console.log(`\nEvery line (GET /aggregates and the meter query: per request)`);
    console.log(header());
    for (const line of allLines) console.log(row(line));
  }

  const results = {
    date: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: "npm run bench",
    config,
    targets,
    machine: { ...machine, loadavgAtEnd: loadavg(), cpuPressureAtEnd: cpuPressure() },
    single: done.single?.json ?? null,
    batch: done.batch?.json ?? null,
    aggregates: done.aggregates?.json ?? null,
    meters: done.meters?.json ?? null,
    targetResults,
  };
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/bench.json", `${JSON.stringify(results, null, 2)}\n`);
  console.log(`Saved bench/results/bench.json`);
}

await main();
