// The service's own routes in the OpenAPI document: liveness, readiness, metrics, the
// console's operator session, and this document.
import { z } from "zod";
import { signInSchema } from "../http/session-route";
import { bodyErrors } from "./error-responses";
import { requestIdHeader, retryAfterHeader, setCookieHeader } from "./headers";
import type { OperationTable } from "./operation";
import { healthSchema, notReadySchema, openApiDocumentSchema, readySchema, sessionStateSchema } from "./service-schemas";

const session = { schema: sessionStateSchema, description: "Whether access control is on and whether this browser is signed in" };

export const serviceOperations: OperationTable = {
  "GET /api/health": {
    operationId: "health",
    summary: "Liveness: the process answers",
    description: "For load balancers; touches nothing else.",
    tag: "Service",
    access: "public",
    answer: { schema: healthSchema, description: "Alive" },
    errors: [],
    envelope: "plain",
    servedWhileStopping: true,
  },
  "GET /api/ready": {
    operationId: "ready",
    summary: "Readiness: not stopping, and the database answers, is migrated and writable by this role",
    description:
      "`503` says which: the instance is stopping (`draining`, from the stop signal on), an outage (`down`, it passes by itself), still migrating (`up` with the pending migrations), or `misconfigured` (an operator must act).",
    tag: "Service",
    access: "public",
    answer: { schema: readySchema, description: "Ready to ingest" },
    otherAnswers: {
      "503": {
        description: "Not ready, and why",
        headers: z.object({ "X-Request-Id": requestIdHeader, "Retry-After": retryAfterHeader }),
        content: { "application/json": { schema: notReadySchema } },
      },
    },
    errors: [],
    envelope: "plain",
    servedWhileStopping: true,
  },
  "GET /metrics": {
    operationId: "metrics",
    summary: "The instance's metrics, for Prometheus",
    description:
      "Prometheus text exposition: requests by route and status, ingest outcomes, group commit sizes, processing latency, the recovery backlog, the database pool, event-loop lag (README, Operations).",
    tag: "Service",
    access: "metrics",
    answer: { schema: z.string(), description: "Prometheus text format 0.0.4", mediaType: "text/plain; version=0.0.4" },
    errors: [],
    envelope: "plain",
    servedWhileStopping: true,
  },
  "GET /api/session": {
    operationId: "getSession",
    summary: "The console's session: is access control on, is this browser signed in",
    description: "Read by the console's pages.",
    tag: "Service",
    access: "public",
    answer: session,
    errors: [],
    envelope: "plain",
  },
  "POST /api/session": {
    operationId: "signIn",
    summary: "Sign the console in with the operator token",
    description:
      "Sets the session cookie. From the console's own origin only; the body must be labelled `application/json`. Wrong tokens are counted per " +
      "client address: past AUTH_FAILURES_PER_MINUTE the next attempts, the right token too, are `429` with `Retry-After`.",
    tag: "Service",
    access: "public",
    body: { schema: signInSchema, description: "`token`: ADMIN_TOKEN" },
    answer: { ...session, headers: { "Set-Cookie": setCookieHeader.optional() } },
    errors: [...bodyErrors, "UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED"],
    envelope: "plain",
  },
  "DELETE /api/session": {
    operationId: "signOut",
    summary: "Sign the console out",
    description: "Clears the session cookie. From the console's own origin only.",
    tag: "Service",
    access: "public",
    answer: { ...session, headers: { "Set-Cookie": setCookieHeader } },
    errors: ["FORBIDDEN"],
    envelope: "plain",
  },
  "GET /openapi.json": {
    operationId: "openapi",
    summary: "This document (OpenAPI 3.1)",
    description: "Generated from the zod schemas the routes use. Public: it describes the API, it grants nothing.",
    tag: "Service",
    access: "public",
    answer: { schema: openApiDocumentSchema, description: "The OpenAPI document" },
    errors: [],
    envelope: "plain",
  },
};
