// Reading a request body (gzip and deflate inflated) with a hard size limit on what it
// inflates to, then parsing it as JSON (json-body.ts)
// with an error that names the problem. A body the client stops sending (it aborted, its
// connection reset) is not a failure of ours: it surfaces as RequestAbortedError, which the
// server neither answers nor reports.
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import inflate from "inflation";
import getRawBody from "raw-body";
import { AppError } from "../errors";
import { parseJsonBody } from "./json-body";

/** The client went away while sending its body: there is no one left to answer. */
export class RequestAbortedError extends Error {
  constructor(cause: unknown) {
    super("The client aborted the request while sending its body", { cause });
    this.name = "RequestAbortedError";
  }
}

const ENCODINGS = new Set(["gzip", "deflate", "identity"]);

/**
 * The body as UTF-8 text, inflated when it is sent gzip or deflate (Content-Encoding): 413 as
 * soon as the inflated bytes pass `limitBytes`, while inflating, so a small zip bomb never
 * grows past one zlib chunk in memory; 415 for an encoding we do not speak; 400 for a body
 * that is not what its encoding says. inflation picks zlib's stream, raw-body counts the
 * bytes and stops at the limit.
 */
export async function readBodyText(req: IncomingMessage, limitBytes: number): Promise<string> {
  const encoding = contentEncodingOf(req);
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes, encoding);
  let stream: Readable = req;
  if (encoding !== "identity") {
    stream = inflate(req, { gzip: encoding as "gzip" | "deflate" });
    // A client gone mid-body must end the inflater too, or raw-body would wait for it.
    req.once("aborted", () => stream.destroy(new RequestAbortedError("aborted")));
    req.once("error", (err) => stream.destroy(err));
  }
  try {
    return await getRawBody(stream, { limit: limitBytes, encoding: "utf8", ...(encoding === "identity" && Number.isFinite(declared) ? { length: declared } : {}) });
  } catch (err) {
    const type = (err as { type?: string }).type;
    if (type === "entity.too.large") throw tooLarge(limitBytes, encoding);
    if ((err as { code?: string }).code?.startsWith("Z_")) {
      throw new AppError("INVALID_ENVELOPE", `The request body is not valid ${encoding} data (Content-Encoding: ${encoding})`, { field: "content-encoding" });
    }
    if (err instanceof RequestAbortedError) throw err;
    // Anything else reading a request stream fails on is its socket ('aborted', ECONNRESET,
    // a body shorter than its Content-Length): the client is gone.
    throw new RequestAbortedError(err);
  } finally {
    if (stream !== req) stream.destroy();
  }
}

function contentEncodingOf(req: IncomingMessage): string {
  const encoding = (req.headers["content-encoding"] ?? "identity").trim().toLowerCase() || "identity";
  if (!ENCODINGS.has(encoding)) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Content-Encoding ${encoding} is not supported; send gzip, deflate or no encoding`, { field: "content-encoding" });
  }
  return encoding;
}

export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  return parseJsonBody(await readBodyText(req, limitBytes));
}

function tooLarge(limit: number, encoding: string): AppError {
  const what = encoding === "identity" ? "The request body is" : `The request body inflates (${encoding}) to`;
  return new AppError("PAYLOAD_TOO_LARGE", `${what} more than ${limit} bytes, the limit per request`, { field: "body" });
}
