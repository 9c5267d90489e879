// Where an operator's CLI (keys, aggregates) does its work: on the database the configuration
// names, or through a running server. The embedded PGlite folder is held by one process at a
// time (src/server/db/embedded-folder.ts), so while the server holds it the CLI asks that
// server instead, over its tRPC API at http://127.0.0.1:$PORT with ADMIN_TOKEN (when access
// control is on); `--url` asks a given server.
import { createTRPCClient, httpLink, type TRPCClient } from "@trpc/client";
import type { AppRouter } from "../../src/server/api/root";
import type { Config } from "../../src/server/config";
import { databaseOptionsFrom, openDatabase, type Database, type DatabaseOptions } from "../../src/server/db/database";
import { PgliteDataDirInUseError } from "../../src/server/db/embedded-folder";

export type Target = { kind: "database"; db: Database } | { kind: "server"; url: string; api: TRPCClient<AppRouter> };

/** A tRPC client for the server at `url`, as the operator when ADMIN_TOKEN is set. */
export function serverApi(url: string, config: Config): TRPCClient<AppRouter> {
  const headers = config.ADMIN_TOKEN ? { authorization: `Bearer ${config.ADMIN_TOKEN}` } : undefined;
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${url.replace(/\/$/, "")}/api/trpc`, headers })] });
}

/**
 * The database (one connection, `database` overriding the configured options), or the server
 * at `url`, or the local server when it holds the PGlite folder (said on stderr).
 */
export async function openTarget(config: Config, opts: { url?: string; database?: Partial<DatabaseOptions> } = {}): Promise<Target> {
  if (opts.url) return { kind: "server", url: opts.url, api: serverApi(opts.url, config) };
  try {
    return { kind: "database", db: openDatabase({ ...databaseOptionsFrom(config), poolSize: 1, ...opts.database }) };
  } catch (err) {
    if (!(err instanceof PgliteDataDirInUseError)) throw err;
    const url = `http://127.0.0.1:${config.PORT}`;
    process.stderr.write(`${err.message}\nAsking the running server at ${url} instead.\n`);
    return { kind: "server", url, api: serverApi(url, config) };
  }
}
