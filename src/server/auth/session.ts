// The console's operator session: a cookie holding its expiry and an HMAC over it, keyed
// by a key derived from ADMIN_TOKEN. Nothing is stored server-side, every instance can check
// it, and changing ADMIN_TOKEN signs every session out. httpOnly (scripts cannot read it),
// SameSite=Strict (another site cannot make the browser send it), Secure behind https.
import { createHmac, timingSafeEqual } from "node:crypto";
import { parseCookie, stringifySetCookie } from "cookie";

export const SESSION_COOKIE = "ingest_session";
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const signingKey = (adminToken: string) => createHmac("sha256", adminToken).update("ingest console session v1").digest();
const sign = (adminToken: string, payload: string) => createHmac("sha256", signingKey(adminToken)).update(payload).digest("base64url");

/** A session cookie value valid until `now + SESSION_TTL_MS`. */
export function createSessionValue(adminToken: string, now = Date.now()): string {
  const payload = `v1.${now + SESSION_TTL_MS}`;
  return `${payload}.${sign(adminToken, payload)}`;
}

export function isValidSession(adminToken: string, value: string | undefined, now = Date.now()): boolean {
  if (!value) return false;
  const parts = value.split(".");
  if (parts.length !== 3 || parts[0] !== "v1") return false;
  const expires = Number(parts[1]);
  if (!Number.isSafeInteger(expires) || expires <= now) return false;
  const expected = Buffer.from(sign(adminToken, `${parts[0]}.${parts[1]}`));
  const given = Buffer.from(parts[2]!);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function sessionCookie(value: string, secure: boolean): string {
  return stringifySetCookie(SESSION_COOKIE, value, { path: "/", httpOnly: true, sameSite: "strict", maxAge: SESSION_TTL_MS / 1000, secure });
}

export function clearedSessionCookie(secure: boolean): string {
  return stringifySetCookie(SESSION_COOKIE, "", { path: "/", httpOnly: true, sameSite: "strict", maxAge: 0, secure });
}

/** The session cookie's value from a Cookie header. */
export function sessionFromCookieHeader(header: string | undefined): string | undefined {
  return header ? parseCookie(header)[SESSION_COOKIE] : undefined;
}
