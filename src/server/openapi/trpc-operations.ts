// The public tRPC procedures in the OpenAPI document, one path each: every procedure has its
// own method (query: GET, mutation: POST) and its own input and output schemas, which one
// parameterised `/api/trpc/{procedure}` path could only describe as "any JSON". The console's
// own procedures (`events.*`, `keys.*`, `console.*`) are its internals, not an API for clients, and are
// left out; so is tRPC's HTTP batching (`/api/trpc/ingest,aggregates?batch=1`), which
// calls the same procedures. A result comes wrapped as `{ "result": { "data": … } }`, an
// error as tRPC's envelope around the same error body as REST (`error.data.appError`).
// Paths are under the server's TRPC_PREFIX (test/openapi.test.ts checks each names a procedure).
import { z } from "zod";
import { createSchema, type oas31 } from "zod-openapi";
import type { Config } from "../config";
import { aggregatesInputSchema, aggregatesSummaryInputSchema } from "../../lib/aggregates-schema";
import { aggregate, aggregatesPage, aggregatesSummary, batchAnswer, batchBody, ingestAnswer, trpcIngestInput } from "./api-schemas";
import { bodyErrors, databaseErrors, writeErrors } from "./error-responses";
import type { OperationTable } from "./operation";

const result = (data: z.ZodType) => z.object({ result: z.object({ data }) });

/** A query's input: JSON in the `input` query parameter. */
const inputParameter = (schema: z.ZodType, example: string): oas31.ParameterObject => ({
  in: "query",
  name: "input",
  required: false,
  description: `The procedure's input as JSON, e.g. \`?input=${example}\` (URL-encoded)`,
  content: { "application/json": { schema: createSchema(schema, { io: "input" }).schema } },
});

export function trpcOperations(config: Config): OperationTable {
  return {
    "POST /api/trpc/ingest": {
      operationId: "trpcIngest",
      summary: "ingest (mutation): one event",
      description:
        "The procedure behind `POST /ingest`; the idempotency key and the failure point travel in the input instead of headers. " +
        "A number a 64-bit float cannot hold exactly makes the request `400 INVALID_JSON` here (tRPC parses the body as floats).",
      tag: "tRPC",
      access: "write",
      body: { schema: trpcIngestInput, description: "The procedure's input" },
      answer: { schema: result(ingestAnswer), description: "The procedure's output" },
      errors: [...bodyErrors, "SIMULATION_DISABLED", "INVALID_EVENT", "IDEMPOTENCY_KEY_REUSED", "EVENT_FAILED", "SIMULATED_FAILURE", ...writeErrors],
      envelope: "trpc",
    },
    "POST /api/trpc/ingestBatch": {
      operationId: "trpcIngestBatch",
      summary: "ingestBatch (mutation): many events, one result each",
      description: "The procedure behind `POST /ingest/batch`.",
      tag: "tRPC",
      access: "write",
      body: { schema: batchBody(config.MAX_BATCH_EVENTS), description: "The procedure's input" },
      answer: { schema: result(batchAnswer), description: "The procedure's output" },
      errors: [...bodyErrors, "SIMULATION_DISABLED", "SIMULATED_FAILURE", ...writeErrors],
      envelope: "trpc",
    },
    "GET /api/trpc/aggregates": {
      operationId: "trpcAggregates",
      summary: "aggregates (query): the rollup per source and metric, one page",
      description: "The procedure behind `GET /aggregates` (the same input: filters, window, series, paging); its input is JSON in the `input` query parameter.",
      tag: "tRPC",
      access: "read",
      parameters: [inputParameter(aggregatesInputSchema, '{"source":"shop"}')],
      answer: { schema: result(z.array(aggregate)), description: "The procedure's output" },
      errors: ["INVALID_JSON", "INVALID_ENVELOPE", ...databaseErrors],
      envelope: "trpc",
    },
    "GET /api/trpc/aggregatesPage": {
      operationId: "trpcAggregatesPage",
      summary: "aggregatesPage (query): one page of the rollup and the next page's cursor",
      description: "The same input and rows as `aggregates`, with `nextCursor` (null on the last page) to pass as `cursor` for the next page.",
      tag: "tRPC",
      access: "read",
      parameters: [inputParameter(aggregatesInputSchema, '{"sort":"-count","limit":50,"from":"2026-11-24T00:00:00Z","to":"2026-11-25T00:00:00Z"}')],
      answer: { schema: result(aggregatesPage), description: "The procedure's output" },
      errors: ["INVALID_JSON", "INVALID_ENVELOPE", ...databaseErrors],
      envelope: "trpc",
    },
    "GET /api/trpc/aggregatesSummary": {
      operationId: "trpcAggregatesSummary",
      summary: "aggregatesSummary (query): every group the filters and window select, counted",
      description:
        "How many (source, metric) groups, of how many sources, with how many events, and the latest event time: over every page, not one. " +
        "With `bucket` (needs `from` and `to`), `series` adds those events up per hour or 24-hour day of the window (what a chart of the total draws), read from the hourly rollup in the same statement, so its counts add up to `count`.",
      tag: "tRPC",
      access: "read",
      parameters: [inputParameter(aggregatesSummaryInputSchema, '{"q":"shop","from":"2026-11-24T00:00:00Z","to":"2026-11-25T00:00:00Z","bucket":"hour"}')],
      answer: { schema: result(aggregatesSummary), description: "The procedure's output" },
      errors: ["INVALID_JSON", "INVALID_ENVELOPE", ...databaseErrors],
      envelope: "trpc",
    },
  };
}
