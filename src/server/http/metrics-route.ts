// GET /metrics – Prometheus text exposition (observability/scrape.ts). On the API's port it is
// protected like the numbers it reveals: with access control on, the operator or a read key
// for all sources (the metrics are the whole instance's, so a key bound to one source may
// not read them). METRICS_PORT serves it on a listener of its own, without credentials, for
// scrapers on a private network; that listener answers nothing else.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readScope } from "../auth/principal";
import type { ServerContext } from "../context";
import { AppError } from "../errors";
import { groupCommitter } from "../ingest/ingest-event";
import { scrapeMetrics, type LiveGauges } from "../observability/scrape";
import { backlogFor } from "./admission";
import { drainGateFor } from "./drain";
import { requestPrincipal } from "./auth-http";
import { sendError } from "./rest";

// GET /metrics – the instance's metrics, for Prometheus
export async function getMetrics(req: IncomingMessage, res: ServerResponse, ctx: ServerContext): Promise<void> {
  if (ctx.config.AUTH_REQUIRED && readScope(await requestPrincipal(req, ctx)).source !== null) {
    throw new AppError("FORBIDDEN", "The metrics are the whole instance's: read them with the operator token or a read key for all sources", { field: "authorization" });
  }
  await sendMetrics(res, ctx);
}

async function sendMetrics(res: ServerResponse, ctx: ServerContext): Promise<void> {
  const { text, contentType } = await scrapeMetrics(ctx, liveGauges(ctx));
  res.writeHead(200, { "content-type": contentType, "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  res.end(text);
}

/** What the backlog, the drain gate and the write path's queue publish at each scrape. */
function liveGauges(ctx: ServerContext): LiveGauges {
  const queue = groupCommitter(ctx);
  return { groupQueued: queue.waiting, groupFlushing: queue.flushing, pendingEvents: backlogFor(ctx).pending, draining: drainGateFor(ctx).draining };
}

/** The METRICS_PORT listener: GET /metrics and nothing else, no credentials. */
export function createMetricsServer(ctx: ServerContext): Server {
  return createServer((req, res) => {
    serveMetricsPort(req, res, ctx).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, ctx, err);
      else res.destroy();
    });
  });
}

async function serveMetricsPort(req: IncomingMessage, res: ServerResponse, ctx: ServerContext): Promise<void> {
  if ((req.url ?? "/").split("?")[0] !== "/metrics") throw new AppError("NOT_FOUND", "This port serves GET /metrics only", { field: "path" });
  if (req.method !== "GET") throw new AppError("METHOD_NOT_ALLOWED", "Use GET for this route", { field: "method" });
  await sendMetrics(res, ctx);
}
