// Who is asking, and what they may do: one place resolves the credentials of a request to a
// principal, and one set of rules (below) says what each principal may do. The tRPC
// procedures, the REST adapter and every ingest route apply these same rules.
//
//   principal    ingest                          read aggregates/events     keys, simulation
//   open         any source (AUTH_REQUIRED=false) all                        yes
//   operator     any source                      all                        yes
//   write key    its own source only             no                         no
//   read key     no                              all, or its one source     no
//   (meters: managed by the operator; read and queried by the operator or a read key for all sources)
//   anonymous    401                             401                        401
import { timingSafeEqual } from "node:crypto";
import type { ServerContext } from "../context";
import { AppError } from "../errors";
import { sourceSchema } from "../../lib/ingest-schema";
import { findActiveKey } from "./api-keys";
import { failedAuthThrottle } from "./rate-limit";
import { isValidSession } from "./session";

export type Principal =
  | { kind: "open" }
  | { kind: "operator"; via: "token" | "session" }
  | { kind: "write"; keyPrefix: string; source: string }
  | { kind: "read"; keyPrefix: string; source: string | null }
  // `address`: the client's (http/client-address.ts), for the failed-credential throttle of a key sent later in the body.
  | { kind: "anonymous"; address?: string };

export interface Credentials {
  /** A bearer token, a Basic user name, or a key from the body (SDK protocols). */
  token?: string;
  /** The console's session cookie value. */
  session?: string;
  /** The client's address (http/client-address.ts): wrong tokens are throttled per address (rate-limit.ts). */
  address?: string;
}

/** The token in an Authorization header: `Bearer <token>`, or Basic with the token as user name. */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, ...rest] = header.trim().split(/\s+/);
  const value = rest.join(" ");
  if (/^bearer$/i.test(scheme ?? "") && value) return value;
  if (/^basic$/i.test(scheme ?? "") && value) {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const user = decoded.includes(":") ? decoded.slice(0, decoded.indexOf(":")) : decoded;
    return user || undefined;
  }
  throw new AppError("UNAUTHENTICATED", "The Authorization header must be `Bearer <key>` or Basic with the key as user name", { field: "authorization" });
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Resolves credentials; a credential that is given but wrong is 401, never ignored, and counts
 * against its address's failed attempts. An address past them (429) is not compared with
 * ADMIN_TOKEN at all: only a real key (256 random bits, nothing to guess) still works from it.
 */
export async function resolvePrincipal(ctx: ServerContext, creds: Credentials): Promise<Principal> {
  const { config } = ctx;
  if (!config.AUTH_REQUIRED) return { kind: "open" };
  if (creds.token !== undefined) {
    const throttle = failedAuthThrottle(config);
    const address = creds.address ?? "unknown";
    const locked = throttle.locked(address);
    if (!locked && config.ADMIN_TOKEN && sameSecret(creds.token, config.ADMIN_TOKEN)) return { kind: "operator", via: "token" };
    const key = await findActiveKey(ctx.db, creds.token);
    if (!key) {
      if (locked) throw throttle.refusal(address);
      throttle.noteFailure(address);
      throw new AppError("UNAUTHENTICATED", "The key is unknown or revoked", { field: "authorization" });
    }
    return key.scope === "write" ? { kind: "write", keyPrefix: key.prefix, source: key.source ?? "" } : { kind: "read", keyPrefix: key.prefix, source: key.source };
  }
  if (config.ADMIN_TOKEN && isValidSession(config.ADMIN_TOKEN, creds.session)) return { kind: "operator", via: "session" };
  return creds.address === undefined ? { kind: "anonymous" } : { kind: "anonymous", address: creds.address };
}

const isOperator = (p: Principal) => p.kind === "open" || p.kind === "operator";

/** 401 for no credentials, 403 for credentials that may not do this; `action` reads "ingest events". */
function refuse(p: Principal, action: string): never {
  if (p.kind === "anonymous") throw new AppError("UNAUTHENTICATED", `Credentials are needed to ${action}: send Authorization: Bearer <key>`, { field: "authorization" });
  throw new AppError("FORBIDDEN", `This ${p.kind === "write" ? "write key" : p.kind === "read" ? "read key" : "credential"} may not ${action}`, {
    field: "authorization",
  });
}

/**
 * The source an event is stored under. A write key decides it (the body may omit it; naming
 * another is 403 SOURCE_MISMATCH); an operator or an open server takes it from the body.
 */
export function sourceForWrite(p: Principal, bodySource: string | undefined, field = "source"): string {
  if (p.kind === "write") {
    if (bodySource !== undefined && bodySource !== p.source) {
      throw new AppError("SOURCE_MISMATCH", `This write key writes source "${p.source}", not "${bodySource}"`, { field });
    }
    return p.source;
  }
  if (!isOperator(p)) refuse(p, "ingest events");
  if (bodySource === undefined) throw new AppError("INVALID_ENVELOPE", `${field} is required`, { field });
  return bodySource;
}

/** Ingesting: an operator (or an open server) or a write key; 401/403 for anyone else. */
export function requireWriter(p: Principal): void {
  if (p.kind !== "write" && !isOperator(p)) refuse(p, "ingest events");
}

/** The source a reader is limited to (null: all), or 401/403. */
export function readScope(p: Principal): { source: string | null } {
  if (isOperator(p)) return { source: null };
  if (p.kind === "read") return { source: p.source };
  return refuse(p, "read aggregates and events");
}

/**
 * A read's source filter under the reader's scope: a read key bound to one source reads that
 * source only (asking for another is 403 SOURCE_MISMATCH); others read what they ask for.
 */
export function scopedSource(p: Principal, requested: string | undefined): string | undefined {
  const scope = readScope(p).source;
  if (scope === null) return requested;
  if (requested !== undefined && requested !== scope) {
    throw new AppError("SOURCE_MISMATCH", `This read key reads source "${scope}" only, not "${requested}"`, { field: "source" });
  }
  return scope;
}

/** Reading meters and their queries: the operator, or a read key for every source (a meter adds up every source's events). */
export function requireMeterReader(p: Principal): void {
  if (readScope(p).source !== null) {
    throw new AppError("FORBIDDEN", "This read key reads one source; meters add up every source's events: use a read key for all sources", { field: "authorization" });
  }
}

/** Key management, failure simulation: the operator only. */
export function requireOperator(p: Principal, action: string): void {
  if (!isOperator(p)) refuse(p, action);
}

/**
 * The source an analytics SDK's request writes: the SDK protocols name no source, the key
 * does. A write key writes its own source; an operator's or a read key's credential names
 * none (403). On an open server (AUTH_REQUIRED off) the key still names the source: a key
 * that is a write key gives its source, any other key text is the source's name, so an SDK
 * pointed at a development server writes where its key says.
 */
export async function sourceForSdk(ctx: ServerContext, p: Principal, key: string | undefined, keyField: string): Promise<{ principal: Principal; source: string }> {
  let principal = p;
  if (principal.kind === "anonymous" && key !== undefined) principal = await resolvePrincipal(ctx, { token: key, ...(principal.address === undefined ? {} : { address: principal.address }) });
  if (principal.kind === "write") return { principal, source: principal.source };
  if (principal.kind === "open") {
    if (key === undefined || key.trim() === "") throw new AppError("INVALID_ENVELOPE", `${keyField} is required: the write key names the events' source`, { field: keyField });
    const found = await findActiveKey(ctx.db, key);
    if (found?.scope === "write" && found.source) return { principal, source: found.source };
    const named = sourceSchema.safeParse(key);
    if (!named.success) throw new AppError("INVALID_ENVELOPE", `${keyField}: as a source name, ${named.error.issues[0]?.message ?? "invalid"}`, { field: keyField });
    return { principal, source: named.data };
  }
  if (principal.kind === "anonymous") {
    throw new AppError("UNAUTHENTICATED", `A write key is needed: send it as the Basic auth user name, Bearer, or ${keyField} in the body`, { field: "authorization" });
  }
  throw new AppError("FORBIDDEN", "The SDK routes take a write key: the key names the events' source", { field: "authorization" });
}
