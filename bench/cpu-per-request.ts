// npm run bench:cpu – CPU time per single-event request, split by process: the server
// (app or baseline), PostgreSQL (the backends of the measured database and the server's
// background processes: WAL writer, checkpointer…; not other databases' backends nor other
// PostgreSQL clusters, which on a shared machine come and go), and the load generator, read from
// /proc/<pid>/stat around 8 s autocannon runs (bench/cpu.ts, as `npm run bench` reads it). Shows where a machine's cores go, which a
// wall-clock profile on shared cores cannot. The app is measured with access control on (a
// write key created by the keys CLI, sent as Bearer) and off, so the difference is what
// auth costs per request. Linux only. Env: BENCH_DATABASE_URL.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { cpuMs, perEvent, startCpuWindow } from "./cpu";
import { benchWriteKeys, bearerHeaders, freshDatabase, startAppWithAuth, startBaseline, startBenchApp } from "./support";

const autocannonBin = createRequire(import.meta.url).resolve("autocannon/autocannon.js");
const source = "client-1";
const body = JSON.stringify({ source, payload: { metric: "latency", value: 12.5, region: "eu", eventId: "[<id>]" } });

async function measure(name: string, url: string, serverPid: number, databaseUrl: string, authorization?: string): Promise<void> {
  // The load generator's own CPU is read just before it exits (its /proc entry goes with it).
  let loadCpu = 0;
  const window = await startCpuWindow({ appPid: serverPid, databaseUrl, loadCpuMs: () => loadCpu });
  const headers = ["-H", "content-type=application/json", ...(authorization ? ["-H", `authorization=${authorization}`] : [])];
  const child = spawn(
    process.execPath,
    [autocannonBin, "-c", "32", "-d", "8", "-m", "POST", ...headers, "-b", body, "-I", "-j", `${url}/ingest`],
    {
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  const sampler = setInterval(() => (loadCpu = Math.max(loadCpu, cpuMs(child.pid!))), 100);
  await new Promise((r) => child.on("exit", r));
  clearInterval(sampler);
  const split = await window.stop();
  const result = JSON.parse(out) as { requests: { total: number }; non2xx: number };
  const ok = result.requests.total - result.non2xx;
  const cpu = perEvent(split, ok);
  const per = (us: number | null) => ((us ?? 0) / 1000).toFixed(3).padStart(7);
  const cores = (ms: number | null) => ((ms ?? 0) / 1000 / split.wallSeconds).toFixed(2);
  console.log(
    `${name.padEnd(12)} ${(ok / 8).toFixed(0).padStart(6)} req/s   CPU ms/request: server ${per(cpu.appUs)}  postgres ${per(cpu.postgresUs)}  load ${per(cpu.loadUs)}` +
      `   cores: ${cores(split.app)} + ${cores(split.postgres)} + ${cores(split.load)}`,
  );
}

const appEnv = { SERVE_PAGES: "false", DB_POOL_SIZE: "16" };
// One key carries all the load here (~2,000 requests/s), past the default per-key limit of
// 1000 events/s: the limit is off so every request is answered, not throttled.
const [appDb, openDb, baselineDb] = [
  await freshDatabase("ingest_bench_cpu_app"),
  await freshDatabase("ingest_bench_cpu_app_open"),
  await freshDatabase("ingest_bench_cpu_baseline"),
];
const { app, env } = await startAppWithAuth({ ...appEnv, DATABASE_URL: appDb, RATE_LIMIT_EVENTS_PER_SECOND: "0" });
const openApp = await startBenchApp({ ...appEnv, DATABASE_URL: openDb, AUTH_REQUIRED: "false" });
const baseline = await startBaseline(baselineDb, "16");
try {
  const authorization = bearerHeaders(await benchWriteKeys(env, [source])).get(source);
  for (let round = 0; round < 2; round++) {
    await measure("app auth on", app.url, app.child.pid!, appDb, authorization);
    await measure("app auth off", openApp.url, openApp.child.pid!, openDb);
    await measure("baseline", baseline.url, baseline.child.pid!, baselineDb);
  }
} finally {
  await app.stop();
  await openApp.stop();
  baseline.child.kill("SIGTERM");
}
