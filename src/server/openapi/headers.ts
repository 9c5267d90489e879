// The HTTP headers the OpenAPI document names, as zod schemas: what the server reads from a
// request and what it answers with. Values that the server's code defines (the request-id
// pattern, the WWW-Authenticate challenge) come from that code.
import { z } from "zod";
import { failurePointSchema, idempotencyKeySchema } from "../../lib/ingest-schema";
import { WWW_AUTHENTICATE } from "../http/auth-http";
import { SANE_REQUEST_ID } from "../observability/request-id";

// Answer headers.

export const requestIdHeader = z.string().meta({
  description:
    "The request's id: the client's X-Request-Id when it sent a usable one, else a new UUID. Also in every error body and in the server's log lines.",
  header: { id: "X-Request-Id" },
});

export const retryAfterHeader = z
  .number()
  .int()
  .min(1)
  .meta({ description: "Seconds to wait before sending the same request again", header: { id: "Retry-After" } });

export const wwwAuthenticateHeader = z
  .literal(WWW_AUTHENTICATE)
  .meta({ description: "How to authenticate", header: { id: "WWW-Authenticate" } });

export const linkNextHeader = z.string().meta({
  description:
    'Present when more rows follow this page: `</aggregates?…&cursor=…>; rel="next"` (RFC 8288), the same query with the next page\'s cursor',
  header: { id: "Link" },
});

export const linkNextEventsHeader = z.string().meta({
  description: 'Present when more events follow this page: `</events?…&cursor=…>; rel="next"` (RFC 8288), the same query with the next page\'s cursor',
  header: { id: "Link-Events" },
});

export const setCookieHeader = z
  .string()
  .meta({ description: "The console's session cookie (HttpOnly, SameSite=Strict, 12 hours), or its removal" });

// Request headers.

/** Every route reads it. */
export const requestIdParam = z
  .string()
  .regex(SANE_REQUEST_ID)
  .optional()
  .meta({
    description:
      "Your id for this request (a proxy's trace id): echoed in the answer and in the server's log; another value is replaced by a new UUID",
    param: { id: "X-Request-Id" },
  });

export const idempotencyKeyParam = idempotencyKeySchema.optional().meta({
  description: "Names the event (else `payload.eventId`, else its content): the same key sent again is deduplicated; read as UTF-8",
});

export const simulateParam = failurePointSchema.optional().meta({
  description:
    "Fail on purpose at this point (simulation mode, and the operator only when access control is on); on a batch, the whole batch fails",
});
