// What access control itself costs per request, in CPU, measured in this process where the
// load generator and PostgreSQL cannot blur it: the steps every ingest request takes with
// auth on (read the Authorization header, resolve the key through the per-instance cache,
// check the source, take from the rate-limit bucket), called back to back on the same
// database and keys the benchmarked server uses, against the same steps with auth off.
// A key is looked up in the database once per KEY_CACHE_MS per instance: the loops run on a
// warm cache and pay a lookup whenever it expires, as the server does (one lookup is also
// timed on its own). The rate limit is set too high to refuse, so its bucket is still updated
// on every call but the loop is never throttled.
import type { IncomingMessage } from "node:http";
import { KEY_CACHE_MS, findActiveKey } from "../src/server/auth/api-keys";
import { sourceForWrite } from "../src/server/auth/principal";
import { takeRateLimit } from "../src/server/auth/rate-limit";
import { loadConfig } from "../src/server/config";
import type { ServerContext } from "../src/server/context";
import { databaseOptionsFrom, openDatabase } from "../src/server/db/database";
import { requestPrincipal } from "../src/server/http/auth-http";
import { createLogger } from "../src/server/logger";

export interface AuthCpu {
  /** CPU µs per request for the auth steps: Bearer key, Basic key, auth off. */
  bearerUs: number;
  basicUs: number;
  offUs: number;
  /** Wall ms of a key lookup in the database (a cache miss: once per key per KEY_CACHE_MS), median of 20. */
  lookupMs: number;
  keyCacheMs: number;
}

const iterations = 20_000;
const repeats = 5;

/** A request as far as the auth steps read it: its method and headers. */
function fakeRequest(authorization: string | undefined): IncomingMessage {
  const headers = authorization ? { authorization } : {};
  const socket = { remoteAddress: "127.0.0.1" };
  return { method: "POST", headers, headersDistinct: authorization ? { authorization: [authorization] } : {}, socket } as unknown as IncomingMessage;
}

/** CPU µs of `iterations` calls of `step`, per call. */
async function cpuPerCall(step: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await step();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / iterations;
}

/**
 * Median CPU µs per call of each step: all are warmed up first (compiled code is measured,
 * not the JIT at work), then measured in turn, `repeats` times, so drift hits them alike.
 */
async function medianCpuPerCall(steps: (() => Promise<void>)[]): Promise<number[]> {
  for (let pass = 0; pass < 2; pass++) for (const step of steps) await cpuPerCall(step);
  const runs: number[][] = steps.map(() => []);
  for (let r = 0; r < repeats; r++) for (const [i, step] of steps.entries()) runs[i]!.push(await cpuPerCall(step));
  return runs.map((xs) => xs.sort((a, b) => a - b)[Math.floor(repeats / 2)]!);
}

/**
 * `env` is the benchmarked server's environment (auth on); `source` one of its write keys'
 * sources with that key as `Bearer` and `Basic` headers.
 */
export async function measureAuthCpu(env: Record<string, string>, source: string, key: string): Promise<AuthCpu> {
  const measured = { ...env, LOG_LEVEL: "silent", DB_POOL_SIZE: "1", RATE_LIMIT_EVENTS_PER_SECOND: "10000000", RATE_LIMIT_BURST: "10000000", AUTH_FAILURES_PER_MINUTE: "0" };
  const on = loadConfig(measured);
  const off = loadConfig({ ...measured, AUTH_REQUIRED: "false" });
  const db = openDatabase(databaseOptionsFrom(on));
  const log = createLogger("silent");
  const ctxOn: ServerContext = { db, config: on, log };
  const ctxOff: ServerContext = { db, config: off, log };
  const steps = (ctx: ServerContext, authorization?: string) => {
    const req = fakeRequest(authorization);
    return async () => {
      const principal = await requestPrincipal(req, ctx);
      sourceForWrite(principal, source);
      takeRateLimit(ctx, principal, 1);
    };
  };
  try {
    await findActiveKey(db, key); // opens the connection
    // Keys nobody issued are never in the cache, so each one is a lookup.
    const lookups: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await findActiveKey(db, `wk_unknown-${i}-${Date.now()}`);
      lookups.push(performance.now() - started);
    }
    const lookupMs = lookups.sort((a, b) => a - b)[10]!;
    const [bearerUs = 0, basicUs = 0, offUs = 0] = await medianCpuPerCall([
      steps(ctxOn, `Bearer ${key}`),
      steps(ctxOn, `Basic ${Buffer.from(`${key}:`).toString("base64")}`),
      steps(ctxOff),
    ]);
    return { bearerUs, basicUs, offUs, lookupMs, keyCacheMs: KEY_CACHE_MS };
  } finally {
    await db.close();
  }
}
