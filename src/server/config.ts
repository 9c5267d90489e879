// Configuration: every environment variable the service reads, validated once at start.
// A wrong value stops the process with a message naming the variable; nothing else in the
// code base reads process.env. Defaults are safe for a newcomer's machine.
import { existsSync } from "node:fs";
import { z } from "zod";

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const bool = z.enum(["true", "false", "1", "0", "yes", "no", "on", "off"]).transform((v) => ["true", "1", "yes", "on"].includes(v));

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().min(1).default("0.0.0.0"),
  PORT: int(3000, 0, 65535),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgresql:// (leave unset for the embedded PGlite database)")
    .optional(),
  /** Default: a folder per NODE_ENV (defaultPgliteDataDir), so development never writes production's data. */
  PGLITE_DATA_DIR: z.string().min(1).optional(),
  DB_POOL_SIZE: int(10, 1, 1000),
  DB_CONNECT_TIMEOUT_MS: int(3000, 100, 600_000),
  DB_QUERY_TIMEOUT_MS: int(5000, 100, 600_000),
  DB_TRANSACTION_TIMEOUT_MS: int(5000, 100, 600_000),
  MAX_EVENT_BYTES: int(64 * 1024, 256, 64 * 1024 * 1024),
  MAX_REQUEST_BYTES: int(1024 * 1024, 1024, 256 * 1024 * 1024),
  MAX_BATCH_EVENTS: int(500, 1, 10_000),
  /** Most tRPC calls one HTTP request may batch (the console batches a handful). */
  TRPC_MAX_BATCH_CALLS: int(10, 1, 1000),
  /** Most events coalesced into one capture + one processing transaction; 1 disables group commit. */
  GROUP_COMMIT_MAX_EVENTS: int(256, 1, 10_000),
  /** true: a group is captured and processed in one statement (one commit); false: always the two stages (capture, then processing). */
  GROUP_COMMIT_ONE_STATEMENT: bool.default(true),
  RETRY_AFTER_SECONDS: int(1, 1, 3600),
  /** Events admitted into the write path and not yet answered, per process; past it 503 OVERLOADED. */
  MAX_PENDING_EVENTS: int(2_000, 1, 10_000_000),
  /** Open client connections per process; further ones are closed on accept. */
  MAX_CONNECTIONS: int(1024, 1, 1_000_000),
  /** Open connections from one client address (IPv6: one /64); further ones from it are closed on accept. */
  MAX_CONNECTIONS_PER_ADDRESS: int(64, 1, 1_000_000),
  /** Longest time to receive a whole request (headers and body); past it 408 and the connection closed. */
  REQUEST_TIMEOUT_MS: int(10_000, 100, 600_000),
  /** Longest time to receive a request's headers. */
  HEADERS_TIMEOUT_MS: int(5_000, 100, 600_000),
  /** An idle keep-alive connection is closed after this long. */
  KEEP_ALIVE_TIMEOUT_MS: int(65_000, 100, 600_000),
  RECOVERY_ENABLED: bool.default(true),
  RECOVERY_DELAY_MS: int(5000, 0, 86_400_000),
  RECOVERY_INTERVAL_MS: int(1000, 10, 3_600_000),
  RECOVERY_MAX_ATTEMPTS: int(5, 1, 1000),
  /** Raw events older than this many days whose processing has finished are deleted by the worker; unset = keep forever. */
  RAW_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  SIMULATION_ENABLED: bool.optional(),
  /** false: answer the API only, without starting Next (API-only instances, benchmarks). */
  SERVE_PAGES: bool.default(true),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** A listener of its own for GET /metrics, without credentials (0: any free port); unset: /metrics on PORT only. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** After a stop signal: readiness answers 503 and requests are still served this long; default 5000 in production, else 0. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).optional(),
  /** After the grace: longest wait for the requests still running before their connections are cut. */
  SHUTDOWN_TIMEOUT_MS: int(10_000, 0, 600_000),
  /** Access control; default: on in production, off in development and test. */
  AUTH_REQUIRED: bool.optional(),
  /** The operator's token (Bearer, or the console's sign-in). */
  ADMIN_TOKEN: z.string().min(1).optional(),
  /** Wrong credentials (a sign-in, a key) one client address may send per minute before its attempts are refused 429; 0 = no limit. */
  AUTH_FAILURES_PER_MINUTE: int(10, 0, 1_000_000),
  /** Access control off: the Host names served besides localhost, the loopback and bound addresses (comma-separated; `*` = any). */
  ALLOWED_HOSTS: z
    .string()
    .default("")
    .transform((s) => s.split(",").map((h) => h.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^(\*|[a-z0-9_.-]+|\[?[0-9a-f:.]+\]?)$/, "must list host names or addresses, without scheme or port (e.g. ingest.example.com,10.0.0.5)"))),
  /** Per write key and instance; 0 = no limit. */
  RATE_LIMIT_EVENTS_PER_SECOND: int(1000, 0, 10_000_000),
  RATE_LIMIT_BURST: int(5000, 1, 10_000_000),
  /** true: an event without a key (Idempotency-Key, eventId, an SDK's messageId/uuid) is refused 422 EVENT_KEY_REQUIRED, not identified by its content. */
  REQUIRE_EVENT_KEY: bool.default(false),
  /** Analytics SDK messages: the properties whose first finite number is an event's value (else 1). */
  SDK_VALUE_PROPERTIES: z
    .string()
    .default("value,revenue")
    .transform((s) => s.split(",").map((p) => p.trim()).filter(Boolean))
    .pipe(z.array(z.string()).min(1, "must name at least one property, comma-separated")),
  /** Largest SDK message (Segment's limit); a single-call route answers 413 past it, a batch rejects that message. */
  SDK_MAX_MESSAGE_BYTES: int(32 * 1024, 256, 64 * 1024 * 1024),
  /** Largest SDK request body, inflated (Segment's limit). */
  SDK_MAX_REQUEST_BYTES: int(500 * 1024, 1024, 256 * 1024 * 1024),
});

/** Every variable the service reads (the README and .env.example must list each). */
export const configKeys = Object.keys(envSchema.shape);

export const configSchema = envSchema
  .transform(({ SIMULATION_ENABLED, AUTH_REQUIRED, SHUTDOWN_GRACE_MS, PGLITE_DATA_DIR, ...rest }) => ({
    ...rest,
    PGLITE_DATA_DIR: PGLITE_DATA_DIR ?? defaultPgliteDataDir(rest.NODE_ENV),
    // Load balancers need a few seconds to notice readiness going 503; a developer's Ctrl-C none.
    SHUTDOWN_GRACE_MS: SHUTDOWN_GRACE_MS ?? (rest.NODE_ENV === "production" ? 5000 : 0),
    // Failure simulation is a development and test tool: off in production unless an
    // operator turns it on explicitly.
    SIMULATION_ENABLED: SIMULATION_ENABLED ?? rest.NODE_ENV !== "production",
    // Closed by default where clients we do not control can reach it; open on a developer's
    // machine so the quickstart stays two commands.
    AUTH_REQUIRED: AUTH_REQUIRED ?? rest.NODE_ENV === "production",
  }))
  .superRefine((c, issues) => {
    // A full batch must fit in an empty backlog, or it would be refused with a retryable 503 forever.
    if (c.MAX_PENDING_EVENTS < c.MAX_BATCH_EVENTS) {
      issues.addIssue({
        code: "custom",
        path: ["MAX_PENDING_EVENTS"],
        message: `must be at least MAX_BATCH_EVENTS (${c.MAX_BATCH_EVENTS})`,
      });
    }
    // Node refuses a headers timeout longer than the whole-request timeout.
    if (c.HEADERS_TIMEOUT_MS > c.REQUEST_TIMEOUT_MS) {
      issues.addIssue({
        code: "custom",
        path: ["HEADERS_TIMEOUT_MS"],
        message: `must be at most REQUEST_TIMEOUT_MS (${c.REQUEST_TIMEOUT_MS})`,
      });
    }
    if (c.METRICS_PORT !== undefined && c.METRICS_PORT !== 0 && c.METRICS_PORT === c.PORT) {
      issues.addIssue({ code: "custom", path: ["METRICS_PORT"], message: `must differ from PORT (${c.PORT})` });
    }
    const weak = c.ADMIN_TOKEN !== undefined && c.ADMIN_TOKEN.length < 32;
    if (c.AUTH_REQUIRED && (weak || (c.ADMIN_TOKEN === undefined && c.NODE_ENV === "production"))) {
      issues.addIssue({
        code: "custom",
        path: ["ADMIN_TOKEN"],
        message: "must be set to at least 32 characters when AUTH_REQUIRED is on in production (e.g. `openssl rand -base64 32`)",
      });
    }
    if (c.RATE_LIMIT_EVENTS_PER_SECOND > 0 && c.RATE_LIMIT_BURST < c.MAX_BATCH_EVENTS) {
      issues.addIssue({ code: "custom", path: ["RATE_LIMIT_BURST"], message: `must be at least MAX_BATCH_EVENTS (${c.MAX_BATCH_EVENTS}), or a full batch could never be sent` });
    }
  });

export type Config = z.infer<typeof configSchema>;

/**
 * The embedded database's folder when PGLITE_DATA_DIR is unset: one per NODE_ENV
 * (`.data/development`, `.data/production`, `.data/test`), so `npm run dev` and `npm start` in
 * one checkout never share data. Earlier versions used LEGACY_PGLITE_DATA_DIR for every mode.
 */
export function defaultPgliteDataDir(nodeEnv: z.infer<typeof envSchema>["NODE_ENV"]): string {
  return `.data/${nodeEnv}`;
}

/** The default folder of every mode before each mode had its own; the start points at it while it holds a database (service.ts). */
export const LEGACY_PGLITE_DATA_DIR = ".data/pglite";

/** Parses `env`, throwing one error that names every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

/**
 * The environment of this process: its own variables, plus those of a `.env` file in the
 * working directory that it does not set itself (real variables win). The file is read into
 * process.env, so child processes see the same. Every entry point reads it this way: the
 * server, each script, and prisma.config.ts.
 */
export function loadProcessEnv(): NodeJS.ProcessEnv {
  if (existsSync(".env")) process.loadEnvFile(".env");
  return process.env;
}

/** The configuration of this process: an optional .env file (real variables win), validated. */
export function loadProcessConfig(): Config {
  return loadConfig(loadProcessEnv());
}

/**
 * DATABASE_URL alone, checked by the same rule as at start (unset or empty: the embedded
 * PGlite), for a tool that needs nothing else (the Prisma CLI): a setting it does not use
 * cannot stop it.
 */
export function databaseUrlFrom(env: Record<string, string | undefined>): string | undefined {
  const parsed = envSchema.shape.DATABASE_URL.safeParse(env.DATABASE_URL || undefined);
  if (!parsed.success) throw new Error(`Invalid configuration:\n  DATABASE_URL: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}
