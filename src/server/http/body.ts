// Reading a request body with a hard size limit, then parsing it as JSON (json-body.ts)
// with an error that names the problem.
import type { IncomingMessage } from "node:http";
import { AppError } from "../errors";
import { parseJsonBody } from "./json-body";

/** The body as UTF-8 text; 413 as soon as it passes `limitBytes`. */
export async function readBodyText(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(declared, limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw tooLarge(size, limitBytes);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  return parseJsonBody(await readBodyText(req, limitBytes));
}

function tooLarge(size: number, limit: number): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `The request body is ${size}+ bytes; the limit is ${limit} bytes per request`, { field: "body" });
}
