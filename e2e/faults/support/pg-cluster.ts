// A throwaway PostgreSQL cluster owned by the fault suite, so the nemesis can kill and
// freeze a server without touching the machine's shared one: initdb into a temp dir (as
// the `postgres` OS user when we run as root), trust auth, a free port on 127.0.0.1, its
// unix socket inside the temp dir. Only processes whose pid comes from THIS cluster's
// postmaster.pid (and their children) are ever signalled. A process-exit hook thaws and
// stops the cluster even when a test dies half-way.
import { execFile, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "../../support/app-process";

const run = promisify(execFile);

/** PostgreSQL 15's binaries (Debian layout); PG_BIN overrides. */
export function pgBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const preferred = "/usr/lib/postgresql/15/bin";
  if (existsSync(preferred)) return preferred;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions[0]) return join(root, versions[0], "bin");
  throw new Error("No PostgreSQL binaries found: install postgresql (15) or set PG_BIN");
}

const asRoot = process.getuid?.() === 0;

/** argv that runs a PostgreSQL binary as the `postgres` user when we are root. */
function pgCommand(bin: string, args: string[]): [string, string[]] {
  const path = join(pgBinDir(), bin);
  return asRoot ? ["runuser", ["-u", "postgres", "--", path, ...args]] : [path, args];
}

function ownerIds(): { uid: number; gid: number } | undefined {
  if (!asRoot) return undefined;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined) throw new Error("running as root but there is no `postgres` OS user to run PostgreSQL as");
  return { uid: Number(uid), gid: Number(gid) };
}

export interface PgCluster {
  readonly port: number;
  readonly dir: string;
  /** postgresql://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** pg_ctl start, waiting until it accepts connections (crash recovery included). */
  start(): Promise<void>;
  /** pg_ctl -m immediate stop: every backend dies at once, no checkpoint (a crash). */
  stopImmediate(): Promise<void>;
  /** SIGSTOP the postmaster, then every child it has (backends, checkpointer, …). */
  freeze(): number[];
  /** SIGCONT everything freeze() stopped. */
  thaw(): void;
  readonly frozen: boolean;
  createDatabase(name: string): Promise<string>;
  /** Thaws, stops and deletes the cluster. */
  destroy(): Promise<void>;
  /** The server log so far (for failure messages). */
  log(): string;
}

const live = new Set<PgCluster>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of live) {
      try {
        c.thaw();
      } catch {
        // best effort
      }
      const [cmd, args] = pgCommand("pg_ctl", ["-D", join(c.dir, "data"), "-m", "immediate", "-w", "stop"]);
      spawnSync(cmd, args, { stdio: "ignore", timeout: 10_000 });
      rmSync(c.dir, { recursive: true, force: true });
    }
  });
}

/** Children of `pid`, read from /proc (no external tools). */
function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid …; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[1]) === pid) kids.push(Number(entry));
  }
  return kids;
}

export async function startCluster(): Promise<PgCluster> {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), "ingest-faults-pg-"));
  const owner = ownerIds();
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const dataDir = join(dir, "data");
  const logFile = join(dir, "postgres.log");
  const port = await freePort();
  const exec = async (bin: string, args: string[], timeoutMs = 60_000) => {
    const [cmd, argv] = pgCommand(bin, args);
    await run(cmd, argv, { timeout: timeoutMs });
  };
  await exec("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);

  const serverOptions = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    "-c max_connections=200",
    // Quick restarts after an immediate stop; fsync stays on.
    "-c shared_buffers=32MB",
  ].join(" ");

  let stopped: number[] = [];
  const cluster: PgCluster = {
    port,
    dir,
    url: (database = "postgres") => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      await exec("pg_ctl", ["-D", dataDir, "-o", serverOptions, "-l", logFile, "-w", "-t", "60", "start"]);
    },
    async stopImmediate() {
      cluster.thaw();
      await exec("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "-t", "60", "stop"]);
    },
    freeze() {
      const postmaster = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
      if (!Number.isInteger(postmaster) || postmaster <= 1) throw new Error("no postmaster pid to freeze");
      // The postmaster first, so it cannot fork a backend we would miss.
      process.kill(postmaster, "SIGSTOP");
      stopped = [postmaster];
      for (const child of childrenOf(postmaster)) {
        try {
          process.kill(child, "SIGSTOP");
          stopped.push(child);
        } catch {
          // exited between listing and signalling
        }
      }
      return stopped;
    },
    thaw() {
      // Children first, the postmaster last (the reverse of freeze).
      for (const pid of [...stopped].reverse()) {
        try {
          process.kill(pid, "SIGCONT");
        } catch {
          // already gone
        }
      }
      stopped = [];
    },
    get frozen() {
      return stopped.length > 0;
    },
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: cluster.url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return cluster.url(name);
    },
    async destroy() {
      cluster.thaw();
      await exec("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]).catch(() => {});
      live.delete(cluster);
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""),
  };
  live.add(cluster);
  await cluster.start();
  return cluster;
}
