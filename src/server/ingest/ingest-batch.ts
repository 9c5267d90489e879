// POST /ingest/batch: each event goes through the same write path as a single ingest, and
// gets its own result. A bad event is `rejected` with its reason and never fails the
// rest; an unavailable database fails the whole request with 503 (retrying the batch is
// safe: events already counted come back `deduplicated`). When `signal` aborts (the client
// left), events not yet captured are dropped and the batch ends CLIENT_CLOSED.
import { batchEventSchema, type BatchInput, type BatchOutput, type BatchResult } from "../../lib/ingest-schema";
import type { ServerContext } from "../context";
import { AppError, toAppError } from "../errors";
import { failureOutcome, observeEvents, type EventOutcomeLabel } from "../observability/metrics";
import { abandoned, type GroupItem } from "./write-group";
import { answer, assertSimulationAllowed, groupCommitter, prepareEvent, type IngestEventInput } from "./ingest-event";
import { firstIssue } from "../validation-issue";

/** Events validated and submitted per turn of the event loop (a few milliseconds of CPU). */
const EVENTS_PER_TURN = 16;

/**
 * Decides an event's source from the source its body names (undefined when absent) and the
 * field to name in an error. Throwing SOURCE_MISMATCH refuses the whole batch, before
 * anything is stored; any other AppError rejects that event alone.
 */
export type SourceResolver = (bodySource: string | undefined, field: string) => string;

/** What became of one event of a batch (SDK calls add `not_counted`). */
export type ItemResult = Omit<BatchResult, "status"> & { status: BatchResult["status"] | "not_counted" };
/** An event ready for the write path, or the result it already has (refused before capture). */
export type CheckedItem = { index: number; event: IngestEventInput } | ItemResult;

type Outcome = ItemResult | { index: number; failure: unknown };

/** A refusal of one event as its result; `field` names it within the request. */
export const rejection = (index: number, err: AppError, field = err.field ? `events[${index}].${err.field}` : undefined): ItemResult => ({
  index,
  status: err.code === "EVENT_FAILED" ? "failed" : "rejected",
  code: err.code,
  reason: err.message,
  ...(field ? { field } : {}),
});

/**
 * Maps `fn` over `items` a slice at a time, yielding to the event loop between slices: a
 * 500-event batch costs tens of milliseconds of CPU, and under a flood of them one long turn
 * each would keep health probes and every other request waiting.
 */
export async function sliced<T, R>(items: readonly T[], fn: (item: T, index: number) => R): Promise<R[]> {
  const out: R[] = [];
  for (let start = 0; start < items.length; start += EVENTS_PER_TURN) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    items.slice(start, start + EVENTS_PER_TURN).forEach((item, i) => out.push(fn(item, start + i)));
  }
  return out;
}

export async function ingestBatch(ctx: ServerContext, input: BatchInput, sourceFor: SourceResolver, signal?: AbortSignal): Promise<BatchOutput> {
  if (input.events.length > ctx.config.MAX_BATCH_EVENTS) {
    throw new AppError(
      "PAYLOAD_TOO_LARGE",
      `events holds ${input.events.length} events; the limit is ${ctx.config.MAX_BATCH_EVENTS} per batch`,
      { field: "events" },
    );
  }
  // A simulated failure applies to every event, so the whole batch fails at that point
  // (after-commit: everything counted, the answer lost) and a retry shows deduplication.
  assertSimulationAllowed(ctx, input.simulate);

  // Pass 1: every envelope checked and its source decided before anything is stored, so a
  // source the credential may not write refuses the whole request with nothing stored.
  const checked = await sliced(input.events, (candidate, index): CheckedItem => {
    const parsed = batchEventSchema.safeParse(candidate);
    if (!parsed.success) {
      const { field, issue } = firstIssue(parsed.error, `events[${index}]`);
      return { index, status: "rejected", code: "INVALID_ENVELOPE", reason: `${field}: ${issue?.message ?? "invalid"}`, field };
    }
    try {
      return { index, event: { ...parsed.data, source: sourceFor(parsed.data.source, `events[${index}].source`), simulate: input.simulate } };
    } catch (err) {
      if (err instanceof AppError && err.code !== "SOURCE_MISMATCH" && err.status < 500) return rejection(index, err, err.field);
      throw err;
    }
  });

  const results = (await ingestItems(ctx, checked, signal)).map((r) => {
    if (r.status === "not_counted") throw new Error("an event of this service's own format cannot be not_counted");
    return r as BatchResult;
  });
  const tally = (s: BatchResult["status"]) => results.filter((r) => r.status === s).length;
  return { success: true, counted: tally("counted"), deduplicated: tally("deduplicated"), rejected: tally("rejected"), failed: tally("failed"), results };
}

/**
 * Pass 2 of every batch (REST, tRPC, SDK protocols): every checked event prepared and
 * submitted at once, as one entry of the group queue, so the batch rides a few group commits
 * with one promise for all of it; one result per item, in order. A bad event is `rejected`
 * alone; an infrastructure failure fails the whole request.
 */
export async function ingestItems(
  ctx: ServerContext,
  checked: CheckedItem[],
  signal?: AbortSignal,
  /** How a rejected item's field is named within the request. */
  itemField: (index: number, field: string) => string = (index, field) => `events[${index}].${field}`,
): Promise<ItemResult[]> {
  const started = performance.now();
  const out: Outcome[] = new Array(checked.length);
  const labels: EventOutcomeLabel[] = [];
  // A client's mistake, or an event the database refused for good, is that event's alone;
  // anything else fails the request.
  const refuse = (at: number, index: number, err: unknown): void => {
    const e = toAppError(err);
    labels.push(failureOutcome(e));
    out[at] = e.status < 500 || e.code === "EVENT_FAILED" ? rejection(index, e, e.field ? itemField(index, e.field) : undefined) : { index, failure: e };
  };
  const submitted: { at: number; index: number; item: GroupItem; simulate: IngestEventInput["simulate"] }[] = [];
  checked.forEach((c, at) => {
    if (!("event" in c)) return void (out[at] = c);
    try {
      submitted.push({ at, index: c.index, item: prepareEvent(ctx, c.event), simulate: c.event.simulate });
    } catch (err) {
      refuse(at, c.index, err);
    }
  });
  const settled = await groupCommitter(ctx).submitAll(submitted.map((s) => s.item), signal);
  settled.forEach((r, k) => {
    const { at, index, item, simulate } = submitted[k]!;
    try {
      if ("failure" in r) throw r.failure;
      const { outcome, identifiedBy } = answer(r.value, item.read, simulate);
      labels.push(outcome);
      out[at] = { index, status: outcome, ...(identifiedBy ? { identifiedBy } : {}) };
    } catch (err) {
      refuse(at, index, err);
    }
  });
  observeEvents(ctx.db, labels, (performance.now() - started) / 1000);
  // Nobody is left to read the results, and CLIENT_CLOSED must not pass for a rejected event.
  if (signal?.aborted) throw abandoned();
  const failed = out.find((r): r is { index: number; failure: unknown } => "failure" in r);
  if (failed) throw failed.failure;
  return out as ItemResult[];
}
