// What a failed database call means, decided from what the database and its drivers say:
// the SQLSTATE when the server answered (both Prisma adapters keep it as `originalCode`;
// pg's and PGlite's own errors carry it as `code`), else the driver's error codes, else —
// for the few pg / pg-pool / PGlite errors that carry no code at all — their fixed texts.
// One classification serves the HTTP answer (errors.ts), the write path's fallback, the
// recovery worker and readiness, so they never disagree about an error.

export type DatabaseErrorKind =
  /** Permissions, missing tables or columns, credentials, database name: fails until an operator acts. */
  | "misconfigured"
  /** Connection refused or lost, timeouts, server starting or shutting down, out of resources. */
  | "unavailable"
  /** Serialization failure or deadlock: the same work may succeed when tried again. */
  | "conflict"
  /** The database refused this work for what it is (data, constraint, raised error, bad SQL). */
  | "data"
  /** Not a database error we recognise (a bug in the caller, most likely). */
  | "unknown";

/** SQLSTATEs that name a setup an operator must fix, with what to tell them. */
const misconfiguredStates: Record<string, string> = {
  "42501": "permission denied",
  "42P01": "a table is missing (migrations not applied to this database?)",
  "42703": "a column is missing (migrations not applied to this database?)",
  "42704": "a type or object is missing (migrations not applied to this database?)",
  "42883": "a function is missing",
  "3D000": "the database named in DATABASE_URL does not exist",
  "3F000": "the schema does not exist",
  "25006": "the database is read-only (a standby, or default_transaction_read_only)",
  "28000": "the database refused this role (no such role, or pg_hba.conf)",
  "28P01": "the database rejected the password in DATABASE_URL",
};

/** Prisma's own codes for failures without a SQLSTATE. */
const prismaUnavailable = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028"]);
const prismaMisconfigured = new Set(["P1000", "P1003", "P1010"]);
/** Driver-adapter kinds (both adapters) for failures without a SQLSTATE. */
const adapterUnavailable = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "TransactionAlreadyClosed"]);
const adapterMisconfigured = new Set(["TlsConnectionError", "AuthenticationFailed", "DatabaseAccessDenied", "DatabaseDoesNotExist"]);
/** Node's socket errors. */
const socketErrors = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED"]);
/**
 * pg, pg-pool and PGlite raise these as bare `Error`s with no code (pg/lib/client.js,
 * pg-pool/index.js, PGlite's close()); they all mean the connection is gone or never came.
 */
const driverConnectionTexts = [
  "timeout exceeded when trying to connect",
  "Connection terminated",
  "timeout expired",
  "Query read timeout",
  "is not queryable",
  "Cannot use a pool after calling end on the pool",
  "PGlite is closed",
];

interface ErrorLike {
  code?: unknown;
  severity?: unknown;
  message?: unknown;
  cause?: unknown;
  /** A driver adapter's error payload (DriverAdapterError's `cause`). */
  kind?: unknown;
  originalCode?: unknown;
  meta?: { driverAdapterError?: { cause?: unknown } };
}

/** The SQLSTATE the database answered with, if it answered. */
export function sqlStateOf(err: unknown): string | undefined {
  for (const e of chain(err)) {
    const original = e.originalCode;
    if (typeof original === "string" && /^[0-9A-Z]{5}$/.test(original)) return original;
    // pg's and PGlite's DatabaseError: a five-character code next to a severity (Node's own
    // codes, like EPIPE, have none).
    if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === "string") return e.code;
  }
  return undefined;
}

export function classifyDatabaseError(err: unknown): DatabaseErrorKind {
  const state = sqlStateOf(err);
  if (state) return classifySqlState(state);
  for (const e of chain(err)) {
    const kind = e.kind;
    if (typeof kind === "string") {
      if (adapterUnavailable.has(kind)) return "unavailable";
      if (adapterMisconfigured.has(kind)) return "misconfigured";
    }
    if (typeof e.code === "string") {
      if (prismaUnavailable.has(e.code) || socketErrors.has(e.code)) return "unavailable";
      if (prismaMisconfigured.has(e.code)) return "misconfigured";
    }
    if (typeof e.message === "string" && driverConnectionTexts.some((t) => (e.message as string).includes(t))) return "unavailable";
  }
  return "unknown";
}

export function classifySqlState(state: string): DatabaseErrorKind {
  if (state in misconfiguredStates || state.startsWith("28")) return "misconfigured";
  // 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown,
  // statement timeout, cannot connect now), 58 system error, 55P03 lock not available.
  if (/^(08|53|57|58)/.test(state) || state === "55P03") return "unavailable";
  if (/^40/.test(state)) return "conflict";
  return "data";
}

/** What an operator should know about a misconfiguration SQLSTATE (no names from the database). */
export function misconfigurationReason(state: string | undefined): string {
  const known = state ? (misconfiguredStates[state] ?? (state.startsWith("28") ? misconfiguredStates["28000"] : undefined)) : undefined;
  return `${known ?? "the database refused the connection settings"}${state ? ` (SQLSTATE ${state})` : ""}`;
}

/**
 * The error and its causes, outermost first, with the driver adapter's payload where Prisma
 * keeps it (`meta.driverAdapterError.cause`); a DriverAdapterError thrown as is (a failed
 * COMMIT) has it as its own `cause`. Bounded: causes can be cyclic.
 */
function* chain(err: unknown): Generator<ErrorLike> {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && typeof e === "object" && e !== null; depth++) {
    const current = e as ErrorLike;
    yield current;
    const payload = current.meta?.driverAdapterError?.cause;
    if (typeof payload === "object" && payload !== null) yield payload as ErrorLike;
    e = current.cause;
  }
}
