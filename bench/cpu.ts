// CPU time per process, read from /proc (Linux only): the one implementation every
// benchmark uses to split a measured window's CPU between the server under test, PostgreSQL
// and the load generator. On two shared cores a wall-clock figure says little about where
// the cores went; these do.
// - A server is its process and every live descendant (a server that forks workers is
//   measured whole). A descendant that exits inside the window takes its CPU with it.
// - PostgreSQL is the backends of the measured database plus the cluster's background
//   processes (WAL writer, checkpointer, autovacuum launcher…: `datname IS NULL`); other
//   databases' backends are left out. Background processes also work for other databases,
//   so on a shared cluster the PostgreSQL figure is an upper bound. A backend that ends
//   inside the window is lost, so keep the measured clients connected until `stop`.
// - The load generator is a pid read the same way, or a callback (this process's own
//   `process.cpuUsage()` when autocannon runs in-process).
import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";

const TICKS_PER_SECOND = 100;

/** utime + stime (fields 14 and 15 of /proc/<pid>/stat) in ms and the parent pid; null once the process is gone. */
function stat(pid: number): { cpuMs: number; ppid: number } | null {
  try {
    // The command name (field 2) may hold spaces; the fields after it start after ") ".
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return { cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND, ppid: Number(fields[1]) };
  } catch {
    return null;
  }
}

/** User + system CPU milliseconds a process has used so far (0 once it is gone). */
export function cpuMs(pid: number): number {
  return stat(pid)?.cpuMs ?? 0;
}

/** CPU ms so far of a process and all its live descendants. */
export function processTreeCpuMs(root: number): number {
  const children = new Map<number, number[]>();
  const own = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (!s) continue;
    own.set(pid, s.cpuMs);
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  }
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    total += own.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** CPU ms this process (every thread) has used so far. */
export const ownCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** CPU ms so far of each PostgreSQL process working for `databaseUrl` (see the header). */
export async function postgresCpu(databaseUrl: string): Promise<Map<number, number>> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE (datname = current_database() OR datname IS NULL) AND pid <> pg_backend_pid()",
    );
    return new Map(rows.map((r) => [r.pid, cpuMs(r.pid)]));
  } finally {
    await c.end();
  }
}

/** CPU ms PostgreSQL spent between two readings (a process that ended in between is lost). */
export function postgresCpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** CPU ms of each part over one measured window. */
export interface CpuSplit {
  /** The server under test (its process tree), or the bare-SQL driver minus its event generation. */
  app: number;
  postgres: number;
  /** The load generator; null when it cannot be told apart from the app. */
  load: number | null;
  /** Wall-clock seconds of the window. */
  wallSeconds: number;
}

export interface CpuSources {
  /** Root pid of the server under test. */
  appPid: number;
  /** The database whose backends count as PostgreSQL's share. */
  databaseUrl: string;
  /** CPU ms of the load generator so far (default: this process). */
  loadCpuMs?: () => number;
}

/** Starts a window; `stop` returns what each part used since. */
export async function startCpuWindow(sources: CpuSources): Promise<{ stop(): Promise<CpuSplit> }> {
  const loadCpu = sources.loadCpuMs ?? ownCpuMs;
  const pg0 = await postgresCpu(sources.databaseUrl);
  const app0 = processTreeCpuMs(sources.appPid);
  const load0 = loadCpu();
  const t0 = performance.now();
  return {
    async stop() {
      const app = processTreeCpuMs(sources.appPid) - app0;
      const load = loadCpu() - load0;
      const wallSeconds = (performance.now() - t0) / 1000;
      const postgres = postgresCpuSince(pg0, await postgresCpu(sources.databaseUrl));
      return { app, postgres, load, wallSeconds };
    },
  };
}

/** CPU µs per event of each part. */
export interface CpuPerEvent {
  appUs: number;
  postgresUs: number;
  loadUs: number | null;
  /** Cores busy on average over the window (all parts). */
  cores: number;
}

export function perEvent(split: CpuSplit, events: number): CpuPerEvent {
  const us = (ms: number) => (events > 0 ? (ms * 1000) / events : 0);
  return {
    appUs: us(split.app),
    postgresUs: us(split.postgres),
    loadUs: split.load === null ? null : us(split.load),
    cores: (split.app + split.postgres + (split.load ?? 0)) / 1000 / split.wallSeconds,
  };
}
