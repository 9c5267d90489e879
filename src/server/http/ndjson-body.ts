// NDJSON bodies for POST /ingest/batch (Content-Type: application/x-ndjson): one event envelope
// per line, as `npm run import` sends a file. Line i+1 is event `index` i of the batch, so a
// result names its line. Each line is read by the JSON reader (json-body.ts) with its number and
// depth protections; a line that is not JSON (or is empty) is rejected alone with its line
// number, like any bad event of a batch, and the rest are counted. The batch limits apply as to
// a JSON batch: MAX_REQUEST_BYTES to the body, MAX_BATCH_EVENTS to the lines.
import { AppError } from "../errors";
import type { BatchOutput } from "../../lib/ingest-schema";
import { parseJsonBody } from "./json-body";

export const NDJSON_MEDIA_TYPE = "application/x-ndjson";

/** One line of the body: its envelope, or why it is not one. */
export type NdjsonLine = { value: unknown } | { error: AppError };

/** The lines of an NDJSON body; the line break after the last line is optional. */
export function parseNdjsonBody(text: string): NdjsonLine[] {
  if (text === "") throw new AppError("INVALID_JSON", "The request body is empty; send one JSON event per line", { field: "body" });
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    try {
      return { value: parseJsonBody(line, `Line ${i + 1}`) };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return { error: new AppError(err.code, err.message, { field: `events[${i}]` }) };
    }
  });
}

/**
 * The batch's events, in line order. A line that is not JSON stands as `null`, which the batch
 * refuses before anything is stored; `withLineErrors` then gives it its own reason.
 */
export const eventsOfLines = (lines: NdjsonLine[]): unknown[] => lines.map((l) => ("value" in l ? l.value : null));

/** The batch's answer with each unreadable line's result saying why (the tallies are unchanged: rejected either way). */
export function withLineErrors(output: BatchOutput, lines: NdjsonLine[]): BatchOutput {
  return {
    ...output,
    results: output.results.map((r) => {
      const line = lines[r.index];
      return line && "error" in line ? { index: r.index, status: "rejected", code: line.error.code, reason: line.error.message, field: line.error.field } : r;
    }),
  };
}
