// tRPC spine: context, error shape, procedure builder. Procedures are thin: parse input,
// call a domain function, return its result. Domain AppErrors become TRPCErrors here,
// through the one code table in errors.ts, and every error carries the same `appError`
// body the REST adapter sends.
import { initTRPC, TRPCError } from "@trpc/server";
import type { z } from "zod";
import { requireMeterReader, requireOperator, requireWriter, type Principal } from "../auth/principal";
import type { ServerContext } from "../context";
import { AppError, errorTable, toAppError, type AppErrorCode, type ErrorBody } from "../errors";
import { firstIssue, type ValidationIssue } from "../validation-issue";

/**
 * A procedure's context: the process's, plus who is asking. Callers that leave `principal`
 * out (tests, the recovery worker's callers) are treated as the server's own default: open
 * when access control is off, anonymous when it is on.
 */
export type TrpcContext = ServerContext & { principal?: Principal; requestId?: string };

export function principalOf(ctx: TrpcContext): Principal {
  return ctx.principal ?? (ctx.config.AUTH_REQUIRED ? { kind: "anonymous" } : { kind: "open" });
}

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter({ shape, error, ctx }) {
    // tRPC adds the server's stack trace outside production: an answer never carries one.
    const { stack: _stack, ...data } = shape.data;
    return { ...shape, data: { ...data, appError: appErrorOf(error).toBody(ctx?.requestId).error } };
  },
});

/** The AppError behind a TRPCError: a domain error, an input error, or an outage. */
export function appErrorOf(error: TRPCError): AppError {
  if (error.cause instanceof AppError) return error.cause;
  if (error.code === "BAD_REQUEST" && hasIssues(error.cause)) return invalidInput(error.cause);
  if (error.code === "PARSE_ERROR") return new AppError("INVALID_JSON", error.message);
  if (error.code === "PAYLOAD_TOO_LARGE") return new AppError("PAYLOAD_TOO_LARGE", error.message);
  if (error.code === "NOT_FOUND") return new AppError("NOT_FOUND", error.message);
  if (error.code === "METHOD_NOT_SUPPORTED") return new AppError("METHOD_NOT_ALLOWED", error.message);
  if (error.code === "INTERNAL_SERVER_ERROR") return toAppError(error.cause ?? error);
  return new AppError("INVALID_ENVELOPE", error.message);
}

/** A procedure input that failed its schema, as the 400 naming the first issue's field. */
export function invalidInput(error: { readonly issues: readonly ValidationIssue[] }): AppError {
  const { field, issue } = firstIssue(error, null, "");
  return field ? new AppError("INVALID_ENVELOPE", `${field}: ${issue?.message}`, { field }) : new AppError("INVALID_ENVELOPE", issue?.message ?? "invalid input");
}

/**
 * `input` parsed by `schema`, or refused with `code` and the message of its first issue, which
 * names its field (the meters' schemas, whose messages say the field themselves; OpenMeter's
 * routes and the `meters.*` procedures answer alike).
 */
export function parsedOr<S extends z.ZodType>(code: AppErrorCode, schema: S, input: unknown, base: string | null = null): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const { field, issue } = firstIssue(result.error, base);
  throw new AppError(code, issue?.message ?? `${field} is invalid`, { field });
}

function hasIssues(e: unknown): e is { issues: ValidationIssue[] } {
  return typeof e === "object" && e !== null && "issues" in e && Array.isArray(e.issues);
}

/** A domain error as the TRPCError whose code comes from the error table. */
export function trpcErrorOf(appError: AppError): TRPCError {
  return new TRPCError({ code: errorTable[appError.code].trpc, message: appError.message, cause: appError });
}

/** Rethrows any domain failure as a TRPCError whose code comes from the error table. */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const { cause, code } = result.error;
    // Anything unexpected escaping a procedure is the database failing under it (input and
    // output validation errors carry zod issues and keep their own code).
    const appError = cause instanceof AppError ? cause : code === "INTERNAL_SERVER_ERROR" && !hasIssues(cause) ? toAppError(cause) : null;
    if (appError) throw trpcErrorOf(appError);
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(appErrors);

/**
 * A procedure only the operator may call; `what` names it in the refusal ("… to manage keys").
 * The principal is checked before the input is read, so a caller without the right gets its
 * 401/403, never a validation error.
 */
export const operatorProcedure = (what: string) => publicProcedure.use(({ ctx, next }) => (requireOperator(principalOf(ctx), what), next()));

/** A procedure that writes events: a write key (or the operator, or anyone with access control off). */
export const meterReaderProcedure = publicProcedure.use(({ ctx, next }) => (requireMeterReader(principalOf(ctx)), next()));
export const writerProcedure = publicProcedure.use(({ ctx, next }) => (requireWriter(principalOf(ctx)), next()));
export type { ErrorBody };
