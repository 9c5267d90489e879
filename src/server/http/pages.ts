// Console pages (Next.js) behind the custom server: every page answer carries a
// Content-Security-Policy whose script-src admits only this response's nonce (Next puts it
// on its own scripts: it reads the nonce from the request's CSP header), no framing, no
// MIME sniffing and a same-origin referrer; and with access control on, a console page
// without a valid operator session redirects to the sign-in page.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isValidSession, sessionFromCookieHeader } from "../auth/session";
import type { ServerContext } from "../context";
import type { FallbackHandler } from "./server";

export const SIGN_IN_PATH = "/console/sign-in";

/**
 * Whether a request that is not for an API path goes to Next: its own paths (`/_next/…`,
 * and `/__nextjs…` in development) whatever the method; otherwise a GET or HEAD that a browser
 * makes for a page (`Accept: text/html`, or a console path, whose client-side navigations
 * ask with `Accept: *\/*`) or for a file (`/icon.svg`, `/favicon.ico`). Anything else (a POST
 * to `/nope`, `curl /nope`) is not a page: the server answers it with a JSON 404.
 */
export function isPageRequest(req: IncomingMessage, path: string): boolean {
  if (path.startsWith("/_next/") || path.startsWith("/__nextjs")) return true;
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (path === "/" || path === "/console" || path.startsWith("/console/")) return true;
  if (/\.[A-Za-z0-9]+$/.test(path.slice(path.lastIndexOf("/")))) return true;
  return (req.headers.accept ?? "").toLowerCase().includes("text/html");
}

export function contentSecurityPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    // 'strict-dynamic': scripts Next's nonced scripts load are trusted; nothing inline else.
    // Development adds 'unsafe-eval' for React's refresh runtime.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export async function servePage(req: IncomingMessage, res: ServerResponse, ctx: ServerContext, path: string, next: FallbackHandler): Promise<void> {
  const { config } = ctx;
  const nonce = randomBytes(16).toString("base64");
  const csp = contentSecurityPolicy(nonce, config.NODE_ENV !== "production");
  req.headers["content-security-policy"] = csp;
  res.setHeader("content-security-policy", csp);
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("x-frame-options", "DENY");
  res.setHeader("referrer-policy", "same-origin");

  const gated = path === "/" || (path.startsWith("/console") && path !== SIGN_IN_PATH);
  if (config.AUTH_REQUIRED && gated && !(config.ADMIN_TOKEN && isValidSession(config.ADMIN_TOKEN, sessionFromCookieHeader(req.headers.cookie)))) {
    const back = req.url && req.url !== "/" ? `?next=${encodeURIComponent(req.url)}` : "";
    res.writeHead(303, { location: `${SIGN_IN_PATH}${back}`, "cache-control": "no-store" });
    res.end();
    return;
  }
  await next(req, res);
}
