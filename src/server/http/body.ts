// Reading a request body with a hard size limit, then parsing it as JSON (json-body.ts)
// with an error that names the problem. A body the client stops sending (it aborted, its
// connection reset) is not a failure of ours: it surfaces as RequestAbortedError, which the
// server neither answers nor reports.
import type { IncomingMessage } from "node:http";
import { AppError } from "../errors";
import { parseJsonBody } from "./json-body";

/** The client went away while sending its body: there is no one left to answer. */
export class RequestAbortedError extends Error {
  constructor(cause: unknown) {
    super("The client aborted the request while sending its body", { cause });
    this.name = "RequestAbortedError";
  }
}

/** The body as UTF-8 text; 413 as soon as it passes `limitBytes`. */
export async function readBodyText(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(declared, limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limitBytes) throw tooLarge(size, limitBytes);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    // The only other way reading a request stream fails is its socket failing ('aborted',
    // ECONNRESET): the client is gone.
    throw err instanceof AppError ? err : new RequestAbortedError(err);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  return parseJsonBody(await readBodyText(req, limitBytes));
}

function tooLarge(size: number, limit: number): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `The request body is ${size}+ bytes; the limit is ${limit} bytes per request`, { field: "body" });
}
