// The one error type domain code throws, and the one table that maps its codes to HTTP
// statuses and tRPC codes. Every error body the service sends has the same shape:
//   { "error": { "code": "...", "message": "...", "field": "payload.value", "retryable": false } }
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server";

export const errorTable = {
  INVALID_JSON: { status: 400, trpc: "PARSE_ERROR", retryable: false },
  INVALID_ENVELOPE: { status: 400, trpc: "BAD_REQUEST", retryable: false },
  SIMULATION_DISABLED: { status: 403, trpc: "FORBIDDEN", retryable: false },
  NOT_FOUND: { status: 404, trpc: "NOT_FOUND", retryable: false },
  METHOD_NOT_ALLOWED: { status: 405, trpc: "METHOD_NOT_SUPPORTED", retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, trpc: "PAYLOAD_TOO_LARGE", retryable: false },
  INVALID_EVENT: { status: 422, trpc: "UNPROCESSABLE_CONTENT", retryable: false },
  IDEMPOTENCY_KEY_REUSED: { status: 422, trpc: "UNPROCESSABLE_CONTENT", retryable: false },
  INTERNAL: { status: 500, trpc: "INTERNAL_SERVER_ERROR", retryable: true },
  DATABASE_UNAVAILABLE: { status: 503, trpc: "SERVICE_UNAVAILABLE", retryable: true },
  SIMULATED_FAILURE: { status: 503, trpc: "SERVICE_UNAVAILABLE", retryable: true },
  OVERLOADED: { status: 503, trpc: "SERVICE_UNAVAILABLE", retryable: true },
  // Never delivered: the client closed its connection before its events were captured.
  CLIENT_CLOSED: { status: 499, trpc: "CLIENT_CLOSED_REQUEST", retryable: true },
} as const satisfies Record<string, { status: number; trpc: TRPC_ERROR_CODE_KEY; retryable: boolean }>;

export type AppErrorCode = keyof typeof errorTable;

export interface ErrorBody {
  error: { code: AppErrorCode; message: string; field?: string; retryable: boolean };
}

export class AppError extends Error {
  readonly code: AppErrorCode;
  /** Dotted path of the input field at fault, when one is. */
  readonly field?: string;

  constructor(code: AppErrorCode, message: string, opts: { field?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.field = opts.field;
  }

  get status(): number {
    return errorTable[this.code].status;
  }

  toBody(): ErrorBody {
    const { retryable } = errorTable[this.code];
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}), retryable } };
  }
}

/**
 * Anything else escaping the write path is a database or infrastructure failure: the
 * client should retry, and retrying is safe because every step is idempotent. A
 * JavaScript error (a bug, a stack overflow) is reported as what it is, 500.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof RangeError || err instanceof TypeError || err instanceof SyntaxError || err instanceof ReferenceError) {
    return new AppError("INTERNAL", `Internal error (${errorSummary(err)})`, { cause: err });
  }
  return new AppError("DATABASE_UNAVAILABLE", `The database is unavailable, retry later (${errorSummary(err)})`, { cause: err });
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
 * True when the database answered with an error about the data or the transaction
 * (SQLSTATE classes 22 data, 23 integrity, 40 rollback/deadlock, 42 schema, P0 raised):
 * the same work will fail the same way, so retrying it event by event can isolate it,
 * and a worker may give up on it. Connection loss, timeouts and outages are not.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } } | null)?.meta?.driverAdapterError?.cause?.originalCode;
  if (typeof code === "string") return /^(22|23|40|42|P0)/.test(code);
  return !/connect|terminat|timeout|timed out|ECONN|EPIPE|closed|Connection|pool|unavailable/i.test(errorSummary(err));
}
