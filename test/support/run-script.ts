// Running one of the project's scripts as a real process, as an operator would, until it
// exits: its exit code and everything it printed.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { projectRoot } from "../../e2e/support/app-process";

/** Runs a script as a real process until it exits (120 s at most); its exit code and everything it printed. */
export async function runToExit(script: string, env: Record<string, string>, opts: { uid?: number; args?: string[] } = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...(opts.args ?? [])], {
    cwd: projectRoot,
    env: { ...process.env, NODE_ENV: "production", AUTH_REQUIRED: "false", LOG_LEVEL: "warn", HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  // A process that wrongly starts would run forever: end it, and the assertions fail.
  const deadline = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(deadline);
  return { code, stderr, stdout };
}
