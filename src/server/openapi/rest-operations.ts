// The REST routes in the OpenAPI document (handlers: src/server/http/rest.ts).
import type { Config } from "../config";
import { aggregatesInputSchema } from "../../lib/ingest-schema";
import { z } from "zod";
import { aggregate, batchAnswer, batchBody, ingestAnswer, restEvent } from "./api-schemas";
import { bodyErrors, databaseErrors, writeErrors } from "./error-responses";
import { idempotencyKeyParam, simulateParam } from "./headers";
import type { OperationTable } from "./operation";

export function restOperations(config: Config): OperationTable {
  const batch = batchBody(config.MAX_BATCH_EVENTS);
  return {
    "POST /ingest": {
      operationId: "ingest",
      summary: "Capture, deduplicate and count one event",
      description:
        "The event is stored raw, then counted once however often it is sent: its identity is the `Idempotency-Key` header, else " +
        "`payload.eventId`, else its normalized content. `200` only once it is committed; a retry after a lost answer is " +
        `\`deduplicated: true\`. The body must be labelled \`application/json\` (gzip or deflate accepted); at most ${config.MAX_REQUEST_BYTES} bytes ` +
        `(MAX_REQUEST_BYTES), the payload at most ${config.MAX_EVENT_BYTES} bytes (MAX_EVENT_BYTES). A payload that can never be counted is kept as a ` +
        "`rejected` raw record and answered `422`.",
      tag: "Events",
      access: "write",
      headers: { "Idempotency-Key": idempotencyKeyParam, "X-Simulate-Failure": simulateParam },
      body: { schema: restEvent, description: "`source` may be left out with a write key (the key names it)" },
      answer: { schema: ingestAnswer, description: "Counted (`deduplicated: false`) or already counted before (`deduplicated: true`)" },
      errors: [...bodyErrors, "SIMULATION_DISABLED", "INVALID_EVENT", "IDEMPOTENCY_KEY_REUSED", "EVENT_FAILED", "SIMULATED_FAILURE", ...writeErrors],
      envelope: "plain",
    },
    "POST /ingest/batch": {
      operationId: "ingestBatch",
      summary: `Up to ${config.MAX_BATCH_EVENTS} events, one result each`,
      description:
        "Each event is checked, captured and counted as `POST /ingest` would, with its own optional `idempotencyKey`; a bad event is " +
        "`rejected` in its result and never fails the rest. The body may also be the bare array of events, or NDJSON " +
        "(`application/x-ndjson`: one event per line, result `index` = line − 1, a line that is not JSON rejected alone with its line " +
        "number). A database failure fails the whole request (`503`), and sending the batch again is safe: events already counted come " +
        "back `deduplicated`.",
      tag: "Events",
      access: "write",
      headers: { "X-Simulate-Failure": simulateParam },
      body: {
        schema: z.union([batch, batch.shape.events]),
        description: `At most ${config.MAX_BATCH_EVENTS} events (MAX_BATCH_EVENTS)`,
        otherTypes: { "application/x-ndjson": z.string().meta({ description: "One event per line, each the shape of an element of `events`" }) },
      },
      answer: { schema: batchAnswer, description: "One result per event, in order" },
      errors: [...bodyErrors, "SIMULATION_DISABLED", "SIMULATED_FAILURE", ...writeErrors],
      envelope: "plain",
    },
    "GET /aggregates": {
      operationId: "aggregates",
      summary: "Count, sum, average, minimum and maximum per source and metric",
      description:
        "Read from the rollup, which always agrees with the processed events. `firstSeenAt`/`lastSeenAt` are the earliest and latest " +
        "event times. A read key bound to one source sees that source only.",
      tag: "Events",
      access: "read",
      query: aggregatesInputSchema.unwrap(),
      answer: { schema: z.array(aggregate), description: "One row per (source, metric), filtered as asked" },
      errors: ["INVALID_ENVELOPE", ...databaseErrors],
      envelope: "plain",
    },
  };
}
