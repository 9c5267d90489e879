// The app's own node:http server (a Next.js custom server): the API is answered here
// directly — REST routes, tRPC at /api/trpc, health — and every other request goes to
// Next's handler (pages, assets). The API never pays Next's per-request cost.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { ServerContext } from "../context";
import { AppError } from "../errors";
import { RequestAbortedError } from "./body";
import { getHealth, getReady } from "./health";
import { getAggregates, postIngest, postIngestBatch, sendError } from "./rest";
import { handleTrpc } from "./trpc-http";

export type FallbackHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export function createAppServer(ctx: ServerContext, fallback?: FallbackHandler): Server {
  const server = createServer((req, res) => {
    handle(req, res, ctx, fallback).catch((err: unknown) => {
      // Nobody is left to answer, and a client hanging up is not our failure to report.
      if (err instanceof RequestAbortedError) {
        ctx.log.debug("request aborted by the client", { method: req.method, url: req.url });
        res.destroy();
      } else if (!res.headersSent) sendError(res, ctx, err);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: ServerContext, fallback?: FallbackHandler): Promise<void> {
  const url = requestUrl(req);
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
  const method = req.method ?? "GET";

  if (path === "/ingest") return only("POST", method, () => postIngest(req, res, ctx));
  if (path === "/ingest/batch") return only("POST", method, () => postIngestBatch(req, res, ctx));
  if (path === "/aggregates") return only("GET", method, () => getAggregates(url, res, ctx));
  if (path === "/api/health") return only("GET", method, () => getHealth(res));
  if (path === "/api/ready") return only("GET", method, () => getReady(res, ctx));
  if (path.startsWith("/api/trpc/")) return handleTrpc(req, res, ctx, path.slice("/api/trpc/".length));
  if (fallback) return fallback(req, res);
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

async function only(allowed: string, method: string, run: () => Promise<void> | void): Promise<void> {
  if (method !== allowed) throw new AppError("METHOD_NOT_ALLOWED", `Use ${allowed} for this route`, { field: "method" });
  await run();
}
