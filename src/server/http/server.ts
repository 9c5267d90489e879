// The app's own node:http server (a Next.js custom server): the API is answered here
// directly — REST routes, tRPC at /api/trpc, health — and a page or asset request goes to
// Next's handler (pages.ts says which); the rest (an API path no route answers, a POST to a
// page's path) is a JSON 404 naming the path, and a route asked with another method a 405
// with `Allow`. The API never pays Next's per-request cost. With access control off, a Host
// the server does not serve is refused first (host-check.ts: DNS rebinding).
// Overload is refused, not absorbed: connections are capped (MAX_CONNECTIONS, and
// MAX_CONNECTIONS_PER_ADDRESS per client address: connection-cap.ts), a request
// must arrive whole within REQUEST_TIMEOUT_MS (headers within HEADERS_TIMEOUT_MS) or Node
// answers 408 and closes it, and ingest requests pass admission (admission.ts) before their
// body is read; their work is dropped if the client leaves before it is captured.
// Every request gets an id, an access line and its metrics (observability/access-log.ts),
// and is tracked by the drain gate (drain.ts) so a stop answers it whole.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { ServerContext } from "../context";
import { AppError } from "../errors";
import { RequestAbortedError } from "./body";
import { noteRoute, observeRequest } from "../observability/access-log";
import { drainGateFor, refusalWhileStopping, type DrainGate } from "./drain";
import { getHealth, getReady } from "./health";
import { getMetrics } from "./metrics-route";
import { requestPrincipal } from "./auth-http";
import { getOpenApi } from "./openapi";
import { capConnectionsPerAddress } from "./connection-cap";
import { checkHost } from "./host-check";
import { isPageRequest, servePage } from "./pages";
import { sdkRoutes } from "./sdk-routes";
import { meterRoutes } from "./meter-routes";
import { getAggregates, getEventById, getEvents, postIngest, postIngestBatch, sendError } from "./rest";
import { admitted, JSON_ONLY, JSON_OR_NDJSON } from "./ingest-route";
import { sessionRoute } from "./session-route";
import { assignRequestId, requestLog } from "../observability/request-id";
import { findRoute, isApiPath, type ApiRoute, type HttpMethod } from "./routes";
import { handleTrpc } from "./trpc-http";

export type FallbackHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export function createAppServer(ctx: ServerContext, fallback?: FallbackHandler): Server {
  const { config } = ctx;
  const gate = drainGateFor(ctx);
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
      observeRequest(req, res, ctx);
      gate.track(res);
      handle(req, res, ctx, gate, fallback).catch((err: unknown) => {
        // A client that left (or was cut off) gets nothing; Node already answered a timeout.
        // A client hanging up is not our failure to report.
        if (err instanceof RequestAbortedError) {
          requestLog(ctx.log, req).debug("request aborted by the client", { method: req.method, url: req.url });
          res.destroy();
          return;
        }
        if (res.destroyed) return;
        if (!res.headersSent) sendError(res, ctx, err);
        else res.destroy();
      });
    },
  );
  // Past it, Node closes each new connection as soon as it is accepted; past its address's share, so does the cap.
  server.maxConnections = config.MAX_CONNECTIONS;
  capConnectionsPerAddress(server, config.MAX_CONNECTIONS_PER_ADDRESS, ctx.log);
  return server;
}

/** The API routes this server answers (OpenAPI: src/server/http/openapi.ts documents each). */
export const apiRoutes: readonly ApiRoute[] = [
  { path: "/ingest", methods: ["POST"], handle: (c) => admitted(c, "event", JSON_ONLY, (scope) => postIngest(c.req, c.res, c.ctx, scope)) },
  { path: "/ingest/batch", methods: ["POST"], handle: (c) => admitted(c, "batch", JSON_OR_NDJSON, (scope) => postIngestBatch(c.req, c.res, c.ctx, scope)) },
  { path: "/aggregates", methods: ["GET"], handle: async (c) => getAggregates(c.url, c.res, c.ctx, await requestPrincipal(c.req, c.ctx)) },
  { path: "/events", methods: ["GET"], handle: async (c) => getEvents(c.url, c.res, c.ctx, await requestPrincipal(c.req, c.ctx)) },
  { path: "/events/{id}", methods: ["GET"], handle: async (c) => getEventById(c.params.id ?? "", c.res, c.ctx, await requestPrincipal(c.req, c.ctx)) },
  { path: "/api/session", methods: ["GET", "POST", "DELETE"], handle: (c) => sessionRoute(c.req, c.res, c.ctx, c.method) },
  { path: "/api/health", methods: ["GET"], servedWhileStopping: true, handle: (c) => getHealth(c.res) },
  { path: "/api/ready", methods: ["GET"], servedWhileStopping: true, handle: (c) => getReady(c.req, c.res, c.ctx) },
  { path: "/metrics", methods: ["GET"], servedWhileStopping: true, handle: (c) => getMetrics(c.req, c.res, c.ctx) },
  { path: "/openapi.json", methods: ["GET"], handle: (c) => getOpenApi(c.res, c.ctx) },
  ...sdkRoutes,
  ...meterRoutes,
];

/** tRPC's procedures live under this prefix (`/api/trpc/<procedure>[,<procedure>…]`). */
export const TRPC_PREFIX = "/api/trpc/";

async function handle(req: IncomingMessage, res: ServerResponse, ctx: ServerContext, gate: DrainGate, fallback?: FallbackHandler): Promise<void> {
  const url = requestUrl(req);
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
  const method = req.method ?? "GET";

  const found = findRoute(apiRoutes, path);
  const route = found?.route;
  const trpc = !route && path.startsWith(TRPC_PREFIX);
  const page = !route && !trpc && fallback !== undefined && !isApiPath(apiRoutes, path) && isPageRequest(req, path);
  noteRoute(req, route ? route.path : trpc ? "/api/trpc" : page ? "page" : "unmatched");
  checkHost(req, ctx.config);
  if (!route?.servedWhileStopping) {
    gate.noteWork();
    if (gate.refusing) {
      // tRPC's clients read tRPC's error envelope: its refusal goes through tRPC.
      const refusal = await refusalWhileStopping(req, gate);
      if (path.startsWith(TRPC_PREFIX)) return handleTrpc(req, res, ctx, path.slice(TRPC_PREFIX.length), refusal);
      throw refusal;
    }
  }
  if (route) {
    if (!(route.methods as readonly string[]).includes(method)) {
      res.setHeader("allow", route.methods.join(", "));
      throw new AppError("METHOD_NOT_ALLOWED", `${path} takes ${route.methods.join(", ")}, not ${method}`, { field: "method" });
    }
    return route.handle({ req, res, ctx, url, method: method as HttpMethod, params: found?.params ?? {} });
  }
  if (trpc) return handleTrpc(req, res, ctx, path.slice(TRPC_PREFIX.length));
  if (page && fallback) return servePage(req, res, ctx, path, fallback);
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

