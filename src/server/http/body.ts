// Reading a request body with a hard size limit and a JSON parse that names the problem.
// A body the client stops sending (it aborted, its connection reset) is not a failure of
// ours: it surfaces as RequestAbortedError, which the server neither answers nor reports.
import type { IncomingMessage } from "node:http";
import { AppError } from "../errors";

/** The client went away while sending its body: there is no one left to answer. */
export class RequestAbortedError extends Error {
  constructor(cause: unknown) {
    super("The client aborted the request while sending its body", { cause });
    this.name = "RequestAbortedError";
  }
}

export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
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
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") throw new AppError("INVALID_JSON", "The request body is empty; send a JSON object", { field: "body" });
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new AppError("INVALID_JSON", `The request body is not valid JSON (${(err as Error).message})`, { field: "body" });
  }
}

function tooLarge(size: number, limit: number): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `The request body is ${size}+ bytes; the limit is ${limit} bytes per request`, { field: "body" });
}
