// Parsing a request body as JSON without silently changing what the client sent.
//
// JSON.parse reads every number as a 64-bit float: `9007199254740993` becomes …992 and
// `1e400` becomes Infinity, so two different events could share a dedup key and a raw
// record could differ from the request. One pass over the text (before JSON.parse) finds
// the number literals a float cannot hold exactly and measures nesting depth; only when
// such a literal is present is the text parsed again with each of them replaced by an
// UnsafeNumber, which the write path refuses with 422 for that event alone.
// Hand-written because no library does this in one cheap pass: lossless-json parses every
// number losslessly but costs ~40× JSON.parse on a 1 MB batch (measured), and depth must be
// bounded before parsing: JSON.parse of a 1 MB body nested 520k levels costs ~45× a flat one.
import { randomBytes } from "node:crypto";
import { splitNumber } from "lossless-json";
import { AppError } from "../errors";
import { UnsafeNumber } from "../ingest/unsafe-number";

/** Deepest nesting accepted in a request body (payloads are held to MAX_JSON_DEPTH inside). */
export const MAX_BODY_DEPTH = 64;

export interface JsonScan {
  /** Offset where nesting passed MAX_BODY_DEPTH, or -1. */
  tooDeepAt: number;
  /** Number literals a 64-bit float cannot hold exactly, with their offsets. */
  unsafe: { start: number; end: number; literal: string }[];
}

const isNumberChar = (c: number) => (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 69 || c === 101;

/** One pass over JSON text: string contents are skipped, numbers and depth examined. */
export function scanJson(text: string): JsonScan {
  const unsafe: JsonScan["unsafe"] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // a string: skip to its closing quote
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 92) i++;
        else if (s === 34) break;
      }
    } else if (c === 91 || c === 123) {
      if (++depth > MAX_BODY_DEPTH) return { tooDeepAt: i, unsafe };
    } else if (c === 93 || c === 125) {
      depth--;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const start = i;
      while (i + 1 < text.length && isNumberChar(text.charCodeAt(i + 1))) i++;
      const literal = text.slice(start, i + 1);
      // 15 significant digits always survive a float; only longer literals or ones with an
      // exponent can lose something.
      if ((literal.length > 15 || /[eE]/.test(literal)) && !isExactFloat(literal)) unsafe.push({ start, end: i + 1, literal });
    }
  }
  return { tooDeepAt: -1, unsafe };
}

/** True when the float nearest to `literal` has exactly its decimal value. */
export function isExactFloat(literal: string): boolean {
  const n = Number(literal);
  if (!Number.isFinite(n)) return Number.isNaN(n); // NaN: not a JSON number; JSON.parse will say so
  try {
    const a = splitNumber(literal);
    const b = splitNumber(String(n));
    return a.sign === b.sign && a.digits === b.digits && a.exponent === b.exponent;
  } catch {
    return true; // not a valid number literal: JSON.parse reports the syntax error
  }
}

const nonce = randomBytes(12).toString("hex");

/**
 * Parses a request body (or one line of an NDJSON body: `what` names it in messages). Throws
 * AppError INVALID_JSON naming the problem; a number a float cannot hold exactly comes back as
 * an UnsafeNumber for the write path to refuse.
 */
export function parseJsonBody(text: string, what = "The request body"): unknown {
  if (text.trim() === "") throw new AppError("INVALID_JSON", `${what} is empty; send a JSON object`, { field: "body" });
  const scan = scanJson(text);
  if (scan.tooDeepAt >= 0) {
    throw new AppError("INVALID_JSON", `${what} is nested deeper than ${MAX_BODY_DEPTH} levels (at byte ${scan.tooDeepAt})`, {
      field: "body",
    });
  }
  try {
    if (scan.unsafe.length === 0) return JSON.parse(text) as unknown;
    // Each unsafe literal becomes a string only this process can write (the nonce), then
    // the reviver turns it into an UnsafeNumber: a client cannot forge one.
    let rewritten = "";
    let from = 0;
    scan.unsafe.forEach((u, i) => {
      rewritten += `${text.slice(from, u.start)}"\\u0000${nonce}:${i}"`;
      from = u.end;
    });
    rewritten += text.slice(from);
    const prefix = `\u0000${nonce}:`;
    return JSON.parse(rewritten, (_key, value: unknown) =>
      typeof value === "string" && value.startsWith(prefix) ? new UnsafeNumber(scan.unsafe[Number(value.slice(prefix.length))]!.literal) : value,
    ) as unknown;
  } catch (err) {
    throw new AppError("INVALID_JSON", `${what} is not valid JSON (${(err as Error).message})`, { field: "body" });
  }
}

/** A parsed body that must be a JSON object (REST and SDK routes); 400 naming `body` otherwise. */
export function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AppError("INVALID_ENVELOPE", "The request body must be a JSON object", { field: "body" });
  }
  return body as Record<string, unknown>;
}
