// npm run bench:cpu – CPU time per single-event request, split by process: the server
// (app or baseline), every PostgreSQL process, and the load generator, read from
// /proc/<pid>/stat around 8 s autocannon runs. Shows where a machine's cores go, which a
// wall-clock profile on shared cores cannot. Linux only. Env: BENCH_DATABASE_URL.
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { startApp } from "../e2e/support/app-process";
import { freshDatabase, startBaseline } from "./support";

const TICKS_PER_SECOND = 100;

/** User + system CPU milliseconds a process has used so far (0 once it is gone). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

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
const body = JSON.stringify({ source: "client-1", payload: { metric: "latency", value: 12.5, region: "eu", eventId: "[<id>]" } });

async function measure(name: string, url: string, serverPid: number): Promise<void> {
  const server0 = cpuMs(serverPid);
  const pg0 = postgresCpuMs();
  const started = Date.now();
  const child = spawn(process.execPath, [autocannonBin, "-c", "32", "-d", "8", "-m", "POST", "-H", "content-type=application/json", "-b", body, "-I", "-j", `${url}/ingest`], {
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
    `${name.padEnd(10)} ${(ok / 8).toFixed(0).padStart(6)} req/s   CPU ms/request: server ${per(server)}  postgres ${per(postgres)}  load ${per(loadCpu)}` +
      `   cores: ${cores(server)} + ${cores(postgres)} + ${cores(loadCpu)}`,
  );
}

const app = await startApp({ DATABASE_URL: await freshDatabase("ingest_bench_cpu_app"), SERVE_PAGES: "false", DB_POOL_SIZE: "16", LOG_LEVEL: "error" });
const baseline = await startBaseline(await freshDatabase("ingest_bench_cpu_baseline"), "16");
try {
  for (let round = 0; round < 2; round++) {
    await measure("app", app.url, app.child.pid!);
    await measure("baseline", baseline.url, baseline.child.pid!);
  }
} finally {
  await app.stop();
  baseline.child.kill("SIGTERM");
}
