// Who may call an operation, as the OpenAPI document says it: the security schemes (how a
// credential is sent) and, per kind of access, the requirements and the refusals that come
// with them (the rules themselves live in src/server/auth/principal.ts). Requirements name
// roles, as OpenAPI 3.1 allows for non-OAuth schemes: `write-key`, `read-key`, `operator`.
import type { oas31 } from "zod-openapi";
import { SESSION_COOKIE } from "../auth/session";
import type { AppErrorCode } from "../errors";

export const securitySchemes = {
  bearer: {
    type: "http",
    scheme: "bearer",
    description: "`Authorization: Bearer <credential>`: a write key (`wk_…`), a read key (`rk_…`) or the operator token (`ADMIN_TOKEN`).",
  },
  basic: {
    type: "http",
    scheme: "basic",
    description:
      "HTTP Basic with the key (or the operator token) as user name and an empty password, as analytics SDKs send their write key.",
  },
  consoleSession: {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIE,
    description:
      "The operator's console session, set by `POST /api/session`. A state-changing request authenticated by it must come from the console's own origin (else `403`).",
  },
} satisfies Record<string, oas31.SecuritySchemeObject>;

type SchemeName = keyof typeof securitySchemes;
type Requirement = Partial<Record<SchemeName, string[]>>;

/**
 * Kinds of access: `public` needs nothing; `write` and `read` take a key of that scope or
 * the operator; `sdk` takes a write key only (it names the events' source), in a header or,
 * as the SDKs send it, in the body (`x-api-key-in-body`).
 */
export type Access = "public" | "write" | "read" | "sdk" | "metrics" | "operator" | "meters";

const requirements: Record<Access, Requirement[]> = {
  public: [],
  write: [{ bearer: ["write-key", "operator"] }, { basic: ["write-key", "operator"] }, { consoleSession: ["operator"] }],
  read: [{ bearer: ["read-key", "operator"] }, { basic: ["read-key", "operator"] }, { consoleSession: ["operator"] }],
  // `{}`: a key in the body instead of a header.
  sdk: [{ basic: ["write-key"] }, { bearer: ["write-key"] }, {}],
  metrics: [{ bearer: ["read-key", "operator"] }, { basic: ["read-key", "operator"] }, { consoleSession: ["operator"] }],
  operator: [{ bearer: ["operator"] }, { basic: ["operator"] }, { consoleSession: ["operator"] }],
  meters: [{ bearer: ["read-key", "operator"] }, { basic: ["read-key", "operator"] }, { consoleSession: ["operator"] }],
};

/**
 * The refusals each kind of access brings (401 no or wrong credentials, 403 not allowed, 429 too
 * many wrong credentials from the client's address: auth/rate-limit.ts).
 */
const refusals: Record<Access, readonly AppErrorCode[]> = {
  public: [],
  write: ["UNAUTHENTICATED", "FORBIDDEN", "SOURCE_MISMATCH", "RATE_LIMITED"],
  read: ["UNAUTHENTICATED", "FORBIDDEN", "SOURCE_MISMATCH", "RATE_LIMITED"],
  sdk: ["UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED"],
  metrics: ["UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED"],
  operator: ["UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED"],
  meters: ["UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED"],
};

const notes: Record<Exclude<Access, "operator" | "meters">, string> = {
  public: "No credentials needed.",
  write:
    "Access: a write key (its own source only), or the operator. Without access control (`AUTH_REQUIRED=false`) no credentials are needed.",
  read: "Access: a read key (every source, or its one source), or the operator. Without access control (`AUTH_REQUIRED=false`) no credentials are needed.",
  sdk:
    "Access: a write key, whose source the events are stored under: as the Basic user name (what the SDKs send), as a Bearer token, or in the body " +
    "(`writeKey`; PostHog: `api_key` or `token`). A read key or the operator token is `403`. Without access control (`AUTH_REQUIRED=false`) a key that " +
    "is not a write key is taken as the source name itself, and no key at all is `400`.",
  metrics:
    "Access: the operator, or a read key for all sources (the metrics are the whole instance's: a key bound to one source is `403`). Without access control " +
    "(`AUTH_REQUIRED=false`) no credentials are needed; with `METRICS_PORT` set, that port's own listener serves this route without credentials.",
};

const notesMore: Record<"operator" | "meters", string> = {
  operator: "Access: the operator only. Without access control (`AUTH_REQUIRED=false`) no credentials are needed.",
  meters:
    "Access: the operator, or a read key for all sources (a meter adds up the events of every source: a key bound to one source is `403`). " +
    "Without access control (`AUTH_REQUIRED=false`) no credentials are needed.",
};

export function securityOf(access: Access): { security: Requirement[]; refusals: readonly AppErrorCode[]; note: string } {
  const note = access === "operator" || access === "meters" ? notesMore[access] : notes[access];
  return { security: requirements[access], refusals: refusals[access], note };
}
