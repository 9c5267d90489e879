// Every request gets an id: the client's X-Request-Id when it sends a sane one (a proxy's
// trace id), else a fresh UUID. It is echoed on every answer, carried in every error body
// and in the log lines about that request, so a client's report and the server's log meet.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../logger";

/** A client-sent X-Request-Id is kept when it matches this (the OpenAPI document says so too). */
export const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;
const ids = new WeakMap<IncomingMessage, string>();

export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers["x-request-id"];
  const id = typeof given === "string" && SANE_REQUEST_ID.test(given) ? given : randomUUID();
  ids.set(req, id);
  res.setHeader("x-request-id", id);
  return id;
}

export function requestIdOf(req: IncomingMessage | undefined): string | undefined {
  return req ? ids.get(req) : undefined;
}

/** The log of one request: every line written through it carries the request's id. */
export function requestLog(log: Logger, req: IncomingMessage | undefined): Logger {
  const requestId = requestIdOf(req);
  return requestId ? log.child({ requestId }) : log;
}
