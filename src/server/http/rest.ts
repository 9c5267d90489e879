// The REST adapter: the original service's API. The ingest routes call the same operations as
// the tRPC procedures, beside them (their input read by the procedures' schemas); the read
// routes call the procedures through a server-side caller (GET /aggregates: through the
// procedure's schema and scope, to send PostgreSQL's JSON as it is). It maps HTTP (headers,
// query string, body) to input and errors to one JSON shape; it implements nothing itself.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import { PROBLEM_CONTENT_TYPE } from "../../lib/meters-schema";
import { TRPCError } from "@trpc/server";
import type { ServerContext } from "../context";
import { AppError, errorDetail, toAppError, type AppErrorCode } from "../errors";
import { createCaller } from "../api/root";
import { aggregatesPageJson } from "../api/routers/aggregates";
import { ingestMany, ingestOne, parseInput } from "../api/routers/ingest";
import { appErrorOf } from "../api/trpc";
import { batchInputSchema, ingestInputSchema } from "../../lib/ingest-schema";
import { requireWriter, type Principal } from "../auth/principal";
import { refusedBodyIsLarge, type Admission } from "./admission";
import { errorHeaders } from "./auth-http";
import { readBodyText, readJsonBody } from "./body";
import { eventsOfLines, NDJSON_MEDIA_TYPE, parseNdjsonBody, withLineErrors } from "./ndjson-body";
import { singleHeader } from "./headers";
import { requestIdOf } from "../observability/request-id";
import { asObject } from "./json-body";
import type { EventsInput } from "../../lib/events-schema";

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, ctx: ServerContext, err: unknown): void {
  const appError = err instanceof TRPCError ? appErrorOf(err) : toAppError(err);
  const headers = errorHeaders(ctx, appError);
  // A body we stopped reading cannot be drained safely: close the connection.
  if (appError.code === "PAYLOAD_TOO_LARGE" && appError.field === "body") headers.connection = "close";
  if (appError.code === "OVERLOADED" && refusedBodyIsLarge(res.req)) headers.connection = "close";
  const requestId = requestIdOf(res.req);
  logServerError(ctx, appError, "request", requestId);
  if (res.req.url?.startsWith(PROBLEM_PATH_PREFIX)) return sendProblem(res, appError, headers, requestId);
  sendJson(res, appError.status, appError.toBody(requestId), headers);
}

/** The routes whose errors are application/problem+json (OpenMeter's API, meter-routes.ts): everything under it. */
export const PROBLEM_PATH_PREFIX = "/api/v1/";

/**
 * An error as application/problem+json (RFC 9457; OpenMeter's routes): detail is the message, and
 * this service's code, field and retryable ride along as members of their own. The Content-Type
 * has no charset: OpenMeter's client reads a problem only when the header is exactly this.
 */
function sendProblem(res: ServerResponse, appError: AppError, headers: Record<string, string>, requestId: string | undefined): void {
  const { error } = appError.toBody(requestId);
  const body = {
    type: "about:blank",
    title: STATUS_CODES[appError.status] ?? "Error",
    status: appError.status,
    detail: error.message,
    ...(requestId ? { instance: `urn:request:${requestId}` } : {}),
    code: error.code,
    ...(error.field ? { field: error.field } : {}),
    retryable: error.retryable,
  };
  const text = JSON.stringify(body);
  res.writeHead(appError.status, { ...headers, "content-type": PROBLEM_CONTENT_TYPE, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Refusals summarised elsewhere (the backlog's report, the stop's last line), not logged one by one. */
const SUMMARISED: ReadonlySet<AppErrorCode> = new Set(["OVERLOADED", "SHUTTING_DOWN"]);

/**
 * Logs a 5xx with the detail its answer leaves out (SQLSTATE, driver text): outages at
 * warn, misconfigurations and internal errors, which need a person, at error.
 */
export function logServerError(ctx: ServerContext, appError: AppError, what: string, requestId?: string): void {
  if (appError.status < 500 || SUMMARISED.has(appError.code)) return;
  const fields = { code: appError.code, ...(requestId ? { requestId } : {}), ...errorDetail(appError) };
  if (appError.status === 503) ctx.log.warn(`${what} failed`, fields);
  else ctx.log.error(`${what} failed`, fields);
}

/** The media type of a request's body, lower case, without parameters ("" when absent). */
const mediaTypeOf = (req: IncomingMessage) => (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();

/**
 * POST bodies of the REST routes must be labelled JSON (or NDJSON, on /ingest/batch): a browser
 * form on another site can only send form or text content types, so it cannot post events here
 * with a user's cookies.
 */
export function requireContentType(req: IncomingMessage, accepted: readonly string[]): void {
  const type = mediaTypeOf(req);
  if (!accepted.includes(type)) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Send the body as Content-Type: ${accepted.join(" or ")}${type ? `, not ${type}` : ""}`, { field: "content-type" });
  }
}

export const requireJsonContentType = (req: IncomingMessage): void => requireContentType(req, ["application/json"]);

/** What the server hands an ingest route: its admission, the signal that its client left, who sent it. */
export interface IngestScope {
  admission: Admission;
  signal: AbortSignal;
  principal: Principal;
}

// POST /ingest – capture, dedup and count one event: { source, payload } → { success, deduplicated }
export async function postIngest(req: IncomingMessage, res: ServerResponse, ctx: ServerContext, scope: IngestScope): Promise<void> {
  requireWriter(scope.principal);
  const body = asObject(await readJsonBody(req, ctx.config.MAX_REQUEST_BYTES));
  const input = parseInput(ingestInputSchema, {
    source: body.source,
    payload: body.payload,
    idempotencyKey: singleHeader(req, "idempotency-key", "idempotencyKey"),
    simulate: singleHeader(req, "x-simulate-failure", "simulate"),
  });
  sendJson(res, 200, await ingestOne(ctx, scope.principal, input, scope.signal));
}

// POST /ingest/batch – up to MAX_BATCH_EVENTS events, one result each: { events: [...] }, or
// NDJSON (one event per line; a line that is not JSON is rejected alone, with its line number)
export async function postIngestBatch(req: IncomingMessage, res: ServerResponse, ctx: ServerContext, scope: IngestScope): Promise<void> {
  requireWriter(scope.principal);
  const ingestBatch = (input: Record<string, unknown>) => {
    const simulate = singleHeader(req, "x-simulate-failure", "simulate");
    return ingestMany(ctx, scope.principal, parseInput(batchInputSchema, { ...input, ...(simulate ? { simulate } : {}) }), scope.signal);
  };
  if (mediaTypeOf(req) === NDJSON_MEDIA_TYPE) {
    const lines = parseNdjsonBody(await readBodyText(req, ctx.config.MAX_REQUEST_BYTES));
    scope.admission.shrinkTo(lines.length);
    return sendJson(res, 200, withLineErrors(await ingestBatch({ events: eventsOfLines(lines) }), lines));
  }
  const body = await readJsonBody(req, ctx.config.MAX_REQUEST_BYTES);
  const input = Array.isArray(body) ? { events: body } : asObject(body);
  if (Array.isArray(input.events)) scope.admission.shrinkTo(input.events.length);
  sendJson(res, 200, await ingestBatch(input));
}

/** A query parameter that must be a whole number: a number when it reads as one, else the text, for the schema to refuse naming it. */
const wholeNumberParam = (text: string | undefined): number | string | undefined => (text !== undefined && /^\d{1,9}$/.test(text) ? Number(text) : text);

// GET /aggregates – count/sum/avg/min/max per (source, metric), a plain array: filters (source,
// metric, q), a time window (from, to), series (bucket), one page at a time (sort, limit, cursor;
// the next page is named by `Link: <…>; rel="next"`)
export async function getAggregates(url: URL, res: ServerResponse, ctx: ServerContext, principal: Principal): Promise<void> {
  const param = (name: string) => url.searchParams.get(name) ?? undefined;
  // The procedure's own schema and the read key's scope (aggregates.ts), but not its caller:
  // PostgreSQL wrote the rows' JSON, which goes out as it is, not parsed and written again.
  const page = await asQueryErrors(aggregatesPageJson({ ...ctx, principal }, {
    source: param("source"),
    metric: param("metric"),
    q: param("q"),
    from: param("from"),
    to: param("to"),
    bucket: param("bucket"),
    sort: param("sort"),
    limit: wholeNumberParam(param("limit")),
    cursor: param("cursor"),
  }));
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(page.itemsJson)) };
  if (page.nextCursor !== null) {
    const next = new URLSearchParams(url.searchParams);
    next.set("cursor", page.nextCursor);
    headers.link = `</aggregates?${next.toString()}>; rel="next"`;
  }
  res.writeHead(200, headers);
  res.end(page.itemsJson);
}

/**
 * A GET route's input is its query string: what the procedure's schema (or cursor) refuses as
 * input is a query parameter's fault, answered 400 INVALID_QUERY with `field` naming the
 * parameter. Bodies keep INVALID_ENVELOPE.
 */
async function asQueryErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    // A procedure called through its caller (GET /events) throws its refusal as a TRPCError.
    const appError = err instanceof TRPCError ? appErrorOf(err) : err;
    if (appError instanceof AppError && appError.code === "INVALID_ENVELOPE") throw new AppError("INVALID_QUERY", appError.message, { field: appError.field ?? "query", cause: appError });
    throw err;
  }
}

// GET /events – captured events, newest first, with their processed records: filters (source,
// status, metric, identity, key, own time from/to, receivedFrom/receivedTo), one page at a time
// (limit, cursor; the next page is `nextCursor`, and `Link: <…>; rel="next"`)
export async function getEvents(url: URL, res: ServerResponse, ctx: ServerContext, principal: Principal): Promise<void> {
  const param = (name: string) => url.searchParams.get(name) ?? undefined;
  const names = ["source", "status", "metric", "identity", "key", "from", "to", "receivedFrom", "receivedTo", "cursor"] as const;
  // The texts as they came: the procedure's schema refuses a bad one, naming its parameter.
  const input = { ...Object.fromEntries(names.map((n) => [n, param(n)])), limit: wholeNumberParam(param("limit")) } as EventsInput;
  const page = await asQueryErrors(createCaller({ ...ctx, principal }).events.list(input));
  const headers: Record<string, string> = {};
  if (page.nextCursor !== null) {
    const next = new URLSearchParams(url.searchParams);
    next.set("cursor", page.nextCursor);
    headers.link = `</events?${next.toString()}>; rel="next"`;
  }
  sendJson(res, 200, page, headers);
}

// GET /events/{id} – one captured event: raw, its processed record beside it, and for a
// deduplicated one the event it repeats; 404 for an unknown id or another source's
export async function getEventById(id: string, res: ServerResponse, ctx: ServerContext, principal: Principal): Promise<void> {
  sendJson(res, 200, await asQueryErrors(createCaller({ ...ctx, principal }).events.get({ id })));
}
