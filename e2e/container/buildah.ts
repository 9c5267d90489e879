// The container suite's tools: buildah (builds and runs images without a daemon, with
// `--isolation chroot`, which needs no cgroups) and debootstrap (a Debian root file system, for
// a stand-in of the official Node image where no registry image can be pulled).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, collecting what it printed; `check` throws unless it exits 0. */
export async function run(cmd: string, args: string[], opts: { check?: boolean; input?: string } = {}): Promise<Ran> {
  const child = spawn(cmd, args, { stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  const [code] = (await once(child, "close")) as [number | null];
  if (opts.check !== false && code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${stderr.slice(-4000)}${stdout.slice(-2000)}`);
  return { code, stdout, stderr };
}

/** What this machine lacks to run the suite, as one line naming how to get it; undefined when nothing. */
export function missingTools(): string | undefined {
  const lacking = ["buildah", "debootstrap"].filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (lacking.length) return `the container suite needs ${lacking.join(" and ")}: apt-get install ${lacking.join(" ")} (CI's .ci/run does)`;
  if (process.getuid?.() !== 0) return "the container suite runs buildah and debootstrap as root (CI does)";
  return undefined;
}

export async function imageExists(name: string): Promise<boolean> {
  return (await run("buildah", ["inspect", "--type", "image", name], { check: false })).code === 0;
}

/**
 * A stand-in for `node:20-bookworm-slim`: Debian bookworm (debootstrap's minbase, which has
 * bash, useradd and the C++ runtime node links against) with this machine's Node.js binary and
 * npm under /usr/local, as the official image lays them out. Made once per Node version.
 */
export async function buildStandInBase(name: string, workDir: string, log: (line: string) => void): Promise<void> {
  const rootfs = join(workDir, "rootfs");
  const mirror = process.env.DEBIAN_MIRROR ?? "http://deb.debian.org/debian";
  const started = Date.now();
  await run("debootstrap", ["--variant=minbase", "bookworm", rootfs, mirror]);
  log(`debootstrap --variant=minbase bookworm: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const npmDir = join(dirname(process.execPath), "..", "lib", "node_modules", "npm");
  if (!existsSync(join(npmDir, "bin", "npm-cli.js"))) throw new Error(`npm not found beside ${process.execPath} (looked in ${npmDir})`);
  await run("install", ["-D", "-m", "0755", process.execPath, join(rootfs, "usr/local/bin/node")]);
  await run("mkdir", ["-p", join(rootfs, "usr/local/lib/node_modules")]);
  await run("cp", ["-a", npmDir, join(rootfs, "usr/local/lib/node_modules/npm")]);
  await run("ln", ["-sf", "../lib/node_modules/npm/bin/npm-cli.js", join(rootfs, "usr/local/bin/npm")]);
  await run("ln", ["-sf", "../lib/node_modules/npm/bin/npx-cli.js", join(rootfs, "usr/local/bin/npx")]);
  const tarball = join(workDir, "rootfs.tar");
  await run("tar", ["-C", rootfs, "-cf", tarball, "."]);
  const ctr = (await run("buildah", ["from", "scratch"])).stdout.trim();
  try {
    await run("buildah", ["add", ctr, tarball, "/"]);
    await run("buildah", ["config", "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--cmd", "node", ctr]);
    await run("buildah", ["commit", "--quiet", ctr, name]);
  } finally {
    await run("buildah", ["rm", ctr], { check: false });
  }
  log(`stand-in base ${name} (Debian bookworm minbase + node ${process.version}) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** The parts of an image's configuration the suite checks (buildah inspect, Docker format). */
export interface ImageConfig {
  User?: string;
  Cmd?: string[];
  Entrypoint?: string[] | null;
  Env?: string[];
  ExposedPorts?: Record<string, unknown>;
  StopSignal?: string;
  WorkingDir?: string;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
}

export async function imageConfig(name: string): Promise<ImageConfig> {
  const inspected = JSON.parse((await run("buildah", ["inspect", "--type", "image", name])).stdout) as { Docker?: { config?: ImageConfig } };
  return inspected.Docker?.config ?? {};
}

/** A running `buildah run` of a working container, with what it printed. */
export interface RunningContainer {
  process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export function runInContainer(ctr: string, env: Record<string, string>, command: string[]): RunningContainer {
  const args = ["run", "--isolation", "chroot", ...Object.entries(env).flatMap(([k, v]) => ["--env", `${k}=${v}`]), ctr, "--", ...command];
  const child = spawn("buildah", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return { process: child, output: () => out, exited };
}

/** Every process below `pid` (from /proc), with its command line. */
export function descendants(pid: number): { pid: number; argv: string[] }[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // The process ended while it was read.
    }
  }
  const below: { pid: number; argv: string[] }[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid !== parent) continue;
      let argv: string[];
      try {
        argv = readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0").filter(Boolean);
      } catch {
        continue;
      }
      below.push({ pid: child, argv });
      walk(child);
    }
  };
  walk(pid);
  return below;
}
