// One database handle for the whole process: a Prisma client over either a real
// PostgreSQL server (@prisma/adapter-pg, bounded pool and timeouts) or the embedded PGlite
// (no DATABASE_URL). Everything above this module sees the same `Database` and runs the
// same code on both.
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../../generated/prisma/client";
import type { Config } from "../config";
import { claimPgliteDataDir } from "./embedded-folder";

export type Prisma = PrismaClient;

export interface DatabaseOptions {
  /** postgresql://… for a real server; undefined for the embedded PGlite. */
  url?: string;
  /** PGlite data folder, or `memory://` for a throwaway in-memory database. */
  pgliteDataDir: string;
  /**
   * A PGlite data folder as a tarball (PGlite's `dumpDataDir()`) to start from instead of
   * running initdb: the tests clone one migrated template per database this way.
   */
  pgliteLoadDataDir?: Blob;
  poolSize: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  transactionTimeoutMs: number;
}

export interface Database {
  readonly kind: "postgresql" | "pglite";
  readonly prisma: Prisma;
  /** Runs a multi-statement SQL script outside Prisma (migrations, test setup). */
  execScript(sql: string): Promise<void>;
  /**
   * Runs one parameterized statement ($1, $2, … as Prisma.Sql's `text` writes them) on the
   * driver itself, outside Prisma, in autocommit, and returns its rows as the driver reads
   * them (pg: int8 as a string; PGlite: as a bigint). Only for the write path's group
   * statement: there Prisma's handling of the parameters and rows was about 10% of a
   * batch's CPU (bench:profile), for nothing this statement needs.
   */
  query(text: string, values: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /**
   * Runs `fn` on one dedicated connection (session-level locks need one); `query` runs
   * a SQL script there and returns the rows of its last statement.
   */
  withSession<T>(fn: (query: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T>;
  /** Timeouts every `prisma.$transaction` call should pass. */
  readonly transactionOptions: { maxWait: number; timeout: number };
  /** The connection pool's state (metrics); null on PGlite, which is one in-process connection. */
  poolStats(): PoolStats | null;
  close(): Promise<void>;
}

export interface PoolStats {
  max: number;
  /** Connections open, idle or lent. */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

/** The database options the validated configuration names. */
export function databaseOptionsFrom(config: Config): DatabaseOptions {
  return {
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    poolSize: config.DB_POOL_SIZE,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    queryTimeoutMs: config.DB_QUERY_TIMEOUT_MS,
    transactionTimeoutMs: config.DB_TRANSACTION_TIMEOUT_MS,
  };
}

export function openDatabase(opts: DatabaseOptions): Database {
  const transactionOptions = { maxWait: opts.connectTimeoutMs, timeout: opts.transactionTimeoutMs };
  if (opts.url) {
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize,
      connectionTimeoutMillis: opts.connectTimeoutMs,
      // Both the server-side and the client-side bound: a frozen server must not hang a
      // request past the documented timeout.
      statement_timeout: opts.queryTimeoutMs,
      query_timeout: opts.queryTimeoutMs + 500,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      // JIT off for this service's sessions: its queries are short, and the aggregates
      // series' cost estimate crosses jit_above_cost, where PostgreSQL spent 25–100 ms
      // compiling a 2 ms query (bench:windows). Set as a startup option: no extra round trip.
      options: "-c jit=off",
    });
    // An idle client losing its connection (database restarted) must not crash the
    // process; the pool drops it and the next checkout opens a fresh one.
    pool.on("error", () => {});
    // A connection handed back in an unknown state — a query still running after its
    // client-side timeout fired, or a transaction left open because its ROLLBACK timed out
    // in the queue (Prisma's adapter releases transaction connections without an error) —
    // must never serve the next borrower: its statements would run inside the abandoned
    // transaction and its COMMIT would commit the abandoned half (e2e/faults found a
    // processed event committed without its raw event marked). Closing it makes the
    // server roll that transaction back; the pool drops it (`end()` marks it ending).
    pool.on("release", (_err, client) => {
      const state = client as pg.PoolClient & { readyForQuery?: boolean };
      if (state.readyForQuery !== true || client.getTransactionStatus() !== "I") void client.end().catch(() => {});
    });
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    return {
      kind: "postgresql",
      prisma,
      transactionOptions,
      poolStats: () => ({ max: opts.poolSize, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      async execScript(sql) {
        await this.withSession((query) => query(sql));
      },
      async query(text, values) {
        return (await pool.query<Record<string, unknown>>(text, values as unknown[])).rows;
      },
      async withSession(fn) {
        const client = await pool.connect();
        let broken: Error | undefined;
        try {
          return await fn(async (sql) => {
            const res = (await client.query(sql)) as pg.QueryResult | pg.QueryResult[];
            const last = Array.isArray(res) ? res[res.length - 1] : res;
            return (last?.rows ?? []) as Record<string, unknown>[];
          });
        } catch (err) {
          broken = err instanceof Error ? err : new Error(String(err));
          throw err;
        } finally {
          // A connection that failed mid-session may hold session state (locks): discard it.
          client.release(broken);
        }
      },
      async close() {
        await prisma.$disconnect();
        await pool.end();
      },
    };
  }
  // Throws PgliteDataDirError (one line naming PGLITE_DATA_DIR) when the folder is unusable
  // or another live process holds it.
  const lock = opts.pgliteDataDir.startsWith("memory://") ? undefined : claimPgliteDataDir(opts.pgliteDataDir);
  let lite: PGlite;
  try {
    lite = new PGlite(opts.pgliteDataDir, opts.pgliteLoadDataDir ? { loadDataDir: opts.pgliteLoadDataDir } : {});
  } catch (err) {
    lock?.release();
    throw err;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(lite) });
  return {
    kind: "pglite",
    prisma,
    transactionOptions,
    poolStats: () => null,
    async execScript(sql) {
      await lite.exec(sql);
    },
    async query(text, values) {
      return (await lite.query<Record<string, unknown>>(text, values as unknown[])).rows;
    },
    async withSession(fn) {
      return fn(async (sql) => {
        const results = await lite.exec(sql);
        return (results[results.length - 1]?.rows ?? []) as Record<string, unknown>[];
      });
    },
    async close() {
      try {
        await prisma.$disconnect();
        await lite.close();
      } finally {
        lock?.release();
      }
    },
  };
}
