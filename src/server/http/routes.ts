// The API's routes, in one table: the server dispatches from it, and the OpenAPI document
// and its test check themselves against it, so a route cannot be answered without being
// documented. Paths are matched without a trailing slash (`/batch/` is `/batch`), answered
// directly, never redirected: the analytics SDKs do not follow redirects.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ServerContext } from "../context";

export type HttpMethod = "GET" | "POST" | "DELETE";

/** Everything a route handler gets: the request, its answer, the process, the parsed URL. */
export interface RouteCall {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: ServerContext;
  url: URL;
  method: HttpMethod;
}

export interface ApiRoute {
  /** The path as matched, without a trailing slash. */
  path: string;
  methods: readonly HttpMethod[];
  /** Answered as usual while the server stops (probes and scrapes); every other route is refused 503 then. */
  servedWhileStopping?: boolean;
  handle(call: RouteCall): Promise<void> | void;
}

/** The route for a path (already stripped of trailing slashes), if the API has one. */
export function findRoute(routes: readonly ApiRoute[], path: string): ApiRoute | undefined {
  return routes.find((r) => r.path === path);
}
