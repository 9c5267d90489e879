// Reading request headers the same way on every route.
import type { IncomingMessage } from "node:http";
import { AppError } from "../errors";

/**
 * One header's value, decoded as UTF-8 (node:http hands header bytes over as latin1, so
 * `clé` would arrive as `clÃ©` and name a different event than the same key sent in a
 * JSON body). The same header sent twice is ambiguous and refused, as are bytes that are
 * not UTF-8.
 */
export function singleHeader(req: IncomingMessage, name: string, field: string): string | undefined {
  const values = req.headersDistinct[name];
  if (values && values.length > 1) {
    throw new AppError("INVALID_ENVELOPE", `Send the ${name} header once, not ${values.length} times`, { field });
  }
  const raw = values?.[0];
  if (raw === undefined || !/[\u0080-\u00ff]/.test(raw)) return raw;
  const text = Buffer.from(raw, "latin1").toString("utf8");
  if (text.includes("\ufffd")) throw new AppError("INVALID_ENVELOPE", `The ${name} header is not valid UTF-8`, { field });
  return text;
}
