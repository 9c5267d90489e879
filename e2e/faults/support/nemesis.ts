// The nemesis: a fixed schedule of faults, one after another and combined, each healed
// before the next after a short quiet period so traffic makes progress in between:
// PostgreSQL killed (immediate shutdown) and restarted, PostgreSQL frozen (SIGSTOP on the
// postmaster and its children), app instances SIGKILLed and restarted, latency, cut
// connections and partitions on the app↔database TCP proxy. Durations are the schedule
// (the point is to hold a fault for that long), not synchronisation: healing steps await
// their condition (PostgreSQL accepting connections, an app ready).
import type { AppInstance } from "./app-fleet";
import type { PgCluster } from "./pg-cluster";
import type { TcpProxy } from "./tcp-proxy";
import { seededRandom } from "../../support/seeded-random";

export interface NemesisTarget {
  cluster: PgCluster;
  proxy: TcpProxy;
  apps: AppInstance[];
}

export interface NemesisRecord {
  op: string;
  startMs: number;
  endMs: number;
}

interface Step {
  op: string;
  run(t: NemesisTarget): Promise<void>;
}

const hold = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function killApps(t: NemesisTarget, indexes: number[], downMs: number): Promise<void> {
  const apps = indexes.map((i) => t.apps[i]).filter((a): a is AppInstance => a !== undefined);
  await Promise.all(apps.map((a) => a.kill()));
  await hold(downMs);
  await Promise.all(apps.map((a) => a.start()));
}

async function restartPostgres(t: NemesisTarget, downMs: number): Promise<void> {
  await t.cluster.stopImmediate();
  await hold(downMs);
  await t.cluster.start();
}

async function freeze(t: NemesisTarget, ms: number): Promise<void> {
  t.cluster.freeze();
  try {
    await hold(ms);
  } finally {
    t.cluster.thaw();
  }
}

async function latency(t: NemesisTarget, delayMs: number, forMs: number): Promise<void> {
  t.proxy.setDelay(delayMs);
  try {
    await hold(forMs);
  } finally {
    t.proxy.setDelay(0);
  }
}

async function cuts(t: NemesisTarget, times: number, everyMs: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    t.proxy.cutAll();
    await hold(everyMs);
  }
}

async function partition(t: NemesisTarget, forMs: number): Promise<void> {
  t.proxy.setRefusing(true);
  t.proxy.cutAll();
  try {
    await hold(forMs);
  } finally {
    t.proxy.setRefusing(false);
  }
}

/** The schedule the suite runs (about 70–90 s on a 2-core machine, app restarts included). */
export const schedule: Step[] = [
  { op: "kill PostgreSQL (immediate), down 3 s, restart", run: (t) => restartPostgres(t, 3000) },
  { op: "SIGKILL app-1, restart", run: (t) => killApps(t, [0], 500) },
  { op: "freeze PostgreSQL 5 s (SIGSTOP postmaster + backends)", run: (t) => freeze(t, 5000) },
  { op: "latency 200 ms per chunk for 5 s", run: (t) => latency(t, 200, 5000) },
  { op: "cut every app↔db connection, 5 times 500 ms apart", run: (t) => cuts(t, 5, 500) },
  { op: "latency 2500 ms per chunk (beyond the query timeout) for 4 s", run: (t) => latency(t, 2500, 4000) },
  { op: "partition app↔db for 3 s", run: (t) => partition(t, 3000) },
  {
    op: "kill PostgreSQL AND SIGKILL app-2 together",
    run: (t) => Promise.all([restartPostgres(t, 2000), killApps(t, [1], 2500)]).then(() => undefined),
  },
  {
    op: "freeze PostgreSQL 4 s AND cut every connection during it",
    run: (t) => Promise.all([freeze(t, 4000), hold(1500).then(() => cuts(t, 2, 1000))]).then(() => undefined),
  },
  { op: "SIGKILL app-1 and app-3 at once, restart", run: (t) => killApps(t, [0, 2], 500) },
  {
    op: "latency 100 ms AND repeated cuts for 4 s",
    run: (t) => Promise.all([latency(t, 100, 4000), cuts(t, 4, 1000)]).then(() => undefined),
  },
  {
    op: "freeze PostgreSQL 3 s AND SIGKILL app-2 during it",
    run: (t) => Promise.all([freeze(t, 3000), hold(1000).then(() => t.apps[1]?.kill())]).then(() => t.apps[1]?.start()),
  },
  { op: "kill PostgreSQL (immediate), down 2 s, restart", run: (t) => restartPostgres(t, 2000) },
];

export function shuffled<T>(items: T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * Runs the schedule `rounds` times with `quietMs` of healthy time after each step: the
 * first round in the order above, later rounds shuffled by `seed` (printed, so a failing
 * order can be replayed with FAULTS_SEED). Returns the log.
 */
export async function runNemesis(t: NemesisTarget, opts: { quietMs: number; rounds: number; seed: number }, log: (line: string) => void): Promise<NemesisRecord[]> {
  const origin = Date.now();
  const records: NemesisRecord[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const steps = round === 0 ? schedule : shuffled(schedule, opts.seed + round);
    log(`[nemesis] round ${round + 1} of ${opts.rounds}${round === 0 ? "" : ` (shuffled, seed ${opts.seed + round})`}`);
    for (const step of steps) {
      const startMs = Date.now() - origin;
      log(`[nemesis] +${(startMs / 1000).toFixed(1)}s ${step.op}`);
      await step.run(t);
      records.push({ op: step.op, startMs, endMs: Date.now() - origin });
      await hold(opts.quietMs);
    }
  }
  return records;
}

/** Undoes anything a failed step may have left behind. */
export async function healAll(t: NemesisTarget): Promise<void> {
  t.cluster.thaw();
  t.proxy.setDelay(0);
  t.proxy.setRefusing(false);
  await t.cluster.start().catch(() => {}); // already running: pg_ctl refuses, fine
  await Promise.all(t.apps.filter((a) => !a.running).map((a) => a.start()));
}
