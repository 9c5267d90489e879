// The REST adapter: the original service's API, answered by calling the tRPC procedures
// through a server-side caller. It maps HTTP (headers, query string, body) to procedure
// input and errors to one JSON shape; it implements nothing itself.
import type { IncomingMessage, ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import type { ServerContext } from "../context";
import { AppError, errorDetail, toAppError } from "../errors";
import { createCaller } from "../api/root";
import { appErrorOf } from "../api/trpc";
import { refusedBodyIsLarge, type Admission } from "./admission";
import { readJsonBody } from "./body";

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, ctx: ServerContext, err: unknown): void {
  const appError = err instanceof TRPCError ? appErrorOf(err) : toAppError(err);
  const headers: Record<string, string> = appError.status === 503 ? { "retry-after": String(ctx.config.RETRY_AFTER_SECONDS) } : {};
  // A body we stopped reading cannot be drained safely: close the connection.
  if (appError.code === "PAYLOAD_TOO_LARGE" && appError.field === "body") headers.connection = "close";
  if (appError.code === "OVERLOADED" && refusedBodyIsLarge(res.req)) headers.connection = "close";
  // Overload refusals are summarised by the backlog, not logged one by one.
  if (appError.code !== "OVERLOADED") logServerError(ctx, appError, "request");
  sendJson(res, appError.status, appError.toBody(), headers);
}

/**
 * Logs a 5xx with the detail its answer leaves out (SQLSTATE, driver text): outages at
 * warn, misconfigurations and internal errors, which need a person, at error.
 */
export function logServerError(ctx: ServerContext, appError: AppError, what: string): void {
  if (appError.status < 500) return;
  const fields = { code: appError.code, ...errorDetail(appError) };
  if (appError.status === 503) ctx.log.warn(`${what} failed`, fields);
  else ctx.log.error(`${what} failed`, fields);
}

/** One server-side caller per context, built once rather than per request. */
const callers = new WeakMap<ServerContext, ReturnType<typeof createCaller>>();
function callerFor(ctx: ServerContext): ReturnType<typeof createCaller> {
  let caller = callers.get(ctx);
  if (!caller) callers.set(ctx, (caller = createCaller(ctx)));
  return caller;
}

/**
 * One header's value, decoded as UTF-8 (node:http hands header bytes over as latin1, so
 * `clé` would arrive as `clÃ©` and name a different event than the same key sent in a
 * JSON body). The same header sent twice is ambiguous and refused, as are bytes that are
 * not UTF-8.
 */
export function singleHeader(req: IncomingMessage, name: string, field: string): string | undefined {
  const values = req.headersDistinct[name];
  if (values && values.length > 1) {
    throw new AppError("INVALID_ENVELOPE", `Send the ${name} header once, not ${values.length} times`, { field });
  }
  const raw = values?.[0];
  if (raw === undefined || !/[\u0080-\u00ff]/.test(raw)) return raw;
  const text = Buffer.from(raw, "latin1").toString("utf8");
  if (text.includes("\ufffd")) throw new AppError("INVALID_ENVELOPE", `The ${name} header is not valid UTF-8`, { field });
  return text;
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AppError("INVALID_ENVELOPE", "The request body must be a JSON object", { field: "body" });
  }
  return body as Record<string, unknown>;
}

/** What the server hands an ingest route: its admission, and the signal that its client left. */
export interface IngestScope {
  admission: Admission;
  signal: AbortSignal;
}

// POST /ingest – capture, dedup and count one event: { source, payload } → { success, deduplicated }
export async function postIngest(req: IncomingMessage, res: ServerResponse, ctx: ServerContext, scope: IngestScope): Promise<void> {
  const body = asObject(await readJsonBody(req, ctx.config.MAX_REQUEST_BYTES));
  const result = await createCaller(ctx, { signal: scope.signal }).ingest({
    source: body.source as string,
    payload: body.payload as Record<string, unknown>,
    idempotencyKey: singleHeader(req, "idempotency-key", "idempotencyKey"),
    simulate: singleHeader(req, "x-simulate-failure", "simulate") as never,
  });
  sendJson(res, 200, result);
}

// POST /ingest/batch – up to MAX_BATCH_EVENTS events, one result each: { events: [...] }
export async function postIngestBatch(req: IncomingMessage, res: ServerResponse, ctx: ServerContext, scope: IngestScope): Promise<void> {
  const body = await readJsonBody(req, ctx.config.MAX_REQUEST_BYTES);
  const input = Array.isArray(body) ? { events: body } : asObject(body);
  if (Array.isArray(input.events)) scope.admission.shrinkTo(input.events.length);
  const simulate = singleHeader(req, "x-simulate-failure", "simulate");
  sendJson(res, 200, await createCaller(ctx, { signal: scope.signal }).ingestBatch({ ...(input as { events: unknown[] }), ...(simulate ? { simulate: simulate as never } : {}) }));
}

// GET /aggregates – count/sum/avg/min/max per (source, metric); ?source=&metric= filter
export async function getAggregates(url: URL, res: ServerResponse, ctx: ServerContext): Promise<void> {
  const source = url.searchParams.get("source") ?? undefined;
  const metric = url.searchParams.get("metric") ?? undefined;
  sendJson(res, 200, await callerFor(ctx).aggregates({ source, metric }));
}
