// npm run bench:cpu – CPU time per single-event request, split by process: the server
// (app or baseline), every PostgreSQL process, and the load generator, read from
// /proc/<pid>/stat around 8 s autocannon runs. Shows where a machine's cores go, which a
// wall-clock profile on shared cores cannot. The app is measured with access control on (a
// write key created by the keys CLI, sent as Bearer) and off, so the difference is what
// auth costs per request. Linux only. Env: BENCH_DATABASE_URL.
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { startApp } from "../e2e/support/app-process";
import { benchWriteKeys, bearerHeaders, cpuMs, freshDatabase, startAppWithAuth, startBaseline } from "./support";

function postgresCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").startsWith("postgres")) total += cpuMs(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

const autocannonBin = createRequire(import.meta.url).resolve("autocannon/autocannon.js");
const source = "client-1";
const body = JSON.stringify({ source, payload: { metric: "latency", value: 12.5, region: "eu", eventId: "[<id>]" } });

async function measure(name: string, url: string, serverPid: number, authorization?: string): Promise<void> {
  const server0 = cpuMs(serverPid);
  const pg0 = postgresCpuMs();
  const started = Date.now();
  const headers = ["-H", "content-type=application/json", ...(authorization ? ["-H", `authorization=${authorization}`] : [])];
  const child = spawn(process.execPath, [autocannonBin, "-c", "32", "-d", "8", "-m", "POST", ...headers, "-b", body, "-I", "-j", `${url}/ingest`], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  // The load generator's own CPU is read just before it exits (its /proc entry goes with it).
  let loadCpu = 0;
  const sampler = setInterval(() => (loadCpu = Math.max(loadCpu, cpuMs(child.pid!))), 100);
  await new Promise((r) => child.on("exit", r));
  clearInterval(sampler);
  const result = JSON.parse(out) as { requests: { total: number }; non2xx: number };
  const ok = result.requests.total - result.non2xx;
  const wall = (Date.now() - started) / 1000;
  const server = cpuMs(serverPid) - server0;
  const postgres = postgresCpuMs() - pg0;
  const per = (ms: number) => (ms / ok).toFixed(3).padStart(7);
  const cores = (ms: number) => (ms / 1000 / wall).toFixed(2);
  console.log(
    `${name.padEnd(12)} ${(ok / 8).toFixed(0).padStart(6)} req/s   CPU ms/request: server ${per(server)}  postgres ${per(postgres)}  load ${per(loadCpu)}` +
      `   cores: ${cores(server)} + ${cores(postgres)} + ${cores(loadCpu)}`,
  );
}

const appEnv = { SERVE_PAGES: "false", DB_POOL_SIZE: "16", LOG_LEVEL: "error" };
// One key carries all the load here (~2,000 requests/s), past the default per-key limit of
// 1000 events/s: the limit is off so every request is answered, not throttled.
const { app, env } = await startAppWithAuth({ ...appEnv, DATABASE_URL: await freshDatabase("ingest_bench_cpu_app"), RATE_LIMIT_EVENTS_PER_SECOND: "0" });
const openApp = await startApp({ ...appEnv, DATABASE_URL: await freshDatabase("ingest_bench_cpu_app_open"), AUTH_REQUIRED: "false" });
const baseline = await startBaseline(await freshDatabase("ingest_bench_cpu_baseline"), "16");
try {
  const authorization = bearerHeaders(await benchWriteKeys(env, [source])).get(source);
  for (let round = 0; round < 2; round++) {
    await measure("app auth on", app.url, app.child.pid!, authorization);
    await measure("app auth off", openApp.url, openApp.child.pid!);
    await measure("baseline", baseline.url, baseline.child.pid!);
  }
} finally {
  await app.stop();
  await openApp.stop();
  baseline.child.kill("SIGTERM");
}
