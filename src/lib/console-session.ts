// The console's side of the operator session (/api/session, served by
// src/server/http/session-route.ts): read the state, sign in with the operator token, sign
// out; and the one rule for where a successful sign-in may send the browser. Browser code:
// plain fetch, same origin, so the httpOnly cookie travels without scripts ever seeing it.
import { z } from "zod";

/** The sign-in page; the server redirects console pages here (src/server/http/pages.ts). */
export const signInPath = "/console/sign-in";
export const defaultConsolePath = "/console/submit";

export const sessionStateSchema = z.object({ authRequired: z.boolean(), signedIn: z.boolean() });
export type SessionState = z.infer<typeof sessionStateSchema>;

const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export type SessionResult = { ok: true; state: SessionState } | { ok: false; code: string; message: string };

async function sessionRequest(init: RequestInit): Promise<SessionResult> {
  let res: Response;
  try {
    res = await fetch("/api/session", { ...init, cache: "no-store", credentials: "same-origin" });
  } catch (err) {
    return { ok: false, code: "NETWORK_ERROR", message: `No answer from the server (${err instanceof Error ? err.message : String(err)})` };
  }
  const body: unknown = await res.json().catch(() => null);
  if (res.ok) {
    const state = sessionStateSchema.safeParse(body);
    if (state.success) return { ok: true, state: state.data };
  }
  const error = errorBodySchema.safeParse(body);
  return error.success
    ? { ok: false, ...error.data.error }
    : { ok: false, code: "HTTP_ERROR", message: `The server answered ${res.status}` };
}

export async function fetchSession(): Promise<SessionState> {
  const result = await sessionRequest({ method: "GET" });
  if (!result.ok) throw new Error(result.message);
  return result.state;
}

export function signIn(token: string): Promise<SessionResult> {
  return sessionRequest({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }) });
}

export function signOut(): Promise<SessionResult> {
  return sessionRequest({ method: "DELETE" });
}

/**
 * Where to go after signing in: `next` when it is a console page of this site, else the
 * default page. Anything else (another origin, `//host`, `/api/…`, the sign-in page itself)
 * would make the sign-in page an open redirect or a loop. Next's own `_rsc` marker (present
 * when the server redirected a client-side navigation) is dropped.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//")) return defaultConsolePath;
  const base = "http://console.invalid";
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return defaultConsolePath;
  }
  if (url.origin !== base) return defaultConsolePath;
  const path = url.pathname;
  if (!(path === "/console" || path.startsWith("/console/")) || path === signInPath || path.startsWith(`${signInPath}/`))
    return defaultConsolePath;
  // Re-serialised only when needed: URLSearchParams would respell the rest (%20 as +).
  if (url.searchParams.has("_rsc")) url.searchParams.delete("_rsc");
  return `${path}${url.search}${url.hash}`;
}

/** The sign-in page, asking to come back to `path` afterwards. */
export function signInUrl(path?: string): string {
  return path ? `${signInPath}?next=${encodeURIComponent(path)}` : signInPath;
}
