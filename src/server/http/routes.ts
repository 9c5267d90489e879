// The API's routes, in one table: the server dispatches from it, and the OpenAPI document
// and its test check themselves against it, so a route cannot be answered without being
// documented. A `{name}` in a path stands for one path segment (`/events/{id}`), as OpenAPI
// writes it; the handler gets its text in `params`. Paths are matched without a trailing slash (`/batch/` is `/batch`), answered
// directly, never redirected: the analytics SDKs do not follow redirects.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ServerContext } from "../context";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

/** Everything a route handler gets: the request, its answer, the process, the parsed URL. */
export interface RouteCall {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: ServerContext;
  url: URL;
  method: HttpMethod;
  /** The text of each `{name}` segment of the route's path, percent-decoded. */
  params: Record<string, string>;
}

export interface ApiRoute {
  /** The path as matched, without a trailing slash. */
  path: string;
  methods: readonly HttpMethod[];
  /** Answered as usual while the server stops (probes and scrapes); every other route is refused 503 then. */
  servedWhileStopping?: boolean;
  handle(call: RouteCall): Promise<void> | void;
}

/** The `{name}` segments of `template` as they read in `path`, or null when the path is not the template's. */
export function matchPath(template: string, path: string): Record<string, string> | null {
  if (!template.includes("{")) return template === path ? {} : null;
  const want = template.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i]!;
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name === undefined) {
      if (part !== got[i]) return null;
      continue;
    }
    if (got[i] === "") return null;
    // A segment that is not valid percent-encoding is kept as sent, for the route to refuse.
    params[name] = safeDecode(got[i]!);
  }
  return params;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The route for a path (already stripped of trailing slashes), if the API has one, with its path's params. */
export function findRoute(routes: readonly ApiRoute[], path: string): { route: ApiRoute; params: Record<string, string> } | undefined {
  for (const route of routes) {
    const params = matchPath(route.path, path);
    if (params) return { route, params };
  }
  return undefined;
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
