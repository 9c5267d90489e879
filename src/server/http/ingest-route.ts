// Running an ingest route: what every route that writes events checks before its body is
// read (content type, credentials, admission), and the signal that its client has left.
import type { IncomingMessage, ServerResponse } from "node:http";
import { backlogFor, eventsBound, plainLength } from "./admission";
import { requestPrincipal } from "./auth-http";
import { NDJSON_MEDIA_TYPE } from "./ndjson-body";
import { requireContentType, requireJsonContentType, type IngestScope } from "./rest";
import type { RouteCall } from "./routes";

/** How an ingest route checks Content-Type: JSON (REST), JSON or NDJSON (REST batches), or anything (SDK protocols). */
export type ContentTypeRule = (req: IncomingMessage) => void;
export const JSON_ONLY: ContentTypeRule = requireJsonContentType;
export const JSON_OR_NDJSON: ContentTypeRule = (req) => requireContentType(req, ["application/json", NDJSON_MEDIA_TYPE]);

/**
 * Runs an ingest route once its request's content type passes (else 415), it is
 * authenticated (else 401) and admitted (else 503 OVERLOADED), all before its body is read;
 * releases the admission when its work has ended, whether answered or dropped.
 */
export async function admitted(call: RouteCall, route: "event" | "batch", contentType: ContentTypeRule, run: (scope: IngestScope) => Promise<void>): Promise<void> {
  const { req, res, ctx } = call;
  contentType(req);
  const principal = await requestPrincipal(req, ctx);
  const admission = backlogFor(ctx).admit(eventsBound(route, plainLength(req), ctx.config));
  try {
    await run({ admission, signal: clientGone(res), principal });
  } finally {
    admission.release();
  }
}

/** Aborts when the connection closes before the response was sent: the client has left. */
function clientGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** The SDK protocols take any content type: SDKs label JSON as they please (RudderStack sends form-urlencoded). */
export const ANY_CONTENT_TYPE: ContentTypeRule = () => {};
