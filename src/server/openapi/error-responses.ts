// The error answers of the OpenAPI document, built from the one error table (errors.ts): an
// operation names the codes it can answer, and its responses per HTTP status, the error body
// schema (its `code` an enum of exactly those codes) and the headers that come with them
// (Retry-After, WWW-Authenticate: as errorHeaders sends them) follow from the table. REST
// and SDK routes answer the body as is; tRPC wraps the same body in its error envelope.
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { z } from "zod";
import type { ZodOpenApiResponseObject, ZodOpenApiResponsesObject } from "zod-openapi";
import { errorTable, type AppErrorCode, type ErrorBody } from "../errors";
import { WWW_AUTHENTICATE } from "../http/auth-http";
import { requestIdHeader, retryAfterHeader, wwwAuthenticateHeader } from "./headers";

/** How an operation's errors are sent: the plain body, tRPC's envelope around it, or application/problem+json (OpenMeter's routes). */
export type ErrorEnvelope = "plain" | "trpc" | "problem";

/** The `error` member of every error body, its code narrowed to `codes`. */
function appErrorSchema(codes: readonly [AppErrorCode, ...AppErrorCode[]]) {
  return z.object({
    code: z.enum(codes),
    message: z.string().meta({ description: "What went wrong, for people; never driver or SQL text" }),
    field: z.string().optional().meta({ description: "The input at fault (dotted path, or a header or `body`), when there is one" }),
    retryable: z.boolean().meta({ description: "Whether sending the same request again may succeed" }),
    requestId: z.string().optional().meta({ description: "The request's id, as in the X-Request-Id header and the server's log" }),
  });
}

/** The one error body shape; the compile-time check below keeps it in step with ErrorBody. */
export function errorBodySchema(codes: readonly [AppErrorCode, ...AppErrorCode[]]) {
  return z.object({ error: appErrorSchema(codes) });
}
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const errorBodyMatches: Same<z.infer<ReturnType<typeof errorBodySchema>>, ErrorBody> = true;
void errorBodyMatches;

/** tRPC's error envelope around the same body (`data.appError`, added by the error formatter in api/trpc.ts). */
function trpcErrorSchema(codes: readonly [AppErrorCode, ...AppErrorCode[]], status: number) {
  const trpcCodes = [...new Set(codes.map((c) => errorTable[c].trpc))] as [string, ...string[]];
  return z.object({
    error: z.object({
      message: z.string(),
      code: z.number().int().meta({ description: "JSON-RPC 2.0 error code" }),
      data: z.object({
        code: z.enum(trpcCodes),
        httpStatus: z.literal(status),
        path: z.string().optional().meta({ description: "The procedure called" }),
        appError: appErrorSchema(codes),
      }),
    }),
  });
}

/** The HTTP status an error code is answered with: the table's, or tRPC's for its tRPC code (the same numbers; the test checks). */
/** application/problem+json as the OpenMeter routes send it (http/rest.ts, sendProblem). */
function problemBodySchema(codes: readonly [AppErrorCode, ...AppErrorCode[]], status: number) {
  return z.object({
    type: z.literal("about:blank"),
    title: z.string().meta({ description: "The HTTP status text" }),
    status: z.literal(status),
    detail: z.string().meta({ description: "What went wrong, for people; never driver or SQL text" }),
    instance: z.string().optional().meta({ description: "urn:request:<the request's id>" }),
    code: z.enum(codes),
    field: z.string().optional(),
    retryable: z.boolean(),
  });
}

export function statusOf(code: AppErrorCode, envelope: ErrorEnvelope): number {
  return envelope === "trpc" ? getHTTPStatusCodeFromError(new TRPCError({ code: errorTable[code].trpc })) : errorTable[code].status;
}

/** The headers an error answer of this status carries besides X-Request-Id (see errorHeaders in http/auth-http.ts). */
function errorHeadersSchema(status: number) {
  if (status === 401) return z.object({ "X-Request-Id": requestIdHeader, "WWW-Authenticate": wwwAuthenticateHeader });
  // A 429 for a request larger than the whole burst carries none: waiting would not help.
  if (status === 429) return z.object({ "X-Request-Id": requestIdHeader, "Retry-After": retryAfterHeader.optional() });
  if (status === 503) return z.object({ "X-Request-Id": requestIdHeader, "Retry-After": retryAfterHeader });
  return z.object({ "X-Request-Id": requestIdHeader });
}

const listCodes = (codes: readonly AppErrorCode[]) =>
  codes.map((c) => `\`${c}\`${errorTable[c].retryable ? " (retryable)" : ""}`).join(", ") +
  (codes.some((c) => errorTable[c].status === 401) ? `; with \`WWW-Authenticate: ${WWW_AUTHENTICATE}\`` : "");

/** One response per HTTP status among `codes`, each listing its codes. */
export function errorResponses(codes: readonly AppErrorCode[], envelope: ErrorEnvelope): ZodOpenApiResponsesObject {
  const byStatus = new Map<number, AppErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = statusOf(code, envelope);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const atStatus = list as [AppErrorCode, ...AppErrorCode[]];
    responses[String(status)] = {
      description: listCodes(atStatus),
      headers: errorHeadersSchema(status),
      content:
        envelope === "problem"
          ? { "application/problem+json": { schema: problemBodySchema(atStatus, status) } }
          : { "application/json": { schema: envelope === "trpc" ? trpcErrorSchema(atStatus, status) : errorBodySchema(atStatus) } },
    };
  }
  return responses as ZodOpenApiResponsesObject;
}

/** Errors of reading a request body: not JSON, not an object, too large, an unknown Content-Encoding. */
export const bodyErrors = [
  "INVALID_JSON",
  "INVALID_ENVELOPE",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
] as const satisfies readonly AppErrorCode[];
/** Errors of the database under any route that uses it. */
export const databaseErrors = ["DATABASE_UNAVAILABLE", "DATABASE_MISCONFIGURED", "INTERNAL"] as const satisfies readonly AppErrorCode[];
/** Errors of the write path besides the database's: the key's rate, the backlog. */
export const writeErrors = ["RATE_LIMITED", "OVERLOADED", ...databaseErrors] as const satisfies readonly AppErrorCode[];
