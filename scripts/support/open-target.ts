// Where an operator's CLI (keys, aggregates, db:prune) does its work: on the database the
// configuration names, or through a running server. The embedded PGlite folder is held by one
// process at a time (src/server/db/embedded-folder.ts), so while the app holds it the CLI asks
// the app instead, over its tRPC API at localServerUrl (PORT, with ADMIN_TOKEN when access
// control is on); `--url` asks a given server. Going through the app changes nothing for the
// operator, so nothing is said about the lock then; it is said when it changes what happens:
// the folder is held and no server answers where the CLI looks.
import { createTRPCClient, httpLink, TRPCClientError, type TRPCClient } from "@trpc/client";
import type { AppRouter } from "../../src/server/api/root";
import { defaultPgliteDataDir, type Config } from "../../src/server/config";
import { databaseOptionsFrom, openDatabase, type Database, type DatabaseOptions } from "../../src/server/db/database";
import { folderHolder, holdsDatabase, PgliteDataDirError, PgliteDataDirInUseError } from "../../src/server/db/embedded-folder";
import { errorSummary } from "../../src/server/errors";
import { fail } from "./cli";

export type Target = { kind: "database"; db: Database } | { kind: "server"; url: string; api: TRPCClient<AppRouter> };

/** The app on this machine, where HOST and PORT put it (a wildcard HOST: the loopback address). */
export function localServerUrl(config: Config): string {
  const host = config.HOST === "0.0.0.0" || config.HOST === "::" || config.HOST === "[::]" ? "127.0.0.1" : config.HOST.includes(":") && !config.HOST.startsWith("[") ? `[${config.HOST}]` : config.HOST;
  return `http://${host}:${config.PORT}`;
}

/** A tRPC client for the server at `url`, as the operator when ADMIN_TOKEN is set. */
export function serverApi(url: string, config: Config): TRPCClient<AppRouter> {
  const headers = config.ADMIN_TOKEN ? { authorization: `Bearer ${config.ADMIN_TOKEN}` } : undefined;
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${url.replace(/\/$/, "")}/api/trpc`, headers })] });
}

/** Why no server answers at `url` (connection refused, no such host, no answer within 5 s), or null when one does. */
export async function unreachable(url: string): Promise<string | null> {
  try {
    await fetch(`${url.replace(/\/$/, "")}/api/health`, { signal: AbortSignal.timeout(5000) });
    return null;
  } catch (err) {
    const cause = (err as { cause?: { code?: unknown } }).cause;
    return typeof cause?.code === "string" ? cause.code : errorSummary(err);
  }
}

/** What to do when no server answers at `url`: the variable (or option) that says where it is. */
export function noServerMessage(url: string, why: string, given: boolean): string {
  return given
    ? `no server answers at ${url} (${why}): check --url`
    : `no server answers at ${url} (${why}): start the app (npm start, or npm run dev), or set PORT (and HOST) to where it listens, or pass --url`;
}

/**
 * The database (one connection, `database` overriding the configured options), or the server
 * at `url`, or the local app when it holds the PGlite folder. Exits 2 with one line when
 * neither can be reached (`name` starts it), 1 when the folder cannot be used.
 */
export async function openTarget(config: Config, name: string, opts: { url?: string; database?: Partial<DatabaseOptions> } = {}): Promise<Target> {
  if (opts.url) {
    const why = await unreachable(opts.url);
    if (why) fail(`${name}: ${noServerMessage(opts.url, why, true)}`, 2);
    return { kind: "server", url: opts.url, api: serverApi(opts.url, config) };
  }
  checkDefaultFolder(config, name);
  try {
    return { kind: "database", db: openDatabase({ ...databaseOptionsFrom(config), poolSize: 1, ...opts.database }) };
  } catch (err) {
    if (err instanceof PgliteDataDirInUseError) {
      const url = localServerUrl(config);
      const why = await unreachable(url);
      if (why) {
        fail(
          `${name}: ${err.message}.\nThe CLI would ask that process instead, but no server answers at ${url} (${why}): ` +
            `if it is the app, set PORT (and HOST) to where it listens, or pass --url; if not, stop process ${err.holderPid} and run this again.`,
          2,
        );
      }
      return { kind: "server", url, api: serverApi(url, config) };
    }
    if (err instanceof PgliteDataDirError) fail(`${name}: ${err.message}`, 1);
    throw err;
  }
}

const modes = ["development", "production"] as const;

/**
 * On a mode's default PGlite folder (PGLITE_DATA_DIR unset), the mode is the one NODE_ENV
 * says, which an operator's shell may not say: a folder with no database yet is refused
 * rather than created empty, and the app holding another mode's folder is pointed out.
 */
function checkDefaultFolder(config: Config, name: string): void {
  const dir = config.PGLITE_DATA_DIR;
  if (config.DATABASE_URL || dir !== defaultPgliteDataDir(config.NODE_ENV)) return;
  const other = modes.filter((m) => m !== config.NODE_ENV).map((m) => ({ mode: m, dir: defaultPgliteDataDir(m) }));
  const running = other.find((o) => folderHolder(o.dir) !== null);
  const hint = running
    ? ` The app running as pid ${folderHolder(running.dir)} uses ${running.dir}: run this with NODE_ENV=${running.mode} to work on its data.`
    : ` NODE_ENV=${other.map((o) => `${o.mode} uses ${o.dir}`).join(", ")}; PGLITE_DATA_DIR names any folder.`;
  if (!holdsDatabase(dir)) {
    fail(`${name}: PGLITE_DATA_DIR=${dir} (the default for NODE_ENV=${config.NODE_ENV}) holds no database yet: start the app once, or run npm run db:migrate.${hint}`, 2);
  }
  if (running) process.stderr.write(`${name}: working on PGLITE_DATA_DIR=${dir} (the default for NODE_ENV=${config.NODE_ENV}).${hint}\n`);
}

/**
 * One line for what a server refused, naming what to set: a missing or wrong operator token
 * names ADMIN_TOKEN; anything else is the server's own message.
 */
export function serverRefusal(err: unknown, url: string, config: Config): string {
  if (err instanceof TRPCClientError) {
    const data = (err as TRPCClientError<AppRouter>).data as { appError?: { code?: string; message?: string } } | undefined;
    const code = data?.appError?.code;
    if (code === "UNAUTHENTICATED") {
      return config.ADMIN_TOKEN
        ? `the server at ${url} does not accept this ADMIN_TOKEN (401 UNAUTHENTICATED): set ADMIN_TOKEN to the token the server runs with`
        : `the server at ${url} needs the operator's token (401 UNAUTHENTICATED): set ADMIN_TOKEN to the token the server runs with`;
    }
    if (code) return `${data?.appError?.message ?? err.message} (${code})`;
  }
  return errorSummary(err);
}
