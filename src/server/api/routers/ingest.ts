// `ingest` and `ingestBatch`: the operations behind the tRPC procedures and POST /ingest,
// POST /ingest/batch alike (the REST handlers call the operations, beside the procedures, not
// through them). Who may write which source, failure simulation and the per-key rate limit are
// checked here, before anything is stored (src/server/auth/principal.ts).
import type { z } from "zod";
import { batchInputSchema, batchOutputSchema, ingestInputSchema, ingestOutputSchema, type BatchInput, type BatchOutput, type IngestInput, type IngestOutput } from "../../../lib/ingest-schema";
import { requireOperator, requireWriter, sourceForWrite, type Principal } from "../../auth/principal";
import { takeRateLimit } from "../../auth/rate-limit";
import type { ServerContext } from "../../context";
import { ingestBatch } from "../../ingest/ingest-batch";
import { ingestEvent } from "../../ingest/ingest-event";
import { invalidInput, principalOf, writerProcedure } from "../trpc";

/** One event, for `principal`: the writer's gate, simulation (the operator's), the rate limit, then the write path. */
export async function ingestOne(ctx: ServerContext, principal: Principal, input: IngestInput, signal?: AbortSignal): Promise<IngestOutput> {
  requireWriter(principal);
  if (input.simulate) requireOperator(principal, "simulate failures");
  const source = sourceForWrite(principal, input.source);
  takeRateLimit(ctx, principal, 1);
  const result = await ingestEvent(ctx, { ...input, source }, signal);
  if (result.outcome === "not_counted") throw new Error("an event of this service's own format is counted or deduplicated, never not_counted");
  return { success: result.success, deduplicated: result.deduplicated, identifiedBy: result.identifiedBy };
}

/** A batch, for `principal`: the same gates, each event's source decided by the principal. */
export function ingestMany(ctx: ServerContext, principal: Principal, input: BatchInput, signal?: AbortSignal): Promise<BatchOutput> {
  requireWriter(principal);
  if (input.simulate) requireOperator(principal, "simulate failures");
  takeRateLimit(ctx, principal, input.events.length);
  return ingestBatch(ctx, input, (bodySource, field) => sourceForWrite(principal, bodySource, field), signal);
}

/** Input from outside tRPC, read by the procedure's own schema: a refusal is the 400 the procedure would answer. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error);
  return parsed.data;
}

export const ingestProcedure = writerProcedure
  .input(ingestInputSchema)
  .output(ingestOutputSchema)
  .mutation(({ ctx, input, signal }) => ingestOne(ctx, principalOf(ctx), input, signal));

export const ingestBatchProcedure = writerProcedure
  .input(batchInputSchema)
  .output(batchOutputSchema)
  .mutation(({ ctx, input, signal }) => ingestMany(ctx, principalOf(ctx), input, signal));
