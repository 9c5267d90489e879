// npm run bench:profile – where the time goes: runs the API server in this process under
// the V8 CPU profiler while autocannon (a child process) loads POST /ingest, then prints
// self time by package and by function, and saves the .cpuprofile (open it in Chrome
// DevTools). Env: BENCH_DATABASE_URL, BENCH_SECONDS (default 10), BENCH_CONNECTIONS (32),
// BENCH_PATH=batch to profile POST /ingest/batch (BENCH_BATCH_SIZE events, default 200),
// LOG_LEVEL (default info, the production default: the access log goes to stdout).
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { loadConfig } from "../src/server/config";
import { databaseOptionsFrom, openDatabase } from "../src/server/db/database";
import { migrate } from "../src/server/db/migrate";
import { createAppServer } from "../src/server/http/server";
import { createLogger } from "../src/server/logger";
import { freshDatabase } from "./support";

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);

const config = loadConfig({ NODE_ENV: "production", AUTH_REQUIRED: "false", LOG_LEVEL: process.env.LOG_LEVEL ?? "info", DATABASE_URL: await freshDatabase("ingest_bench_profile"), DB_POOL_SIZE: "16" });
const db = openDatabase(databaseOptionsFrom(config));
await migrate(db);
const server = createAppServer({ db, config, log: createLogger(config.LOG_LEVEL) });
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const { port } = server.address() as AddressInfo;

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.start");

const autocannonBin = createRequire(import.meta.url).resolve("autocannon/autocannon.js");
const batch = process.env.BENCH_PATH === "batch";
const event = (k: string) => ({ source: "client-1", payload: { metric: "latency", value: 12.5, region: "eu", eventId: `[<id>]${k}` } });
const batchSize = Number(process.env.BENCH_BATCH_SIZE ?? 200);
const body = JSON.stringify(batch ? { events: Array.from({ length: batchSize }, (_, k) => event(`-${k}`)) } : event(""));
const child = spawn(process.execPath, [autocannonBin, "-c", String(batch ? 8 : connections), "-d", String(seconds), "-m", "POST", "-H", "content-type=application/json", "-b", body, "-I", `http://127.0.0.1:${port}/ingest${batch ? "/batch" : ""}`], {
  stdio: ["ignore", "inherit", "inherit"],
});
await new Promise((r) => child.on("exit", r));

const { profile } = await session.post("Profiler.stop");
server.close();
await db.close();

mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/ingest.cpuprofile", JSON.stringify(profile));

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples?.forEach((s, i) => self.set(s, (self.get(s) ?? 0) + (profile.timeDeltas?.[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byPackage = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const [id, t] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const pkg = url.includes("node_modules/") ? url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, "$1") : url ? url.replace(/^file:\/\/.*?\/(src|bench|test)\//, "$1/") : `(${functionName || "native"})`;
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + t);
  const fn = `${functionName || "(anonymous)"}  ${pkg}:${lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + t);
}
const top = (m: Map<string, number>, n: number) =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `  ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`).join("\n");
console.log(`\nCPU self time of the server process by package (${(total / 1e6).toFixed(1)} s sampled):\n${top(byPackage, 20)}`);
console.log(`\nTop functions:\n${top(byFunction, 25)}\n\nSaved bench/results/ingest.cpuprofile`);
