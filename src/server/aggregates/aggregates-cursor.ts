// The cursor of a page of aggregates: where the previous page ended, in its sort order (the
// last row's sort value, exact, as text, and its source and metric), with the sort and a
// fingerprint of the filters and window it was made for. Opaque to clients (base64url JSON);
// one made for another query is refused, naming the field, rather than read against it.
import { createHash } from "node:crypto";
import { z } from "zod";
import type { AggregateSort, AggregatesQuery } from "../../lib/aggregates-schema";
import { AppError } from "../errors";

export interface CursorPosition {
  /** The last row's sort value as exact text (null when sorting by source or metric). */
  value: string | null;
  source: string;
  metric: string;
}

const text = z.string().refine((s) => !s.includes("\u0000"));
const cursorSchema = z.object({
  s: z.string(),
  f: z.string(),
  x: text.nullable(),
  k: z.tuple([text, text]),
});

/** What a sort value must look like for its column, so a tampered cursor never reaches SQL as a bad cast. */
const valueShape: Record<"number" | "time" | "none", (x: string | null) => boolean> = {
  number: (x) => x !== null && /^-?\d{1,70}(\.\d{1,40})?$/.test(x),
  time: (x) => x !== null && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(x) && !Number.isNaN(Date.parse(x)),
  none: (x) => x === null,
};

/** The query a cursor belongs to: everything that selects and orders rows, not the page size. */
function fingerprint(q: AggregatesQuery, source: string | undefined): string {
  const selected = [source ?? null, q.metric ?? null, q.q ?? null, q.from ? Date.parse(q.from) : null, q.to ? Date.parse(q.to) : null];
  return createHash("sha256").update(JSON.stringify(selected)).digest("base64url").slice(0, 12);
}

export function encodeCursor(q: AggregatesQuery, source: string | undefined, sort: AggregateSort, at: CursorPosition): string {
  const body: z.infer<typeof cursorSchema> = { s: sort, f: fingerprint(q, source), x: at.value, k: [at.source, at.metric] };
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

/** The position a cursor names, or a 400 naming `cursor` when it is not one for this query. */
export function decodeCursor(q: AggregatesQuery, source: string | undefined, sort: AggregateSort, kind: keyof typeof valueShape): CursorPosition | null {
  if (q.cursor === undefined) return null;
  let parsed: z.infer<typeof cursorSchema> | undefined;
  try {
    parsed = cursorSchema.parse(JSON.parse(Buffer.from(q.cursor, "base64url").toString("utf8")));
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.s === sort && !valueShape[kind](parsed.x))) {
    throw new AppError("INVALID_ENVELOPE", "cursor: not a cursor this server gave out; start again without one", { field: "cursor" });
  }
  if (parsed.s !== sort) {
    throw new AppError("INVALID_ENVELOPE", `cursor: it continues a page sorted by ${parsed.s}, not ${sort}; ask with the same sort, or start again without a cursor`, { field: "cursor" });
  }
  if (parsed.f !== fingerprint(q, source)) {
    throw new AppError("INVALID_ENVELOPE", "cursor: it continues a page with other filters or another window; ask with the same ones, or start again without a cursor", { field: "cursor" });
  }
  return { value: parsed.x, source: parsed.k[0], metric: parsed.k[1] };
}
