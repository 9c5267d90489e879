// tRPC over HTTP, held to the same bounds as the REST routes: at most TRPC_MAX_BATCH_CALLS
// calls per HTTP request, the body read with MAX_REQUEST_BYTES and parsed by the same
// JSON reader (depth bound, numbers a float cannot hold), and every ingest call counted
// against MAX_BATCH_EVENTS, so batching calls is no way around a limit. The checked body is
// handed to tRPC's Node adapter as text; procedures are unchanged.
import type { IncomingMessage, ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { nodeHTTPRequestHandler } from "@trpc/server/adapters/node-http";
import type { ServerContext } from "../context";
import { AppError, errorTable } from "../errors";
import { appErrorOf } from "../api/trpc";
import { appRouter } from "../api/root";
import { UnsafeNumber } from "../ingest/unsafe-number";
import { readBodyText } from "./body";
import { parseJsonBody } from "./json-body";
import { logServerError } from "./rest";

export async function handleTrpc(req: IncomingMessage, res: ServerResponse, ctx: ServerContext, procedurePath: string): Promise<void> {
  const { config } = ctx;
  let body: { parsed: unknown } | { error: AppError } | null = null;
  if (req.method === "POST") {
    const text = await readBodyText(req, config.MAX_REQUEST_BYTES);
    (req as IncomingMessage & { body?: string }).body = text;
    if (text.trim() !== "") {
      try {
        body = { parsed: parseJsonBody(text) };
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        body = { error: err };
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
    createContext: ({ info }) => {
      const refusal = refusalOf(ctx, info.calls.map((c) => c.path), info.isBatchCall, body);
      if (refusal) throw new TRPCError({ code: errorTable[refusal.code].trpc, message: refusal.message, cause: refusal });
      return ctx;
    },
    responseMeta({ errors }) {
      const unavailable = errors.some((e) => e.code === "SERVICE_UNAVAILABLE");
      return unavailable ? { headers: { "retry-after": String(config.RETRY_AFTER_SECONDS) } } : {};
    },
    onError({ error }) {
      logServerError(ctx, appErrorOf(error), "trpc request");
    },
  });
}

/** Why this request must not reach the procedures (too many calls or events, a body tRPC would misread), or null. */
function refusalOf(ctx: ServerContext, paths: string[], isBatch: boolean, parsedBody: { parsed: unknown } | { error: AppError } | null): AppError | null {
  const { config } = ctx;
  if (paths.length > config.TRPC_MAX_BATCH_CALLS) {
    return new AppError("PAYLOAD_TOO_LARGE", `This request batches ${paths.length} tRPC calls; the limit is ${config.TRPC_MAX_BATCH_CALLS} (TRPC_MAX_BATCH_CALLS)`, {
      field: "batch",
    });
  }
  if (parsedBody === null) return null;
  if ("error" in parsedBody) return parsedBody.error;
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
