// What `npm run bench` reports: a measured window per side and round, a line per side over
// its rounds (events/s, latency, CPU per event of each part), the tables it prints and the
// verdict of each target.
import { perEvent, type CpuPerEvent, type CpuSplit } from "./cpu";

/** What one side did in one measured window. */
export interface Window {
  /** Events answered 2xx (or, for the bare SQL, groups committed × their events). */
  events: number;
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  cpu: CpuSplit;
}

/** One line of the report: a side over every round. */
export interface Line {
  name: string;
  eventsPerSec: number;
  requestsPerSec: number;
  /** Mean of the rounds' p50; the worst round's p99. */
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  cpuPerEvent: CpuPerEvent;
  windows: Window[];
}

export function summarize(name: string, windows: Window[]): Line {
  const sum = (f: (w: Window) => number) => windows.reduce((s, w) => s + f(w), 0);
  const cpu: CpuSplit = {
    app: sum((w) => w.cpu.app),
    postgres: sum((w) => w.cpu.postgres),
    load: windows.every((w) => w.cpu.load !== null) ? sum((w) => w.cpu.load ?? 0) : null,
    wallSeconds: sum((w) => w.cpu.wallSeconds),
  };
  return {
    name,
    eventsPerSec: sum((w) => w.events) / sum((w) => w.seconds),
    requestsPerSec: sum((w) => w.requests) / sum((w) => w.seconds),
    p50: sum((w) => w.p50) / windows.length,
    p99: Math.max(...windows.map((w) => w.p99)),
    errors: sum((w) => w.errors),
    non2xx: sum((w) => w.non2xx),
    cpuPerEvent: perEvent(
      cpu,
      sum((w) => w.events),
    ),
    windows,
  };
}

export const nameWidth = 46;
export const int = (n: number) => Math.round(n).toLocaleString("en");
export const ms = (n: number) => `${n.toFixed(1)} ms`;
export const ratio = (n: number) => `×${n.toFixed(2)}`;
const us = (n: number | null) => (n === null ? "—" : n.toFixed(n < 100 ? 1 : 0));

export function header(): string {
  return (
    `${"".padEnd(nameWidth)}${"events/s".padStart(10)}${"p50".padStart(10)}${"p99".padStart(10)}${"vs base".padStart(9)}` +
    `   ${"CPU µs per event: server".padStart(24)}${"postgres".padStart(10)}${"load".padStart(8)}${"cores".padStart(7)}`
  );
}

export function row(line: Line, base?: Line): string {
  const c = line.cpuPerEvent;
  const problems = line.errors + line.non2xx > 0 ? `   (errors ${line.errors}, non-2xx ${line.non2xx})` : "";
  return (
    `${line.name.padEnd(nameWidth)}${int(line.eventsPerSec).padStart(10)}${ms(line.p50).padStart(10)}${ms(line.p99).padStart(10)}` +
    `${(base ? ratio(line.eventsPerSec / base.eventsPerSec) : "").padStart(9)}   ${us(c.appUs).padStart(24)}${us(c.postgresUs).padStart(10)}${us(c.loadUs).padStart(8)}` +
    `${c.cores.toFixed(2).padStart(7)}${problems}`
  );
}

export interface TargetResult {
  target: string;
  goal: string;
  measured: string;
  verdict: "PASS" | "FAIL" | "NOT RUN";
  note?: string;
}

/** PASS only when the goal is met and none of the lines it rests on saw an error. */
export function verdict(met: boolean, lines: Line[]): Pick<TargetResult, "verdict" | "note"> {
  const problems = lines.reduce((s, l) => s + l.errors + l.non2xx, 0);
  if (problems > 0) return { verdict: "FAIL", note: `${problems} failed requests on its lines` };
  return { verdict: met ? "PASS" : "FAIL" };
}

/**
 * The CPU-bound ceiling of a throughput ratio, from one run's own figures. With every process
 * on the same cores and the cores saturated, events/s is inversely proportional to the total
 * CPU per event. Keep the app's PostgreSQL and load-generator CPU per event as measured and
 * give the app's process only what `base`'s own process (a baseline doing nothing but forward
 * to PostgreSQL) spends: that total against `base`'s is the best ratio this design can reach
 * on this machine. `budgetUs` is what the app's process could spend per event for `goal`.
 */
export interface Ceiling {
  bestRatio: number;
  leanServerUs: number;
  budgetUs: number;
  appServerUs: number;
}

const totalUs = (c: CpuPerEvent) => c.appUs + c.postgresUs + (c.loadUs ?? 0);

export function ceiling(app: Line, base: Line, goal: number): Ceiling {
  const a = app.cpuPerEvent;
  const fixedUs = a.postgresUs + (a.loadUs ?? 0);
  return {
    bestRatio: totalUs(base.cpuPerEvent) / (fixedUs + base.cpuPerEvent.appUs),
    leanServerUs: base.cpuPerEvent.appUs,
    budgetUs: totalUs(base.cpuPerEvent) / goal - fixedUs,
    appServerUs: a.appUs,
  };
}

export function ceilingLine(c: Ceiling, goal: number, leanName: string): string {
  return (
    `ceiling: with the app's process as cheap as ${leanName} (${us(c.leanServerUs)} µs per event) and PostgreSQL and the load as measured, ` +
    `at best ${ratio(c.bestRatio)}; ${ratio(goal)} needs the app's process at ${c.budgetUs > 0 ? `≤ ${us(c.budgetUs)} µs` : "less than nothing"} per event (measured: ${us(c.appServerUs)} µs)`
  );
}
