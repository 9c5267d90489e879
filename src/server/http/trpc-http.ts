// tRPC over HTTP, held to the same bounds as the REST routes: at most TRPC_MAX_BATCH_CALLS
// calls per HTTP request, the body read with MAX_REQUEST_BYTES and parsed by the same
// JSON reader (depth bound, numbers a float cannot hold), and every ingest call counted
// against MAX_BATCH_EVENTS, so batching calls is no way around a limit. The checked body is
// handed to tRPC's Node adapter as text; procedures are unchanged.
import type { IncomingMessage, ServerResponse } from "node:http";
import { nodeHTTPRequestHandler } from "@trpc/server/adapters/node-http";
import type { ServerContext } from "../context";
import { AppError, toAppError } from "../errors";
import { appErrorOf, trpcErrorOf } from "../api/trpc";
import { appRouter } from "../api/root";
import { UnsafeNumber } from "../ingest/unsafe-number";
import { errorHeaders, requestPrincipal } from "./auth-http";
import { backlogFor, eventsBound, plainLength, refusedBodyIsLarge, type Admission } from "./admission";
import { readBodyText } from "./body";
import { parseJsonBody } from "./json-body";
import { requestIdOf } from "../observability/request-id";
import { logServerError } from "./rest";

/** The tRPC procedures that ingest, and how their events are bounded before the body is read. */
const ingestRoutes = new Map<string, "event" | "batch">([
  ["ingest", "event"],
  ["ingestBatch", "batch"],
]);

/** `refused`: the request is answered with this error (every call), its body unread: the server is stopping. */
export async function handleTrpc(req: IncomingMessage, res: ServerResponse, ctx: ServerContext, procedurePath: string, refused: AppError | null = null): Promise<void> {
  const { config } = ctx;
  // Admission before the body is read (503 OVERLOADED past the backlog) for every ingest call
  // in the request, released when the request's work has ended. A refusal is answered by tRPC
  // (one error per call) without reading the body.
  const bound = procedurePath.split(",").reduce((n, p) => {
    const route = ingestRoutes.get(p);
    return n + (route ? eventsBound(route, plainLength(req), config) : 0);
  }, 0);
  let admission: Admission | undefined;
  let refusal: AppError | null = refused;
  try {
    // Several batch calls each count what the whole body can hold: cap at what an empty backlog admits.
    if (bound > 0 && !refusal) admission = backlogFor(ctx).admit(Math.min(bound, config.MAX_PENDING_EVENTS));
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    refusal = err;
  }
  try {
    let body: { parsed: unknown } | null = null;
    if (req.method === "POST") {
      const text = refusal ? "" : await readBodyText(req, config.MAX_REQUEST_BYTES);
      (req as IncomingMessage & { body?: string }).body = text;
      if (text.trim() !== "") {
        try {
          body = { parsed: parseJsonBody(text) };
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          refusal = err;
        }
      }
    }
    await nodeHTTPRequestHandler({
      req,
      res,
      router: appRouter,
      path: procedurePath,
      maxBodySize: config.MAX_REQUEST_BYTES,
      // Checked here, before any procedure runs, so a refusal is a tRPC error like any other
      // (one per call in a batch) and nothing is stored.
      createContext: async ({ info }) => {
        const refused = refusal ?? refusalOf(ctx, info.calls.map((c) => c.path), info.isBatchCall, body);
        if (refused) throw trpcErrorOf(refused);
        try {
          return { ...ctx, principal: await requestPrincipal(req, ctx), requestId: requestIdOf(req) };
        } catch (err) {
          throw trpcErrorOf(toAppError(err));
        }
      },
      responseMeta({ errors }) {
        const first = errors[0];
        if (!first) return {};
        const headers = errorHeaders(ctx, appErrorOf(first));
        // A query asked with POST or a mutation with GET: say which method it takes, as the REST routes do.
        if (first.code === "METHOD_NOT_SUPPORTED") headers.allow = allowedMethod(procedurePath.split(","));
        if (refusal?.code === "OVERLOADED" && refusedBodyIsLarge(req)) headers.connection = "close";
        return { headers };
      },
      onError({ error }) {
        const appError = appErrorOf(error);
        logServerError(ctx, appError, "trpc request", requestIdOf(req));
      },
    });
  } finally {
    admission?.release();
  }
}

/** The one method the procedures of a request take: POST if any is a mutation, else GET. */
function allowedMethod(paths: string[]): string {
  // Typed as the router's tree; at run time one flat record by dotted path (`events.list`).
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } } | undefined>;
  return paths.some((p) => procedures[p]?._def.type === "mutation") ? "POST" : "GET";
}

/** Why this request must not reach the procedures (too many calls or events, a body tRPC would misread), or null. */
function refusalOf(ctx: ServerContext, paths: string[], isBatch: boolean, parsedBody: { parsed: unknown } | null): AppError | null {
  const { config } = ctx;
  if (paths.length > config.TRPC_MAX_BATCH_CALLS) {
    return new AppError("PAYLOAD_TOO_LARGE", `This request batches ${paths.length} tRPC calls; the limit is ${config.TRPC_MAX_BATCH_CALLS} (TRPC_MAX_BATCH_CALLS)`, {
      field: "batch",
    });
  }
  if (parsedBody === null) return null;
  const body = parsedBody.parsed;
  const inputs = paths.map((_, i) => (isBatch ? (body as Record<string, unknown> | null)?.[String(i)] : body));
  let events = 0;
  inputs.forEach((input, i) => {
    if (paths[i] === "ingest") events += 1;
    if (paths[i] === "ingestBatch") {
      const list = (input as { events?: unknown } | null)?.events;
      events += Array.isArray(list) ? list.length : 0;
    }
  });
  if (events > config.MAX_BATCH_EVENTS) {
    return new AppError("PAYLOAD_TOO_LARGE", `This request holds ${events} events across its calls; the limit is ${config.MAX_BATCH_EVENTS} (MAX_BATCH_EVENTS)`, {
      field: "batch",
    });
  }
  // tRPC parses the body again with JSON.parse, which would round such a number silently;
  // JavaScript clients never send one (JSON.stringify writes every float exactly).
  const unsafe = findUnsafeNumber(body, []);
  if (unsafe) return new AppError("INVALID_JSON", `${unsafe.path || "body"}: ${unsafe.number.describe()}`, { field: unsafe.path || "body" });
  return null;
}

function findUnsafeNumber(value: unknown, path: string[]): { path: string; number: UnsafeNumber } | null {
  if (value instanceof UnsafeNumber) {
    // Overflow becomes Infinity, which the write path refuses per event (422) as on REST.
    return Number.isFinite(Number(value.literal)) ? { path: path.join("."), number: value } : null;
  }
  if (typeof value !== "object" || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    const found = findUnsafeNumber(item, [...path, key]);
    if (found) return found;
  }
  return null;
}
