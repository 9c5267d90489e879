// Running one of the project's scripts as a real process, as an operator would: until it exits
// (its exit code and everything it printed), or in the background for a test to watch and stop.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { isAbsolute, join } from "node:path";
import { projectRoot } from "../../e2e/support/app-process";

export interface ScriptOptions {
  uid?: number;
  args?: string[];
  /** Working directory (default: the project's root), where the script looks for `.env`. */
  cwd?: string;
  /** Written to the script's standard input, then closed. */
  input?: string;
}

/** tsx's loader by absolute path, so a script runs from any working directory. */
const tsxLoader = createRequire(import.meta.url).resolve("tsx");

/** The variables a script runs with: this process's, the defaults below, then `env` (undefined removes one). */
export type ScriptEnv = Record<string, string | undefined>;

function spawnScript(script: string, env: ScriptEnv, opts: ScriptOptions): ChildProcess {
  const merged = { ...process.env, NODE_ENV: "production", AUTH_REQUIRED: "false", LOG_LEVEL: "warn", HOST: "127.0.0.1", PORT: "0", ...env };
  const child = spawn(process.execPath, ["--import", tsxLoader, isAbsolute(script) ? script : join(projectRoot, script), ...(opts.args ?? [])], {
    cwd: opts.cwd ?? projectRoot,
    env: Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
    stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  });
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  return child;
}

/** Runs a script as a real process until it exits (120 s at most); its exit code and everything it printed. */
export async function runToExit(script: string, env: ScriptEnv, opts: ScriptOptions = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawnScript(script, env, opts);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  // A process that wrongly starts would run forever: end it, and the assertions fail.
  const deadline = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(deadline);
  return { code, stderr, stdout };
}

export interface RunningScript {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr apart. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout + stderr; rejects if the process exits first or `timeoutMs` passes. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` (default SIGTERM) and waits for the exit; the exit code (null when killed by the signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a script in the background. */
export function startScript(script: string, env: ScriptEnv, opts: ScriptOptions = {}): RunningScript {
  const child = spawnScript(script, env, opts);
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  const changed = () => waiters.forEach((w) => w());
  child.stdout!.on("data", (d: Buffer) => ((out += d.toString()), changed()));
  child.stderr!.on("data", (d: Buffer) => ((err += d.toString()), changed()));
  const exited = once(child, "exit") as Promise<[number | null]>;
  exited.catch(() => {}); // a spawn error surfaces in waitFor and stop
  child.once("exit", changed);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = (out + err).match(pattern);
          if (match) done(() => resolve(match));
          else if (child.exitCode !== null || child.signalCode !== null) done(() => reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${out}${err}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}${err}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      }),
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code] = await exited;
      return code;
    },
  };
}
