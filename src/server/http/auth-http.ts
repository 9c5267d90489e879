// HTTP side of access control: the credentials a request carries (Authorization: Bearer,
// Basic with the key as user name as the analytics SDKs send it, or the console's session
// cookie), the principal they resolve to, the same-origin check that keeps another site from
// using a signed-in browser, and the headers an auth refusal carries.
import type { IncomingMessage } from "node:http";
import { resolvePrincipal, tokenFromAuthorization, type Principal } from "../auth/principal";
import { sessionFromCookieHeader } from "../auth/session";
import type { ServerContext } from "../context";
import { AppError } from "../errors";
import { notePrincipal } from "../observability/access-log";
import { clientAddressOf } from "./client-address";
import { singleHeader } from "./headers";

export const WWW_AUTHENTICATE = 'Bearer realm="ingest", Basic realm="ingest"';

/** Who sent this request (`open` when access control is off). A wrong credential is 401. */
export async function requestPrincipal(req: IncomingMessage, ctx: ServerContext): Promise<Principal> {
  const principal = await resolveRequestPrincipal(req, ctx);
  notePrincipal(req, principal);
  return principal;
}

async function resolveRequestPrincipal(req: IncomingMessage, ctx: ServerContext): Promise<Principal> {
  if (!ctx.config.AUTH_REQUIRED) return { kind: "open" };
  const principal = await resolvePrincipal(ctx, {
    token: tokenFromAuthorization(singleHeader(req, "authorization", "authorization")),
    session: sessionFromCookieHeader(req.headers.cookie),
    address: clientAddressOf(req.socket),
  });
  // A cookie travels with every request the browser makes, including ones another site
  // triggers: a state-changing request authenticated by it must come from our own pages.
  if (principal.kind === "operator" && principal.via === "session" && req.method !== "GET" && req.method !== "HEAD" && !isSameOrigin(req)) {
    throw new AppError("FORBIDDEN", "A cross-origin request cannot use the console's session", { field: "origin" });
  }
  return principal;
}

/** True when the request comes from a page of this server (Origin, else Sec-Fetch-Site). */
export function isSameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin) {
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }
  const site = req.headers["sec-fetch-site"];
  return site === undefined || site === "same-origin" || site === "none";
}

/** Whether the client reached us over https (directly, or through a proxy that says so). */
export function isHttps(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true || req.headers["x-forwarded-proto"] === "https";
}

/** Headers an error answer carries besides its body: when to retry, how to authenticate. */
export function errorHeaders(ctx: ServerContext, appError: AppError): Record<string, string> {
  if (appError.status === 401) return { "www-authenticate": WWW_AUTHENTICATE };
  if (appError.retryAfterSeconds !== undefined) return { "retry-after": String(appError.retryAfterSeconds) };
  if (appError.status === 503) return { "retry-after": String(ctx.config.RETRY_AFTER_SECONDS) };
  return {};
}
