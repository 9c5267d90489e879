// The REST routes in the OpenAPI document (handlers: src/server/http/rest.ts).
import type { Config } from "../config";
import { AGGREGATES_PAGE, aggregatesInputSchema, SERIES_MAX_BUCKETS } from "../../lib/aggregates-schema";
import { z } from "zod";
import { aggregate, batchAnswer, batchBody, ingestAnswer, restEvent } from "./api-schemas";
import { bodyErrors, databaseErrors, writeErrors } from "./error-responses";
import { idempotencyKeyParam, linkNextHeader, simulateParam } from "./headers";
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
      summary: "Count, sum, average, minimum and maximum per source and metric, over all time or a time window",
      description:
        "Read from the rollups (all-time, and hourly for a window), which always agree with the processed events; the cost follows the " +
        "groups and hours read, never the number of events. `firstSeenAt`/`lastSeenAt` are the earliest and latest event times (in the window).\n\n" +
        "**Time window**: `from` (inclusive) and `to` (exclusive), ISO-8601 date-times on whole UTC hours (`2026-11-24T10:00:00Z`; an offset " +
        "such as `+01:00` is fine when the instant is a whole UTC hour; write `+` as `%2B` in a URL); any other instant is refused `400 INVALID_QUERY` " +
        "naming the parameter in `field`, as is every other parameter the route refuses. An event belongs to the hour of its own time: the payload's `timestamp`, else when it was captured. A group " +
        "with no event in the window is left out.\n\n" +
        `**Series**: \`bucket=hour|day\` (needs \`from\` and \`to\`) adds each row's \`series\`: every bucket of the window, oldest first, empty ones ` +
        `included; days are 24 hours counted from \`from\` (so \`from\` at a local midnight gives that zone's days), the last bucket ends at \`to\`; ` +
        `at most ${SERIES_MAX_BUCKETS} buckets.\n\n` +
        `**Paging**: still a plain array, of at most \`limit\` rows (default ${AGGREGATES_PAGE.defaultLimit}, the most; with \`bucket\` ` +
        `${AGGREGATES_PAGE.seriesDefaultLimit}). When more follow, the \`Link\` header names the next page (\`rel="next"\`, the same query with a ` +
        "`cursor`); no `Link`, no more rows. `sort` orders by a column (`-` for descending), ties by source then metric. " +
        "A read key bound to one source sees that source only.",
      tag: "Events",
      access: "read",
      query: aggregatesInputSchema.unwrap(),
      answer: { schema: z.array(aggregate), description: "One row per (source, metric), filtered, sorted and paged as asked", headers: { Link: linkNextHeader.optional() } },
      // A query parameter the route refuses is INVALID_QUERY, `field` naming it.
      errors: ["INVALID_QUERY", ...databaseErrors],
      envelope: "plain",
    },
  };
}
