// The app's own node:http server (a Next.js custom server): the API is answered here
// directly — REST routes, tRPC at /api/trpc, health — and every other request goes to
// Next's handler (pages, assets). The API never pays Next's per-request cost.
// Overload is refused, not absorbed: connections are capped (MAX_CONNECTIONS), a request
// must arrive whole within REQUEST_TIMEOUT_MS (headers within HEADERS_TIMEOUT_MS) or Node
// answers 408 and closes it, and ingest requests pass admission (admission.ts) before their
// body is read; their work is dropped if the client leaves before it is captured.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { ServerContext } from "../context";
import { AppError } from "../errors";
import { backlogFor, eventsBound, plainLength } from "./admission";
import { RequestAbortedError } from "./body";
import { getHealth, getReady } from "./health";
import { requestPrincipal } from "./auth-http";
import { servePage } from "./pages";
import { getAggregates, postIngest, postIngestBatch, requireJsonContentType, sendError, type IngestScope } from "./rest";
import { sessionRoute } from "./session-route";
import { assignRequestId } from "./request-id";
import { handleTrpc } from "./trpc-http";

export type FallbackHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export function createAppServer(ctx: ServerContext, fallback?: FallbackHandler): Server {
  const { config } = ctx;
  const server = createServer(
    {
      requestTimeout: config.REQUEST_TIMEOUT_MS,
      headersTimeout: config.HEADERS_TIMEOUT_MS,
      keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
      // Node enforces both timeouts when it sweeps its connections (every 30 s by default,
      // which would let a trickling client overstay them by up to 30 s).
      connectionsCheckingInterval: Math.min(1000, Math.ceil(config.HEADERS_TIMEOUT_MS / 5)),
    },
    (req, res) => {
      assignRequestId(req, res);
      handle(req, res, ctx, fallback).catch((err: unknown) => {
        // A client that left (or was cut off) gets nothing; Node already answered a timeout.
        // A client hanging up is not our failure to report.
        if (err instanceof RequestAbortedError) {
          ctx.log.debug("request aborted by the client", { method: req.method, url: req.url });
          res.destroy();
          return;
        }
        if (res.destroyed) return;
        if (!res.headersSent) sendError(res, ctx, err);
        else res.destroy();
      });
    },
  );
  // Past it, Node closes each new connection as soon as it is accepted.
  server.maxConnections = config.MAX_CONNECTIONS;
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: ServerContext, fallback?: FallbackHandler): Promise<void> {
  const url = requestUrl(req);
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
  const method = req.method ?? "GET";

  if (path === "/ingest") return only("POST", method, () => admitted(req, res, ctx, "event", (scope) => postIngest(req, res, ctx, scope)));
  if (path === "/ingest/batch")
    return only("POST", method, () => admitted(req, res, ctx, "batch", (scope) => postIngestBatch(req, res, ctx, scope)));
  if (path === "/aggregates") return only("GET", method, async () => getAggregates(url, res, ctx, await requestPrincipal(req, ctx)));
  if (path === "/api/session") return sessionRoute(req, res, ctx, method);
  if (path === "/api/health") return only("GET", method, () => getHealth(res));
  if (path === "/api/ready") return only("GET", method, () => getReady(res, ctx));
  if (path.startsWith("/api/trpc/")) return handleTrpc(req, res, ctx, path.slice("/api/trpc/".length));
  if (fallback) return servePage(req, res, ctx, path, fallback);
  throw new AppError("NOT_FOUND", `No route for ${method} ${path}`, { field: "path" });
}

/** The request target as a URL; one that cannot be parsed (`GET http://a:b:c/`) is the client's mistake. */
function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? "/";
  try {
    return new URL(target, "http://localhost");
  } catch {
    const shown = target.length > 200 ? `${target.slice(0, 200)}…` : target;
    throw new AppError("INVALID_ENVELOPE", `The request target ${JSON.stringify(shown)} is not a valid URL`, { field: "url" });
  }
}

/**
 * Runs an ingest route once its request is labelled JSON (else 415), authenticated (else 401)
 * and admitted (else 503 OVERLOADED), all before its body is read; releases the admission
 * when its work has ended, whether answered or dropped.
 */
async function admitted(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ServerContext,
  route: "event" | "batch",
  run: (scope: IngestScope) => Promise<void>,
): Promise<void> {
  requireJsonContentType(req);
  const principal = await requestPrincipal(req, ctx);
  const admission = backlogFor(ctx).admit(eventsBound(route, plainLength(req), ctx.config));
  try {
    await run({ admission, signal: clientGone(res), principal });
  } finally {
    admission.release();
  }
}

/** Aborts when the connection closes before the response was sent: the client has left. */
function clientGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

async function only(allowed: string, method: string, run: () => Promise<void> | void): Promise<void> {
  if (method !== allowed) throw new AppError("METHOD_NOT_ALLOWED", `Use ${allowed} for this route`, { field: "method" });
  await run();
}
