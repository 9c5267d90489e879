// One access line per request, and the HTTP metrics, written when its answer has ended or
// its client has left: method, route, status, duration, request id, and who asked (the kind
// of credential and a key's prefix). Built from that list only: never a key, a header's
// value, a query string or a body. `route` is the route table's path (or /api/trpc, page,
// unmatched), never the raw URL, so it also serves as a bounded metrics label.
//   {"level":"info","time":"…","pid":4242,"requestId":"4f0c…","method":"POST","route":"/ingest","status":200,"durationMs":3.2,"auth":"write","keyPrefix":"wk_3Fq9xT2a","msg":"request"}
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Principal } from "../auth/principal";
import type { ServerContext } from "../context";
import { requestIdOf } from "./request-id";
import { metricsOf } from "./metrics";

interface Observation {
  started: bigint;
  route: string;
  principal?: Principal;
}

const observations = new WeakMap<IncomingMessage, Observation>();

/** Starts observing a request; its line and metrics are written when its response closes. */
export function observeRequest(req: IncomingMessage, res: ServerResponse, ctx: ServerContext): void {
  const observation: Observation = { started: process.hrtime.bigint(), route: "unmatched" };
  observations.set(req, observation);
  const metrics = metricsOf(ctx.db);
  metrics.httpInFlight.inc();
  res.once("close", () => {
    metrics.httpInFlight.dec();
    const seconds = Number(process.hrtime.bigint() - observation.started) / 1e9;
    // An answer that did not end (the client left, the connection was cut) counts as 499.
    const completed = res.writableFinished;
    const status = completed ? res.statusCode : 499;
    const method = req.method ?? "GET";
    const { route, principal } = observation;
    metrics.httpRequests.inc({ route, method, status: String(status) });
    metrics.httpDuration.observe({ route }, seconds);
    if (!ctx.log.isLevelEnabled("info")) return;
    ctx.log.info("request", {
      requestId: requestIdOf(req),
      method,
      route,
      status,
      durationMs: Math.round(seconds * 10_000) / 10,
      ...(principal ? { auth: principal.kind } : {}),
      ...(principal && "keyPrefix" in principal ? { keyPrefix: principal.keyPrefix } : {}),
      ...(completed ? {} : { aborted: true }),
    });
  });
}

/** The route a request was dispatched to (its metrics label). */
export function noteRoute(req: IncomingMessage, route: string): void {
  const observation = observations.get(req);
  if (observation) observation.route = route;
}

/** Who sent the request, once its credentials are resolved (the access line names them). */
export function notePrincipal(req: IncomingMessage, principal: Principal): void {
  const observation = observations.get(req);
  if (observation) observation.principal = principal;
}
