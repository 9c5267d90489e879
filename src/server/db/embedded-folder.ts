// The embedded database's folder (PGLITE_DATA_DIR): made usable, and held by one process
// at a time. PGlite keeps its buffers and WAL inside each process, so two processes on one
// folder each think they own it and overwrite each other's writes (acknowledged events
// vanish). A process therefore holds the folder through `ingest.lock` in it, a file naming
// its pid; another process refuses to start while that pid is alive, and takes over a lock
// whose holder died (a SIGKILLed holder cannot remove its file).
// Written here rather than with proper-lockfile: its staleness is an mtime refreshed on a
// timer, so a SIGKILLed holder blocks restarts until the lock goes stale, and a holder whose
// event loop stalls longer than that (PGlite's WASM work is synchronous) is declared dead
// while alive; checking the pid has neither problem.
// Invariants: the lock file appears complete or not at all (written aside, then hard-linked
// into place, which fails if one exists); a holder is identified by pid and, on Linux, the
// process's start time, so a reused pid is not mistaken for it. The pids are one machine's:
// a folder shared between machines over a network file system is not protected.
import { randomUUID } from "node:crypto";
import { accessSync, constants, existsSync, linkSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";

/** A PGLITE_DATA_DIR the process cannot use; its message is one line naming the variable. */
export class PgliteDataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PgliteDataDirError";
  }
}

/** The folder is held by another live process (a running server): a CLI can ask that server instead. */
export class PgliteDataDirInUseError extends PgliteDataDirError {
  constructor(
    message: string,
    readonly holderPid: number,
  ) {
    super(message);
    this.name = "PgliteDataDirInUseError";
  }
}

export interface PgliteDirLock {
  /** Removes the lock file if it is still ours; idempotent. */
  release(): void;
}

export const LOCK_FILE = "ingest.lock";

/** The local path of a PGLITE_DATA_DIR (`file://` taken off). */
export const folderPath = (dataDir: string) => resolve(dataDir.startsWith("file://") ? dataDir.slice("file://".length) : dataDir);

/** Whether the folder holds a PGlite database already (a folder no process has opened yet does not). */
export function holdsDatabase(dataDir: string): boolean {
  return !dataDir.startsWith("memory://") && existsSync(join(folderPath(dataDir), "PG_VERSION"));
}

interface LockRecord {
  pid: number;
  /** /proc/<pid>/stat start time (Linux), null elsewhere. */
  startTime: string | null;
  host: string;
  since: string;
  token: string;
}

/** Folders this process holds (by real path): a second open in the same process is refused too. */
const heldHere = new Set<string>();

/** Creates the folder if needed, checks it is usable, and takes its lock. */
export function claimPgliteDataDir(dataDir: string): PgliteDirLock {
  const dir = folderPath(dataDir);
  const fail = (reason: string) => new PgliteDataDirError(`PGLITE_DATA_DIR=${dataDir} cannot be used: ${reason}`);
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw fail("it is a file, not a folder");
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    throw err instanceof PgliteDataDirError ? err : fail(fsReason(err, dir));
  }
  const real = realpathSync(dir);
  if (heldHere.has(real)) throw fail("this process has it open already");
  let held: { lockPath: string; token: string };
  try {
    held = takeLock(dir, dataDir);
  } catch (err) {
    throw err instanceof PgliteDataDirError ? err : fail(fsReason(err, dir));
  }
  heldHere.add(real);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    heldHere.delete(real);
    process.off("exit", release);
    try {
      // Only our own lock: a file another process wrote after a takeover stays.
      if (parseRecord(readText(held.lockPath))?.token === held.token) rmSync(held.lockPath, { force: true });
    } catch {
      // Left behind, it is taken over as soon as this process is gone.
    }
  };
  // A crash still runs 'exit' handlers; only SIGKILL leaves the file, and the pid check covers it.
  process.on("exit", release);
  return { release };
}

function takeLock(dir: string, dataDir: string): { lockPath: string; token: string } {
  const lockPath = join(dir, LOCK_FILE);
  const token = randomUUID();
  const record: LockRecord = { pid: process.pid, startTime: procStat(process.pid)?.startTime ?? null, host: hostname(), since: new Date().toISOString(), token };
  const text = JSON.stringify(record);
  for (let attempt = 0; attempt < 5; attempt++) {
    const tmp = join(dir, `${LOCK_FILE}.${token}.tmp`);
    writeFileSync(tmp, text, { flag: "wx" });
    try {
      linkSync(tmp, lockPath);
      return { lockPath, token };
    } catch (err) {
      if (codeOf(err) !== "EEXIST") throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
    const seen = readText(lockPath);
    if (seen === undefined) continue;
    const holder = parseRecord(seen);
    if (holder && holderIsAlive(holder)) {
      throw new PgliteDataDirInUseError(
        `PGLITE_DATA_DIR=${dataDir} is in use by another process (pid ${holder.pid} on ${holder.host}, since ${holder.since}); ` +
          `two processes on one PGlite folder lose each other's writes: stop that process, or give this one another PGLITE_DATA_DIR ` +
          `(several instances need DATABASE_URL)`,
        holder.pid,
      );
    }
    // The holder is dead. Move its file aside; if what moved is not what we judged (another
    // process took over in between), put that back: it is the holder now.
    const aside = join(dir, `${LOCK_FILE}.${token}.stale`);
    try {
      renameSync(lockPath, aside);
    } catch (err) {
      if (codeOf(err) === "ENOENT") continue;
      throw err;
    }
    if (readText(aside) !== seen) {
      try {
        linkSync(aside, lockPath);
      } catch {
        // A third process linked its own lock meanwhile: it holds the folder.
      }
    }
    rmSync(aside, { force: true });
  }
  throw new PgliteDataDirError(`PGLITE_DATA_DIR=${dataDir} cannot be used: its lock file ${lockPath} keeps changing (other processes starting?)`);
}

/** The pid of the live process holding the folder, without taking it; null when none does. */
export function folderHolder(dataDir: string): number | null {
  if (dataDir.startsWith("memory://")) return null;
  try {
    const holder = parseRecord(readText(join(folderPath(dataDir), LOCK_FILE)));
    return holder && holderIsAlive(holder) ? holder.pid : null;
  } catch {
    return null;
  }
}

function holderIsAlive(holder: LockRecord): boolean {
  // Not held in this process (heldHere says so): a previous process that had our pid.
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    // EPERM: alive, owned by another user.
    if (codeOf(err) === "ESRCH") return false;
  }
  const stat = procStat(holder.pid);
  if (!stat) return true;
  // A zombie has died (its parent has not reaped it yet); the pid alive but started at
  // another time was reused by a process that is not the holder.
  if (stat.state === "Z" || stat.state === "X") return false;
  return holder.startTime === null || stat.startTime === holder.startTime;
}

/** State and start time (clock ticks since boot) from /proc/<pid>/stat; null off Linux. */
function procStat(pid: number): { state: string; startTime: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2 (the command) is in parentheses and may hold spaces: count from after it,
    // where field 3 is the state and field 22 the start time.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] && fields[19] ? { state: fields[0], startTime: fields[19] } : null;
  } catch {
    return null;
  }
}

function parseRecord(text: string | undefined): LockRecord | null {
  try {
    const r = JSON.parse(text ?? "") as Partial<LockRecord>;
    if (!Number.isSafeInteger(r.pid) || (r.pid as number) <= 0 || typeof r.token !== "string") return null;
    return { pid: r.pid as number, startTime: typeof r.startTime === "string" ? r.startTime : null, host: String(r.host), since: String(r.since), token: r.token };
  } catch {
    return null;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if (codeOf(err) === "ENOENT") return undefined;
    throw err;
  }
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Why a folder operation failed, in words (the error's own message as the fallback). */
function fsReason(err: unknown, dir: string): string {
  const code = codeOf(err);
  if (code === "ENOTDIR" || code === "EEXIST") {
    // Name the part of the path that is a file.
    for (let p = dir; p !== dirname(p); p = dirname(p)) {
      try {
        if (!statSync(p).isDirectory()) return `${p} is a file, not a folder (${code})`;
      } catch {
        // does not exist: look further up
      }
    }
  }
  if (code === "EACCES" || code === "EPERM") return `permission denied: this process cannot create, read and write that folder (${code})`;
  if (code === "EROFS") return "the file system is read-only (EROFS)";
  if (code === "ENOSPC") return "the disk is full (ENOSPC)";
  return err instanceof Error ? err.message : String(err);
}
