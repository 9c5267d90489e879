// The cursor of a page of events: where the previous page ended in the list's order
// (receivedAt, then id, newest first), with a fingerprint of the filters it was made for.
// Opaque to clients (base64url JSON). One that is not well formed, or was made for other
// filters, is refused as an invalid `cursor` parameter, through the same path as every other
// bad parameter (invalidInput), never read against another query.
import { createHash } from "node:crypto";
import { z } from "zod";
import type { EventsQuery } from "../../lib/events-schema";
import { invalidInput } from "../api/trpc";

/** The last event of a page: the next page starts after it. */
export interface EventsPosition {
  /** ISO-8601 UTC with milliseconds (received_at's precision). */
  receivedAt: string;
  id: string;
}

const cursorSchema = z.object({
  f: z.string(),
  t: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/).refine((s) => !Number.isNaN(Date.parse(s))),
  i: z.uuid(),
});

/** The filters a cursor belongs to: everything that selects rows, not the page size. `source` is the scoped one. */
function fingerprint(q: EventsQuery): string {
  const instant = (s: string | undefined) => (s === undefined ? null : new Date(s).toISOString());
  const selected = [q.source ?? null, q.status ?? null, q.metric ?? null, q.identity ?? null, q.key ?? null, instant(q.from), instant(q.to), instant(q.receivedFrom), instant(q.receivedTo)];
  return createHash("sha256").update(JSON.stringify(selected)).digest("base64url").slice(0, 16);
}

export function encodeEventsCursor(q: EventsQuery, at: EventsPosition): string {
  const body: z.infer<typeof cursorSchema> = { f: fingerprint(q), t: at.receivedAt, i: at.id };
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

const refuse = (message: string) => invalidInput({ issues: [{ code: "custom", path: ["cursor"], message }] });

/** The position `q.cursor` names (null without one), or the 400 naming `cursor`. */
export function decodeEventsCursor(q: EventsQuery): EventsPosition | null {
  if (q.cursor === undefined || q.cursor === null) return null;
  let parsed: z.infer<typeof cursorSchema> | undefined;
  try {
    parsed = cursorSchema.parse(JSON.parse(Buffer.from(q.cursor, "base64url").toString("utf8")));
  } catch {
    parsed = undefined;
  }
  if (!parsed) throw refuse("not a cursor this server gave out; start again without one");
  if (parsed.f !== fingerprint(q)) throw refuse("it continues a list with other filters; ask with the same ones, or start again without a cursor");
  return { receivedAt: parsed.t, id: parsed.i };
}
