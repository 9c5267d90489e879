// Configuration: every environment variable the service reads, validated once at start.
// A wrong value stops the process with a message naming the variable; nothing else in the
// code base reads process.env. Defaults are safe for a newcomer's machine.
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
  PGLITE_DATA_DIR: z.string().min(1).default(".data/pglite"),
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
  RETRY_AFTER_SECONDS: int(1, 1, 3600),
  /** Events admitted into the write path and not yet answered, per process; past it 503 OVERLOADED. */
  MAX_PENDING_EVENTS: int(2_000, 1, 10_000_000),
  /** Open client connections per process; further ones are closed on accept. */
  MAX_CONNECTIONS: int(1024, 1, 1_000_000),
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
  SIMULATION_ENABLED: bool.optional(),
  /** false: answer the API only, without starting Next (API-only instances, benchmarks). */
  SERVE_PAGES: bool.default(true),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
});

/** Every variable the service reads (the README and .env.example must list each). */
export const configKeys = Object.keys(envSchema.shape);

export const configSchema = envSchema
  .transform(({ SIMULATION_ENABLED, ...rest }) => ({
    ...rest,
    // Failure simulation is a development and test tool: off in production unless an
    // operator turns it on explicitly.
    SIMULATION_ENABLED: SIMULATION_ENABLED ?? rest.NODE_ENV !== "production",
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
  });

export type Config = z.infer<typeof configSchema>;

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
