// Credentials for the suites that run the app with access control on (the fault suite and
// the benchmarks): keys are created exactly as an operator creates them, by running the real
// CLI (`scripts/keys.ts create`, what `npm run keys` runs) as a child process with the
// server's own environment, and read from the last line it prints. The operator token is
// random per run, so nothing secret is written into the repository.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { projectRoot } from "../../support/app-process";

const run = promisify(execFile);

/** A fresh operator token (ADMIN_TOKEN): 32 random bytes, 43 characters. */
export const newAdminToken = () => randomBytes(32).toString("base64url");

export interface KeyRequest {
  /** A write key for this source, or (with `read`) a read key limited to it. */
  source?: string;
  read?: boolean;
  label?: string;
}

/** Runs `keys create` against the database `env` names; returns the key it printed. */
export async function createKeyWithCli(env: Record<string, string>, request: KeyRequest): Promise<string> {
  const args = ["--import", "tsx", "scripts/keys.ts", "create"];
  if (request.read) args.push("--read");
  if (request.source !== undefined) args.push("--source", request.source);
  if (request.label !== undefined) args.push("--label", request.label);
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, args, { cwd: projectRoot, env: { ...process.env, ...env }, timeout: 120_000 }));
  } catch (err) {
    const { stderr = "", stdout: out = "" } = err as { stderr?: string; stdout?: string };
    throw new Error(`keys create ${args.slice(4).join(" ")} failed: ${(err as Error).message}\n${out}${stderr}`, { cause: err });
  }
  const key = stdout.trimEnd().split("\n").at(-1) ?? "";
  if (!/^(wk|rk)_[A-Za-z0-9_-]{43}$/.test(key)) throw new Error(`keys create printed no key on its last line:\n${stdout}`);
  return key;
}

/**
 * One write key per source, created by the CLI a few at a time (each run starts a Node
 * process and opens the database: seconds on a loaded 2-core machine).
 */
export async function createWriteKeys(
  env: Record<string, string>,
  sources: string[],
  label: string,
  concurrency = 3,
): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  const queue = [...sources];
  const worker = async () => {
    for (let source = queue.shift(); source !== undefined; source = queue.shift()) {
      keys.set(source, await createKeyWithCli(env, { source, label }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, sources.length) }, worker));
  return keys;
}

export type AuthScheme = "bearer" | "basic";

/** The Authorization header a client sends: `Bearer <key>`, or Basic with the key as user name (as analytics SDKs send it). */
export function authorizationHeader(key: string, scheme: AuthScheme = "bearer"): string {
  return scheme === "bearer" ? `Bearer ${key}` : `Basic ${Buffer.from(`${key}:`).toString("base64")}`;
}
