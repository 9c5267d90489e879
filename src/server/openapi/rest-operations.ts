// The REST routes in the OpenAPI document (handlers: src/server/http/rest.ts).
import type { Config } from "../config";
import { AGGREGATES_PAGE, aggregatesInputSchema, SERIES_MAX_BUCKETS } from "../../lib/aggregates-schema";
import { z } from "zod";
import { EVENTS_PAGE, eventIdInputSchema, eventsQueryShape, type EventView } from "../../lib/events-schema";
import { aggregate, batchAnswer, batchBody, capturedEvent, eventsPage, ingestAnswer, restEvent } from "./api-schemas";
import { bodyErrors, databaseErrors, writeErrors } from "./error-responses";
import { idempotencyKeyParam, linkNextHeader, linkNextEventsHeader, simulateParam } from "./headers";
import type { OperationTable } from "./operation";

/** An event counted on its first copy, and a copy of it sent again: what GET /events answers for them. */
const countedExample: EventView = {
  id: "0193a4f2-7c1e-7d3a-9b2e-5f0c8d1e2a41",
  source: "shop",
  status: "counted",
  format: "event",
  identifiedBy: "key",
  idempotencyKey: "order-1001",
  reason: null,
  reasonCode: null,
  receivedAt: "2026-11-24T10:00:01.250Z",
  attempts: 0,
  payload: { metric: "orders", value: 42.5, timestamp: "2026-11-24T10:00:00Z", currency: "EUR" },
  processed: {
    id: "1",
    metric: "orders",
    value: 42.5,
    occurredAt: "2026-11-24T10:00:00.000Z",
    attributes: { currency: "EUR" },
    dedupKey: "9f2c4e1a0b7d3c5e8f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60",
  },
  repeats: null,
};
const deduplicatedExample: EventView = {
  ...countedExample,
  id: "0193a4f2-9d40-7b11-8c3f-2a6e4b0d9c17",
  status: "deduplicated",
  receivedAt: "2026-11-24T10:00:03.900Z",
  repeats: { processedEventId: "1", rawEventId: countedExample.id, firstSeenAt: "2026-11-24T10:00:01.262Z", identifiedBy: "key" },
};

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
    "GET /events": {
      operationId: "events",
      summary: "Captured events, newest first, each with its processed record",
      description:
        "Every event the service captured, as it arrived (`payload`), where it stands (`status`, `reason`), how it was identified " +
        "(`identifiedBy`: `key` when it carried an explicit key, else `content`), the processed record beside it (`processed`: metric, value, " +
        "own time, attributes, dedup key), and for a deduplicated event the event it repeats (`repeats`: its processed event and first raw " +
        "event, when it was first counted, by which rule).\n\n" +
        "**Filters** are exact and combine: `source`, `status`, `metric`, `identity` (`key` or `content`), `key` (the explicit key), the own " +
        "time `from`/`to` (the processed record's `occurredAt`, as `GET /aggregates` reads time) and the capture time `receivedFrom`/`receivedTo`; " +
        "ranges are `[from, to)`, ISO-8601 with a time zone (write `+` as `%2B`). `metric`, `from` and `to` look at the processed record: an " +
        "event that has none (rejected, not counted, or still `received`) is never returned by them.\n\n" +
        `**Paging**: newest first by \`receivedAt\`, at most \`limit\` events (default ${EVENTS_PAGE.defaultLimit}, at most ${EVENTS_PAGE.maxLimit}; ` +
        "a page also stops at about 1 MB of payloads and attributes). When more follow, `nextCursor` names the next page and so does the `Link` header " +
        '(`rel="next"`, the same query with its `cursor`). Events that arrive meanwhile are newer than the cursor, so paging on never repeats or ' +
        "skips one. A wrong parameter is `400 INVALID_QUERY`, `field` naming it; a cursor is opaque, and one not given out by this server, or given for other filters, is refused so, naming `cursor`. " +
        "A read key bound to one source sees that source only.",
      tag: "Events",
      access: "read",
      query: z.object(eventsQueryShape),
      answer: {
        schema: eventsPage,
        description: "One page of events, newest first",
        headers: { Link: linkNextEventsHeader.optional() },
        examples: {
          page: {
            summary: "An event and a copy of it sent again (GET /events?source=shop&key=order-1001)",
            value: { items: [deduplicatedExample, countedExample], nextCursor: null },
          },
        },
      },
      errors: ["INVALID_QUERY", ...databaseErrors],
      envelope: "plain",
    },
    "GET /events/{id}": {
      operationId: "event",
      summary: "One captured event: raw, processed, and the event it repeats",
      description:
        "The event as `GET /events` lists it. An unknown id and the id of an event a read key may not see (another source) are both " +
        "`404 NOT_FOUND`, so a key learns nothing of other sources; an id that is not a UUID is `400 INVALID_QUERY` naming `id`.",
      tag: "Events",
      access: "read",
      path: eventIdInputSchema,
      answer: {
        schema: capturedEvent,
        description: "The event",
        examples: {
          deduplicated: { summary: "A copy deduplicated against the first one, by its key", value: deduplicatedExample },
          counted: { summary: "The first copy, counted", value: countedExample },
        },
      },
      errors: ["INVALID_QUERY", "NOT_FOUND", ...databaseErrors],
      envelope: "plain",
    },
  };
}
