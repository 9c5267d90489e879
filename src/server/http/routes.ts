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

/**
 * Paths an analytics SDK may call that the API does not answer (PostHog's `/i/v0/e`, feature
 * flags): they are API paths all the same, answered with a JSON 404, never a page.
 */
const OTHER_API_SEGMENTS = ["i", "decide", "flags"];

/**
 * Whether `path` belongs to the API, not the console: its first segment is a route's first
 * segment (`/api/…`, `/v1/…`, `/ingest/…`, `/batch`, `/e` …). A request for an API path that no
 * route answers is a JSON 404, whatever asks (a browser too): never the console's HTML page.
 */
export function isApiPath(routes: readonly ApiRoute[], path: string): boolean {
  const first = (p: string) => p.split("/")[1] ?? "";
  const segment = first(path);
  return OTHER_API_SEGMENTS.includes(segment) || routes.some((r) => first(r.path) === segment);
}
