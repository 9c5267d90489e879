// /api/session – the console's operator sign-in. GET tells the console whether access control
// is on and whether it is signed in; POST { token } with the ADMIN_TOKEN sets the session
// cookie; DELETE signs out. Same-origin only, JSON only; wrong tokens throttled per address.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { clearedSessionCookie, createSessionValue, isValidSession, sessionCookie, sessionFromCookieHeader } from "../auth/session";
import { failedAuthThrottle } from "../auth/rate-limit";
import type { ServerContext } from "../context";
import { AppError } from "../errors";
import { isHttps, isSameOrigin } from "./auth-http";
import { clientAddressOf } from "./client-address";
import { readJsonBody } from "./body";
import { requireJsonContentType, sendJson } from "./rest";

export const signInSchema = z.object({ token: z.string({ error: "token must be a string" }).min(1, "token is required").max(4096) });

export async function sessionRoute(req: IncomingMessage, res: ServerResponse, ctx: ServerContext, method: string): Promise<void> {
  const { AUTH_REQUIRED, ADMIN_TOKEN } = ctx.config;
  const signedIn = () => !AUTH_REQUIRED || (ADMIN_TOKEN !== undefined && isValidSession(ADMIN_TOKEN, sessionFromCookieHeader(req.headers.cookie)));
  if (method === "GET") return sendJson(res, 200, { authRequired: AUTH_REQUIRED, signedIn: signedIn() }, { "cache-control": "no-store" });
  if (method !== "POST" && method !== "DELETE") throw new AppError("METHOD_NOT_ALLOWED", "Use GET, POST or DELETE for this route", { field: "method" });
  if (!isSameOrigin(req)) throw new AppError("FORBIDDEN", "Sign in and out from the console's own pages", { field: "origin" });
  const secure = isHttps(req);
  if (method === "DELETE") return sendJson(res, 200, { authRequired: AUTH_REQUIRED, signedIn: !AUTH_REQUIRED }, { "set-cookie": clearedSessionCookie(secure) });

  // POST /api/session – sign in with the operator token
  requireJsonContentType(req);
  const parsed = signInSchema.safeParse(await readJsonBody(req, 16 * 1024));
  if (!parsed.success) throw new AppError("INVALID_ENVELOPE", parsed.error.issues[0]?.message ?? "token is required", { field: "token" });
  if (!AUTH_REQUIRED) return sendJson(res, 200, { authRequired: false, signedIn: true });
  // Wrong tokens are counted per address; past AUTH_FAILURES_PER_MINUTE the next attempt is
  // 429, the right token too, so guessing ADMIN_TOKEN goes at that rate at most.
  const throttle = failedAuthThrottle(ctx.config);
  const address = clientAddressOf(req.socket);
  throttle.check(address);
  const given = Buffer.from(parsed.data.token);
  const expected = Buffer.from(ADMIN_TOKEN ?? "");
  if (!ADMIN_TOKEN || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throttle.noteFailure(address);
    throw new AppError("UNAUTHENTICATED", "That is not the operator token (ADMIN_TOKEN)", { field: "token" });
  }
  sendJson(res, 200, { authRequired: true, signedIn: true }, { "set-cookie": sessionCookie(createSessionValue(ADMIN_TOKEN), secure), "cache-control": "no-store" });
}
