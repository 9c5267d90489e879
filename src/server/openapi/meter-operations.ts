// OpenMeter's API (v1) in the OpenAPI document (handlers: src/server/http/meter-routes.ts): the
// shapes are OpenMeter's, so its own client works unchanged; errors are application/problem+json.
import { z } from "zod";
import {
  cloudEventBatchSchema,
  cloudEventSchema,
  meterCreateInputSchema,
  meterIdOrSlugSchema,
  meterQueryRequestSchema,
  meterQueryResultSchema,
  meterSchema,
  meterUpdateInputSchema,
  WINDOW_SIZES,
} from "../../lib/meters-schema";
import type { Config } from "../config";
import { sdkAnswer } from "./api-schemas";
import { bodyErrors, databaseErrors, writeErrors } from "./error-responses";
import type { OperationSpec, OperationTable } from "./operation";

const cloudEvent = cloudEventSchema.meta({ id: "CloudEvent" });
const meter = meterSchema
  .extend({
    backfill: z
      .object({ done: z.boolean(), progress: z.number().min(0).max(1) })
      .meta({ description: "Ours: how far the meter has counted the events stored before it was created (or regrouped)" }),
    skipped: z
      .number()
      .int()
      .optional()
      .meta({ description: "Ours (reads only): events it matched but could not read a value from (missing, or not a number)" }),
  })
  .meta({ id: "Meter" });
const meterPath = z.object({ meterIdOrSlug: meterIdOrSlugSchema.meta({ description: "The meter's slug, or its id (a deleted meter: by id only)" }) });
const queryParams = z.object({
  from: z.string().optional().meta({ description: "Start, inclusive (RFC 3339, a whole minute); default: the meter's first minute with data" }),
  to: z.string().optional().meta({ description: "End, exclusive (RFC 3339, a whole minute); default: after its last minute with data" }),
  windowSize: z.enum(WINDOW_SIZES).optional().meta({ description: "Split the period into windows aligned in windowTimeZone; absent: one row per group" }),
  windowTimeZone: z.string().optional().meta({ description: "An IANA zone (default UTC): days and months start at its midnight" }),
  subject: z.array(z.string()).optional().meta({ description: "Only these subjects (repeat the parameter); also groups by subject" }),
  groupBy: z.array(z.string()).optional().meta({ description: "`subject` and/or the meter's group-by keys (repeat the parameter)" }),
  clientId: z.string().optional(),
});

const common = { tag: "Meters (OpenMeter)", envelope: "problem" } as const;

export function meterOperations(config: Config): OperationTable {
  const queryAnswer = {
    schema: meterQueryResultSchema.meta({ id: "MeterQueryResult" }),
    description:
      "One row per window, subject and group with data (windows without data are left out), oldest first; `from`, `to` and `windowSize` echo the query's.",
  };
  const queryDescription =
    "Answered from the meter's rollups (whole UTC days, hours and minutes per window), so its cost follows windows × subjects × groups, not events. " +
    "`to` is exclusive. `filterGroupBy[key]=value` (GET) or `filterGroupBy: {key: [values]}` (POST) keeps only events with those group-by values. " +
    "`filterCustomerId` and `advancedMeterGroupByFilters` are refused (`400`): this service has no customers.";
  const spec = (s: Omit<OperationSpec, "tag" | "envelope">): OperationSpec => ({ ...common, ...s });
  return {
    "POST /api/v1/events": spec({
      operationId: "ingestCloudEvents",
      summary: "Ingest CloudEvents (one, or a batch)",
      description:
        "`application/cloudevents+json` (one event), `application/cloudevents-batch+json` (an array: what `@openmeter/sdk` sends) or `application/json` (either). " +
        "An event's `type` is its metric, `subject` whom it is about, `data` what meters read; its `id` names it within its `source` (a re-send is " +
        "deduplicated, forever). A write key decides the events' source here; the operator's events go to the source their CloudEvents `source` names. " +
        `An event that cannot be counted is stored \`rejected\` and listed in \`rejections\` (a single event: \`422\`). At most 1000 events and ${config.SDK_MAX_REQUEST_BYTES} bytes per request; gzip and deflate bodies are taken.`,
      access: "write",
      body: {
        schema: z.union([cloudEvent, cloudEventBatchSchema]),
        description: "A CloudEvent, or an array of them",
        otherTypes: { "application/cloudevents+json": cloudEvent, "application/cloudevents-batch+json": cloudEventBatchSchema },
      },
      answer: { schema: sdkAnswer, description: "Every event is committed: counted, deduplicated, or stored rejected with its reason." },
      errors: [...bodyErrors, "INVALID_EVENT", "EVENT_FAILED", ...writeErrors],
    }),
    "GET /api/v1/meters": spec({
      operationId: "listMeters",
      summary: "List meters",
      description: "Every meter not deleted (`includeDeleted=true`: those too), by slug.",
      access: "meters",
      query: z.object({ includeDeleted: z.enum(["true", "false"]).optional() }),
      answer: { schema: z.array(meter), description: "The meters" },
      errors: [...databaseErrors],
    }),
    "POST /api/v1/meters": spec({
      operationId: "createMeter",
      summary: "Create a meter",
      description:
        "A meter counts every event whose metric (a CloudEvent's `type`, an SDK event's name) is its `eventType`, whatever route it came by, in the " +
        "transaction that counts the event. Events stored before it are counted by a backfill while ingestion goes on (`backfill`). Answered `200`, as OpenMeter does.",
      access: "operator",
      body: { schema: meterCreateInputSchema, description: "The meter" },
      answer: { schema: meter, description: "The meter created" },
      errors: [...bodyErrors, "INVALID_METER", "METER_EXISTS", ...databaseErrors],
    }),
    "GET /api/v1/meters/{meterIdOrSlug}": spec({
      operationId: "getMeter",
      summary: "Read a meter",
      description: "By slug (a live meter) or id (a deleted one too).",
      access: "meters",
      path: meterPath,
      answer: { schema: meter, description: "The meter" },
      errors: ["INVALID_QUERY", "NOT_FOUND", ...databaseErrors],
    }),
    "PUT /api/v1/meters/{meterIdOrSlug}": spec({
      operationId: "updateMeter",
      summary: "Replace a meter's name, description, group-by and metadata",
      description:
        "As OpenMeter: an omitted name becomes the slug, an omitted groupBy `{}`, omitted metadata is cleared, an omitted description is kept; the " +
        "other fields cannot change (sent, they are ignored). A changed group-by rebuilds the meter's rollups from the stored events (`backfill`).",
      access: "operator",
      path: meterPath,
      body: { schema: meterUpdateInputSchema, description: "What replaces the meter's mutable part" },
      answer: { schema: meter, description: "The meter" },
      errors: [...bodyErrors, "INVALID_QUERY", "INVALID_METER", "NOT_FOUND", ...databaseErrors],
    }),
    "DELETE /api/v1/meters/{meterIdOrSlug}": spec({
      operationId: "deleteMeter",
      summary: "Delete a meter",
      description: "A soft delete: the meter stops counting, is still read by its id, and its slug is free for a new meter.",
      access: "operator",
      path: meterPath,
      answer: { schema: z.null(), description: "Deleted (or already deleted)", status: "204" },
      errors: ["INVALID_QUERY", "NOT_FOUND", ...databaseErrors],
    }),
    "GET /api/v1/meters/{meterIdOrSlug}/query": spec({
      operationId: "queryMeter",
      summary: "Query a meter",
      description: queryDescription,
      access: "meters",
      path: meterPath,
      query: queryParams,
      answer: queryAnswer,
      errors: ["INVALID_QUERY", "NOT_FOUND", ...databaseErrors],
    }),
    "POST /api/v1/meters/{meterIdOrSlug}/query": spec({
      operationId: "queryMeterPost",
      summary: "Query a meter (the query as a JSON body)",
      description: queryDescription,
      access: "meters",
      path: meterPath,
      body: { schema: meterQueryRequestSchema, description: "The query" },
      answer: queryAnswer,
      errors: [...bodyErrors, "INVALID_QUERY", "NOT_FOUND", ...databaseErrors],
    }),
  };
}
