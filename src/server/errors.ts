// The one error type domain code throws, and the one table that maps its codes to HTTP
// statuses and tRPC codes. Every error body the service sends has the same shape:
//   { "error": { "code": "...", "message": "...", "field": "payload.value", "retryable": false } }
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { classifyDatabaseError, sqlStateOf } from "./db/database-errors";

export const errorTable = {
  INVALID_JSON: { status: 400, trpc: "PARSE_ERROR", retryable: false },
  INVALID_ENVELOPE: { status: 400, trpc: "BAD_REQUEST", retryable: false },
  // A query-string parameter that is wrong (GET /aggregates' from, to, bucket, limit, …); `field` names it.
  INVALID_QUERY: { status: 400, trpc: "BAD_REQUEST", retryable: false },
  // A meter's definition that is wrong (POST/PUT /api/v1/meters); `field` names it.
  INVALID_METER: { status: 400, trpc: "BAD_REQUEST", retryable: false },
  // A live meter already has this slug.
  METER_EXISTS: { status: 409, trpc: "CONFLICT", retryable: false },
  UNAUTHENTICATED: { status: 401, trpc: "UNAUTHORIZED", retryable: false },
  FORBIDDEN: { status: 403, trpc: "FORBIDDEN", retryable: false },
  SOURCE_MISMATCH: { status: 403, trpc: "FORBIDDEN", retryable: false },
  SIMULATION_DISABLED: { status: 403, trpc: "FORBIDDEN", retryable: false },
  // Access control off: a Host the server does not serve (DNS rebinding); see http/host-check.ts.
  HOST_NOT_ALLOWED: { status: 403, trpc: "FORBIDDEN", retryable: false },
  NOT_FOUND: { status: 404, trpc: "NOT_FOUND", retryable: false },
  METHOD_NOT_ALLOWED: { status: 405, trpc: "METHOD_NOT_SUPPORTED", retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, trpc: "PAYLOAD_TOO_LARGE", retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, trpc: "UNSUPPORTED_MEDIA_TYPE", retryable: false },
  INVALID_EVENT: { status: 422, trpc: "UNPROCESSABLE_CONTENT", retryable: false },
  IDEMPOTENCY_KEY_REUSED: { status: 422, trpc: "UNPROCESSABLE_CONTENT", retryable: false },
  EVENT_KEY_REQUIRED: { status: 422, trpc: "UNPROCESSABLE_CONTENT", retryable: false },
  RATE_LIMITED: { status: 429, trpc: "TOO_MANY_REQUESTS", retryable: true },
  INTERNAL: { status: 500, trpc: "INTERNAL_SERVER_ERROR", retryable: true },
  // The database refused this one event for good (stored `failed` with the reason): the same
  // event will fail the same way, so the client must not retry it.
  EVENT_FAILED: { status: 500, trpc: "INTERNAL_SERVER_ERROR", retryable: false },
  // 500, not 503: 503 promises the failure will pass, and this one lasts until an operator
  // fixes grants, schema or credentials; so retrying the same request will not help.
  DATABASE_MISCONFIGURED: { status: 500, trpc: "INTERNAL_SERVER_ERROR", retryable: false },
  DATABASE_UNAVAILABLE: { status: 503, trpc: "SERVICE_UNAVAILABLE", retryable: true },
  SIMULATED_FAILURE: { status: 503, trpc: "SERVICE_UNAVAILABLE", retryable: true },
  OVERLOADED: { status: 503, trpc: "SERVICE_UNAVAILABLE", retryable: true },
  // A request that reaches an instance after its stop began: nothing was done, another answers.
  SHUTTING_DOWN: { status: 503, trpc: "SERVICE_UNAVAILABLE", retryable: true },
  // Never delivered: the client closed its connection before its events were captured.
  CLIENT_CLOSED: { status: 499, trpc: "CLIENT_CLOSED_REQUEST", retryable: true },
} as const satisfies Record<string, { status: number; trpc: TRPC_ERROR_CODE_KEY; retryable: boolean }>;

export type AppErrorCode = keyof typeof errorTable;

export interface ErrorBody {
  error: { code: AppErrorCode; message: string; field?: string; retryable: boolean; requestId?: string };
}

export class AppError extends Error {
  readonly code: AppErrorCode;
  /** Dotted path of the input field at fault, when one is. */
  readonly field?: string;
  /** Seconds the client should wait (Retry-After), when the error says so itself (429). */
  readonly retryAfterSeconds?: number;

  constructor(code: AppErrorCode, message: string, opts: { field?: string; cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.field = opts.field;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }

  get status(): number {
    return errorTable[this.code].status;
  }

  /** The one error body shape; `requestId` ties it to the server's log lines. */
  toBody(requestId?: string): ErrorBody {
    const { retryable } = errorTable[this.code];
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}), retryable, ...(requestId ? { requestId } : {}) } };
  }
}

/**
 * Anything else escaping the write path is classified by where it came from (see
 * classifyDatabaseError): a database that cannot be reached or timed out is an outage
 * (503, retry: every step is idempotent); a database the service may not use as it needs
 * (permissions, missing tables, credentials) is a misconfiguration an operator must fix
 * (500, retrying will not help); everything else — a bug, data the database refused — is
 * an internal error. Answers carry a fixed message: driver and SQL text go to the log only
 * (errorDetail), never to a client.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  switch (classifyDatabaseError(err)) {
    case "misconfigured":
      return new AppError("DATABASE_MISCONFIGURED", "The service cannot use its database as configured; an operator must fix it (see the server log)", { cause: err });
    case "unavailable":
    case "conflict":
      return new AppError("DATABASE_UNAVAILABLE", "The database is unavailable or timed out; retry later with the same request", { cause: err });
    default:
      return new AppError("INTERNAL", "Internal error; the details are in the server log", { cause: err });
  }
}

/**
 * One readable line for any error. Prisma's messages open with a multi-line code frame
 * ("Invalid `tx.x()` invocation in …") and put the database's own words at the end or
 * in `meta.driverAdapterError`; logs and stored reasons want those words.
 */
export function errorSummary(err: unknown): string {
  if (!(err instanceof Error)) return String(err).slice(0, 300);
  const cause = (err as { meta?: { driverAdapterError?: { cause?: { message?: unknown; originalCode?: unknown } } } }).meta?.driverAdapterError?.cause;
  if (cause && typeof cause.message === "string") {
    return `${cause.message}${typeof cause.originalCode === "string" ? ` (SQLSTATE ${cause.originalCode})` : ""}`.slice(0, 300);
  }
  const lines = err.message.split("\n").map((l) => l.trim()).filter(Boolean);
  const line = lines[0]?.startsWith("Invalid `") ? lines[lines.length - 1] : lines[0];
  return (line ?? err.name).slice(0, 300);
}

/**
 * True when the database refused the work itself (data, constraint, raised error,
 * deadlock) or failed in a way we do not recognise: the same work will fail the same way,
 * so retrying it event by event can isolate it, and a worker may give up on it. Connection
 * loss, timeouts and outages are not; nor is a misconfiguration, which says nothing about
 * the event (a worker must not use up an event's attempts on it).
 */
export function isDataError(err: unknown): boolean {
  const kind = classifyDatabaseError(err);
  return kind === "data" || kind === "conflict" || kind === "unknown";
}

/**
 * What the log needs about an error behind an answer: the innermost cause's SQLSTATE and
 * readable text (the answer itself carries only a fixed message).
 */
export function errorDetail(err: unknown): { sqlstate?: string; detail: string } {
  let root = err;
  while ((root instanceof AppError || (root instanceof Error && root.name === "TRPCError")) && root.cause !== undefined) root = root.cause;
  const sqlstate = sqlStateOf(root);
  return { ...(sqlstate ? { sqlstate } : {}), detail: errorSummary(root) };
}
