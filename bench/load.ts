// How a side is loaded for one measured window, and what the window measures: autocannon
// against a server over HTTP, or the bare-SQL driver, each inside a CPU window (bench/cpu.ts).
import autocannon from "autocannon";
import type { GroupCommitBaseline } from "./baseline-group-commit";
import { startCpuWindow } from "./cpu";
import type { Window } from "./report";
import type { BatchWorkload, SingleEventWorkload } from "./workload";

/** A server under test over HTTP: where to send, whose CPU to read, whose database. */
export interface HttpSide {
  url: string;
  pid: number;
  databaseUrl: string;
}

export async function httpWindow(
  side: HttpSide,
  requests: autocannon.Request[],
  eventsPerRequest: number,
  duration: number,
  connections: number,
): Promise<Window> {
  const cpu = await startCpuWindow({ appPid: side.pid, databaseUrl: side.databaseUrl });
  const result = await autocannon({ url: side.url, connections, duration, requests, timeout: 30 });
  const split = await cpu.stop();
  return {
    events: (result.requests.total - result.non2xx) * eventsPerRequest,
    requests: result.requests.total,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    cpu: split,
  };
}

export async function driverWindow(driver: GroupCommitBaseline, databaseUrl: string, duration: number): Promise<Window> {
  const cpu = await startCpuWindow({ appPid: driver.pid, databaseUrl, loadCpuMs: () => 0 });
  const w = await driver.run(duration);
  const split = await cpu.stop();
  return {
    events: w.events,
    requests: w.groups,
    seconds: w.seconds,
    p50: w.p50,
    p99: w.p99,
    errors: w.errors,
    non2xx: 0,
    // The driver generates its own load: that part of its CPU is the load generator's.
    cpu: { ...split, app: split.app - w.generateCpuMs, load: w.generateCpuMs },
  };
}

/** Authorization header per source; none for the baselines and the app with auth off. */
export type Authorizations = Map<string, string> | undefined;

const withAuthorization = (headers: Record<string, string>, auth: Authorizations, source: string): Record<string, string> => {
  const authorization = auth?.get(source);
  return authorization ? { ...headers, authorization } : headers;
};

export function singleEventRequests(workload: SingleEventWorkload, auth: Authorizations): autocannon.Request[] {
  return [
    {
      method: "POST",
      path: "/ingest",
      setupRequest: (req) => {
        const e = workload.take();
        return {
          ...req,
          body: e.body,
          headers: withAuthorization({ "content-type": "application/json", "idempotency-key": e.key }, auth, e.source),
        };
      },
    },
  ];
}

export function batchRequests(workload: BatchWorkload, auth: Authorizations): autocannon.Request[] {
  return [
    {
      method: "POST",
      path: "/ingest/batch",
      setupRequest: (req) => {
        const { source, events } = workload.take();
        return {
          ...req,
          body: JSON.stringify({ events }),
          headers: withAuthorization({ "content-type": "application/json" }, auth, source),
        };
      },
    },
  ];
}

/** Runs every side once per round, in turn, the order reversed every other round. */
export async function alternate(rounds: number, sides: (() => Promise<Window>)[]): Promise<Window[][]> {
  const out: Window[][] = sides.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const order = sides.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) out[i]!.push(await sides[i]!());
  }
  return out;
}
