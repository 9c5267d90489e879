// OpenMeter's own HTTP API (v1) as our meters API: an OpenMeter user switches by changing the
// base URL, and the official client (@openmeter/sdk 1.0.0-beta.232) works unchanged. These are
// the shapes that cross that boundary: CloudEvents in (POST /api/v1/events), meters (create,
// replace, read: /api/v1/meters[/{meterIdOrSlug}]), meter queries (GET and POST
// /api/v1/meters/{meterIdOrSlug}/query) and their answers. Every type comes from z.infer.
//
// The rules are OpenMeter's (api/openapi.yaml, openmeter/meter/meter.go and service.go,
// openmeter/meter/httphandler/mapping.go in github.com/openmeterio/openmeter); where OpenMeter
// sets no limit we set one, and where its behaviour cannot be kept (customers, advanced
// filters) we refuse the parameter by name rather than ignore it. Each such place says "ours".
import { z } from "zod";
import { unstorableJson, unstorableString } from "./storable-json";

/** A string PostgreSQL can store (no NUL, valid Unicode). */
const storable = (s: string) => unstorableString(s) === null;

/** A JSON value that can be stored (no NUL, no lone surrogate, no `__proto__` key, not too deep); its first problem is an issue at its path. */
function storableJson(ctx: z.RefinementCtx, value: unknown, field: string) {
  const problem = unstorableJson(value);
  if (!problem) return;
  const at = [field, ...problem.path].join(".");
  const parent = [field, ...problem.path.slice(0, -1)].join(".");
  const forbiddenKey = /^the key (.+) is not allowed$/.exec(problem.message);
  const message = forbiddenKey
    ? `${parent} must not have the key ${forbiddenKey[1]}`
    : problem.message.startsWith("key ")
      ? `${parent} keys ${problem.message.slice(4)}`
      : `${at} ${problem.message}`;
  ctx.addIssue({ code: "custom", path: problem.path, message, abort: true });
}

// ---------------------------------------------------------------------------------------------
// Enums

/** How a meter aggregates the values of its events (OpenMeter's MeterAggregation). */
export const METER_AGGREGATIONS = ["SUM", "COUNT", "UNIQUE_COUNT", "AVG", "MIN", "MAX", "LATEST"] as const;
export const MeterAggregation = {
  Sum: "SUM",
  Count: "COUNT",
  UniqueCount: "UNIQUE_COUNT",
  Avg: "AVG",
  Min: "MIN",
  Max: "MAX",
  Latest: "LATEST",
} as const satisfies Record<string, (typeof METER_AGGREGATIONS)[number]>;
export const meterAggregationSchema = z.enum(METER_AGGREGATIONS, { error: `aggregation must be one of ${METER_AGGREGATIONS.join(", ")}` });
export type MeterAggregation = z.infer<typeof meterAggregationSchema>;

/** The windows a query can split its period into (OpenMeter's WindowSize; SECOND is internal to OpenMeter, not in its API). */
export const WINDOW_SIZES = ["MINUTE", "HOUR", "DAY", "MONTH"] as const;
export const WindowSize = { Minute: "MINUTE", Hour: "HOUR", Day: "DAY", Month: "MONTH" } as const satisfies Record<
  string,
  (typeof WINDOW_SIZES)[number]
>;
export const windowSizeSchema = z.enum(WINDOW_SIZES, { error: `windowSize must be one of ${WINDOW_SIZES.join(", ")}` });
export type WindowSize = z.infer<typeof windowSizeSchema>;

// ---------------------------------------------------------------------------------------------
// Limits

export const METER_LIMITS = {
  /** OpenMeter: slug is 1–64 characters. */
  slugMaxLength: 64,
  /** OpenMeter: name is 1–256 characters. */
  nameMaxLength: 256,
  /** OpenMeter: description is at most 1024 characters. */
  descriptionMaxLength: 1024,
  /** Ours (OpenMeter: none): eventType is a CloudEvent's type, so the same bound. */
  eventTypeMaxLength: 256,
  /** Ours (OpenMeter: none). */
  groupByMaxKeys: 50,
  /** Ours (OpenMeter: none), the slug's bound. */
  groupByKeyMaxLength: 64,
  /** Ours (OpenMeter: none). */
  jsonPathMaxLength: 256,
  /** OpenMeter: clientId is 1–36 characters. */
  clientIdMaxLength: 36,
  /** OpenMeter: at most 100 subjects and 100 groupBy in a POST query (GET: none; ours: the same). */
  querySubjectsMax: 100,
  queryGroupByMax: 100,
  /** Ours (OpenMeter: none): filterGroupBy keys are the meter's groupBy keys, so at most as many. */
  queryFilterGroupByMaxKeys: 50,
  queryFilterGroupByMaxValues: 100,
} as const;

export const CLOUDEVENT_LIMITS = {
  /** Ours: OpenMeter's spec sets no maximum batch size. */
  batchMaxEvents: 1000,
  /** Ours (OpenMeter: only non-empty): id, source, type and subject. */
  attributeMaxLength: 256,
} as const;

/** The three bodies POST /api/v1/events takes, by its Content-Type (matched exactly by OpenMeter: no parameters). */
export const CLOUDEVENTS_CONTENT_TYPES = {
  /** One event: cloudEventSchema. */
  single: "application/cloudevents+json",
  /** An array of events: cloudEventBatchSchema. What the SDK always sends, even for one event. */
  batch: "application/cloudevents-batch+json",
  /** One event or an array of events (told apart by the JSON); an empty array is refused here. */
  json: "application/json",
} as const;

/** The Content-Type of every error answer; the SDK reads the problem only when the header is exactly this (no charset). */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** A required non-empty string attribute, its messages naming `field`. */
function requiredString(field: string, max: number) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? `${field} is required` : `${field} must be a string`) })
    .min(1, `${field} must not be empty`)
    .max(max, `${field} must be at most ${max} characters`)
    .refine(storable, `${field} must not contain the NUL character and must be valid Unicode`);
}

/** An RFC 3339 date-time with seconds and a zone (Z or ±hh:mm), as OpenMeter parses it (time.RFC3339Nano). */
function dateTimeSchema(field: string) {
  return z.iso.datetime({ offset: true, error: `${field} must be an RFC 3339 date-time with a time zone, e.g. 2024-01-01T00:00:00Z` });
}

const JSON_PATH_STEP = /\.([A-Za-z_][A-Za-z0-9_]*)|\[(0|[1-9][0-9]{0,8})\]|\["([^"\\]+)"\]|\['([^'\\]+)'\]/y;

/**
 * The steps of a JSONPath into an event's `data` (a key, or an array index), or null when it
 * is not one we evaluate. Ours: a subset of what OpenMeter accepts (it asks ClickHouse to parse
 * the path): `$` then `.name`, `["name"]`, `['name']` or `[0]` steps; no wildcards, ranges,
 * recursive descent or filters, which name more than one value.
 */
export function parseJsonPath(path: string): (string | number)[] | null {
  if (!path.startsWith("$")) return null;
  const steps: (string | number)[] = [];
  JSON_PATH_STEP.lastIndex = 1;
  while (JSON_PATH_STEP.lastIndex < path.length) {
    const at = JSON_PATH_STEP.lastIndex;
    const m = JSON_PATH_STEP.exec(path);
    if (!m || m.index !== at) return null;
    if (m[2] !== undefined) steps.push(Number(m[2]));
    else steps.push((m[1] ?? m[3] ?? m[4]) as string);
  }
  return steps;
}

/** A JSONPath into the event's data, at `field`. */
function jsonPathSchema(field: string, example: string) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? `${field} is required` : `${field} must be a string`) })
    .min(1, `${field} must not be empty`)
    .max(METER_LIMITS.jsonPathMaxLength, `${field} must be at most ${METER_LIMITS.jsonPathMaxLength} characters`)
    .refine((p) => p.startsWith("$"), `${field} must be a JSONPath starting with $, e.g. ${example}`)
    .refine((p) => !p.startsWith("$") || parseJsonPath(p) !== null, {
      error: `${field} must be a JSONPath of .name, ["name"] or [index] steps, e.g. ${example} (no wildcards, ranges or filters)`,
    });
}

// ---------------------------------------------------------------------------------------------
// CloudEvents in: POST /api/v1/events

/** CloudEvents extension attribute names: lowercase ASCII letters and digits (CloudEvents 1.0; OpenMeter's Go SDK refuses others). */
const EXTENSION_NAME = /^[a-z0-9]+$/;
const CLOUDEVENT_ATTRIBUTES = new Set(["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema", "data"]);
const INT32 = { min: -2_147_483_648, max: 2_147_483_647 };

const attribute = (field: string) => requiredString(field, CLOUDEVENT_LIMITS.attributeMaxLength);

/**
 * One CloudEvent as OpenMeter takes it (its `Event` schema): specversion, id, source, type and
 * subject required; time, datacontenttype, dataschema and data optional and nullable (a null
 * optional attribute is an absent one). `type` is what meters match (their `eventType`),
 * `subject` who the usage is of, `data` where their JSONPaths read values. An event without
 * `time` happened when it is received. Events are deduplicated by (source, id). Extension
 * attributes (other lowercase alphanumeric keys) are kept; their values are strings, booleans,
 * 32-bit integers or null, as OpenMeter's CloudEvents SDK allows.
 */
export const cloudEventSchema = z
  .looseObject({
    specversion: z.literal("1.0", { error: (iss) => (iss.input === undefined ? "specversion is required" : 'specversion must be "1.0"') }),
    id: attribute("id").meta({ description: "Identifies the event; with source, the key that deduplicates it" }),
    source: attribute("source").meta({
      description: "Where the event happened (a URI-reference); the SDK sends @openmeter/sdk by default",
    }),
    type: attribute("type").meta({ description: "The event's type: meters count the events whose type is their eventType" }),
    subject: attribute("subject").meta({ description: "Whom the usage is of (a customer, a user, a device)" }),
    time: dateTimeSchema("time").nullish().meta({ description: "When it happened (RFC 3339); absent or null: when it is received" }),
    datacontenttype: z.literal("application/json", { error: 'datacontenttype must be "application/json" (or null)' }).nullish(),
    dataschema: z
      .string({ error: "dataschema must be a string (an absolute URI) or null" })
      .min(1, "dataschema must not be empty")
      .refine((s) => {
        try {
          new URL(s);
          return true;
        } catch {
          return false;
        }
      }, "dataschema must be an absolute URI")
      .nullish(),
    data: z
      .unknown()
      .superRefine((value, ctx) => storableJson(ctx, value, "data"))
      .pipe(z.record(z.string(), z.unknown(), { error: "data must be a JSON object or null" }).nullable())
      .optional()
      .meta({ description: "The payload: a JSON object, where meters' JSONPaths read values and group-by values" }),
  })
  .superRefine((event, ctx) => {
    for (const [name, value] of Object.entries(event)) {
      if (CLOUDEVENT_ATTRIBUTES.has(name)) continue;
      if (!EXTENSION_NAME.test(name)) {
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `${name} is not a CloudEvents attribute: extension attribute names are lowercase letters and digits`,
        });
      } else if (!(
        value === null ||
        typeof value === "boolean" ||
        (typeof value === "string" && storable(value)) ||
        (Number.isInteger(value) && (value as number) >= INT32.min && (value as number) <= INT32.max)
      )) {
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `${name} (an extension attribute) must be a string, a boolean, a 32-bit integer or null`,
        });
      }
    }
  });
export type CloudEvent = z.infer<typeof cloudEventSchema>;

/**
 * A batch (`application/cloudevents-batch+json`) as the API documents it: an array of
 * CloudEvents, at most 1000. The route reads each event on its own (the write path's rule: a bad
 * event is stored rejected and named in the answer, the others are counted), where OpenMeter
 * refuses the whole batch. An empty array ingests nothing.
 */
export const cloudEventBatchSchema = z
  .array(cloudEventSchema, { error: "a batch must be a JSON array of CloudEvents" })
  .max(CLOUDEVENT_LIMITS.batchMaxEvents, `a batch must hold at most ${CLOUDEVENT_LIMITS.batchMaxEvents} events`);
export type CloudEventBatch = z.infer<typeof cloudEventBatchSchema>;

// ---------------------------------------------------------------------------------------------
// Meters

const SLUG = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;
const ULID = /^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$/;
const GROUP_BY_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Ours: group-by keys a query already means something else by (`subject` is reserved by OpenMeter's spec; customer_id is its customers'). */
const RESERVED_GROUP_BY_KEYS = new Set(["subject", "customer_id"]);

export const meterSlugSchema = z
  .string({ error: (iss) => (iss.input === undefined ? "slug is required" : "slug must be a string") })
  .min(1, "slug must not be empty")
  .max(METER_LIMITS.slugMaxLength, `slug must be at most ${METER_LIMITS.slugMaxLength} characters`)
  .regex(SLUG, "slug must be lowercase letters and digits, words joined by single underscores, e.g. tokens_total")
  .meta({ description: "A meter's unique name in the API (unique among meters not deleted); it cannot be changed" });

/** A path's `{meterIdOrSlug}`: a meter's slug or its ULID id (OpenMeter's path parameter pattern). */
export const meterIdOrSlugSchema = z
  .string({ error: "meterIdOrSlug must be a string" })
  .min(1, "meterIdOrSlug must not be empty")
  .max(METER_LIMITS.slugMaxLength, `meterIdOrSlug must be at most ${METER_LIMITS.slugMaxLength} characters`)
  .refine(
    (s) => SLUG.test(s) || ULID.test(s),
    "meterIdOrSlug must be a meter's slug (lowercase letters, digits, single underscores) or its id (a ULID)",
  );

const meterNameSchema = z
  .string({ error: "name must be a string" })
  .min(1, "name must not be empty")
  .max(METER_LIMITS.nameMaxLength, `name must be at most ${METER_LIMITS.nameMaxLength} characters`)
  .refine(storable, "name must not contain the NUL character and must be valid Unicode");

/** OpenMeter's service refuses "" (its spec allows it): omit the description instead. */
const meterDescriptionSchema = z
  .string({ error: "description must be a string" })
  .min(1, "description must not be empty (omit it instead)")
  .max(METER_LIMITS.descriptionMaxLength, `description must be at most ${METER_LIMITS.descriptionMaxLength} characters`)
  .refine(storable, "description must not contain the NUL character and must be valid Unicode");

const metadataSchema = z
  .unknown()
  .superRefine((value, ctx) => storableJson(ctx, value, "metadata"))
  .pipe(
    z
      .record(z.string(), z.string({ error: "metadata values must be strings" }), {
        error: "metadata must be an object of strings, or null",
      })
      .nullable(),
  )
  .optional()
  .meta({ description: "Your key-value pairs (strings), stored with the meter" });

/** The group-by map's own rules (keys, JSONPaths); whether a value repeats valueProperty is checked with the meter. */
const groupBySchema = z
  .unknown()
  .superRefine((value, ctx) => storableJson(ctx, value, "groupBy"))
  .pipe(z.record(z.string(), z.unknown(), { error: "groupBy must be an object of name → JSONPath" }))
  .superRefine((groupBy, ctx) => {
    const entries = Object.entries(groupBy);
    if (entries.length > METER_LIMITS.groupByMaxKeys) {
      ctx.addIssue({ code: "custom", path: [], message: `groupBy must have at most ${METER_LIMITS.groupByMaxKeys} keys` });
    }
    for (const [key, path] of entries) {
      if (!GROUP_BY_KEY.test(key)) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `groupBy key "${key}" must be letters, digits and underscores, not starting with a digit`,
        });
      } else if (key.length > METER_LIMITS.groupByKeyMaxLength) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `groupBy key "${key}" must be at most ${METER_LIMITS.groupByKeyMaxLength} characters`,
        });
      } else if (RESERVED_GROUP_BY_KEYS.has(key)) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `groupBy key "${key}" is reserved: a query's groupBy=${key} means the event's own ${key}`,
        });
      }
      const checked = jsonPathSchema(`groupBy.${key}`, `$.${GROUP_BY_KEY.test(key) ? key : "model"}`).safeParse(path);
      if (!checked.success)
        ctx.addIssue({ code: "custom", path: [key], message: checked.error.issues[0]?.message ?? `groupBy.${key} is invalid` });
    }
  })
  .transform((groupBy) => groupBy as Record<string, string>)
  .meta({ description: 'Named JSONPaths whose values in an event\'s data a query can group and filter by, e.g. {"model": "$.model"}' });

/** A group-by JSONPath may not be the value's own (OpenMeter refuses it). */
function groupByRepeatsValue(groupBy: Record<string, string> | undefined, valueProperty: string | undefined, ctx: z.RefinementCtx) {
  if (typeof groupBy !== "object" || groupBy === null || typeof valueProperty !== "string") return;
  for (const [key, path] of Object.entries(groupBy)) {
    if (path === valueProperty)
      ctx.addIssue({
        code: "custom",
        path: ["groupBy", key],
        message: `groupBy.${key} must not be the same JSONPath as valueProperty (${valueProperty})`,
      });
  }
}

/**
 * POST /api/v1/meters. OpenMeter's rules: valueProperty is required for every aggregation but
 * COUNT and refused for COUNT (its spec says "ignored", its server answers 400); name defaults to
 * the slug. Fields it does not take (id, createdAt…) are ignored, as OpenMeter ignores them.
 */
export const meterCreateInputSchema = z
  .object({
    slug: meterSlugSchema,
    name: meterNameSchema.optional().meta({ description: "Display name, 1–256 characters; defaults to the slug" }),
    description: meterDescriptionSchema.optional(),
    aggregation: z
      .enum(METER_AGGREGATIONS, {
        error: (iss) =>
          iss.input === undefined ? "aggregation is required" : `aggregation must be one of ${METER_AGGREGATIONS.join(", ")}`,
      })
      .meta({ description: "How the values are aggregated; it cannot be changed" }),
    eventType: requiredString("eventType", METER_LIMITS.eventTypeMaxLength).meta({
      description: "The CloudEvents type this meter counts; it cannot be changed",
    }),
    eventFrom: dateTimeSchema("eventFrom").optional().meta({ description: "Only events at or after this time count; default: all" }),
    valueProperty: jsonPathSchema("valueProperty", "$.tokens")
      .optional()
      .meta({
        description:
          "JSONPath to the value in the event's data: required unless aggregation is COUNT, refused with COUNT; it cannot be changed",
      }),
    groupBy: groupBySchema.optional(),
    metadata: metadataSchema,
  })
  .superRefine((meter, ctx) => {
    // Object refinements run even when a field failed: judge valueProperty only against a real aggregation.
    if (!(METER_AGGREGATIONS as readonly string[]).includes(meter.aggregation)) return;
    if (meter.aggregation === "COUNT" && meter.valueProperty !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["valueProperty"],
        message: "valueProperty must be omitted when aggregation is COUNT (COUNT counts events)",
      });
    }
    if (meter.aggregation !== "COUNT" && meter.valueProperty === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["valueProperty"],
        message: `valueProperty is required when aggregation is ${meter.aggregation} (a JSONPath into the event's data, e.g. $.tokens)`,
      });
    }
    groupByRepeatsValue(meter.groupBy, meter.valueProperty, ctx);
  });
export type MeterCreateInput = z.input<typeof meterCreateInputSchema>;
export type MeterCreate = z.output<typeof meterCreateInputSchema>;

const meterUpdateShape = {
  name: meterNameSchema.optional().meta({ description: "Display name; omitted: set back to the slug" }),
  description: meterDescriptionSchema.optional().meta({ description: "Omitted: kept as it is" }),
  groupBy: groupBySchema.optional().meta({ description: "The whole map; omitted: {} (every group-by removed)" }),
  metadata: metadataSchema.meta({ description: "The whole map; omitted or null: cleared" }),
};

/**
 * PUT /api/v1/meters/{meterIdOrSlug}: a replacement of what can change, as OpenMeter does it —
 * an omitted name becomes the slug again, an omitted groupBy becomes {} (every group-by
 * dropped), an omitted metadata is cleared; an omitted description is kept. slug, aggregation,
 * eventType, eventFrom and valueProperty cannot change: sent here they are ignored (OpenMeter
 * answers 200 and leaves them). See meterUpdateInputSchemaFor for the check against the meter.
 */
export const meterUpdateInputSchema = z.object(meterUpdateShape);
export type MeterUpdateInput = z.input<typeof meterUpdateInputSchema>;
export type MeterUpdate = z.output<typeof meterUpdateInputSchema>;

/** The update checked against the meter it replaces: no group-by may repeat its valueProperty. */
export function meterUpdateInputSchemaFor(meter: { valueProperty?: string | null }) {
  return meterUpdateInputSchema.superRefine((update, ctx) => groupByRepeatsValue(update.groupBy, meter.valueProperty ?? undefined, ctx));
}

/**
 * A meter as answered (OpenMeter's `Meter`). OpenMeter always sends name (the slug when none was
 * given), sends metadata and annotations (null when empty), omits description, eventFrom,
 * valueProperty and deletedAt when unset, and omits groupBy when it is empty. id is a ULID;
 * times are RFC 3339 (the SDK turns every date-time string it receives into a Date).
 */
export const meterSchema = z.object({
  id: z.string().regex(ULID).meta({ description: "The meter's id, a ULID" }),
  slug: z.string(),
  name: z.string(),
  description: z.string().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  annotations: z.record(z.string(), z.unknown()).nullable().optional(),
  aggregation: meterAggregationSchema,
  eventType: z.string(),
  eventFrom: z.string().optional(),
  valueProperty: z.string().optional(),
  groupBy: z.record(z.string(), z.string()).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Set once deleted: a deleted meter is still found by its id (not by its slug, which can then be reused). */
  deletedAt: z.string().optional(),
});
export type Meter = z.infer<typeof meterSchema>;

// ---------------------------------------------------------------------------------------------
// Meter queries: GET and POST /api/v1/meters/{meterIdOrSlug}/query

/** A parameter given once: a query string can repeat it, which OpenMeter refuses. */
function once<T extends z.ZodType>(field: string, schema: T) {
  return z
    .unknown()
    .superRefine((v, ctx) => {
      if (Array.isArray(v)) ctx.addIssue({ code: "custom", message: `${field} must be given once`, abort: true });
    })
    .pipe(schema);
}

function repeatable(field: string, max: number) {
  return z
    .array(
      z
        .string({ error: `${field} values must be strings` })
        .refine(storable, `${field} must not contain the NUL character and must be valid Unicode`),
      {
        error: `${field} must be a list of strings`,
      },
    )
    .max(max, `${field} must be given at most ${max} times`);
}

const clientIdSchema = z
  .string({ error: "clientId must be a string" })
  .min(1, "clientId must not be empty")
  .max(METER_LIMITS.clientIdMaxLength, `clientId must be at most ${METER_LIMITS.clientIdMaxLength} characters`);

let knownTimeZones: Set<string> | undefined;

/**
 * Whether `tz` names a time zone OpenMeter (Go's time.LoadLocation) would load and we can
 * compute in: "UTC", an IANA name (Intl's list), or an IANA alias Intl resolves (US/Eastern,
 * Asia/Calcutta). Refused: offsets like +01:00, "Local", and a known name in the wrong case
 * (Intl would take europe/paris; Go does not).
 */
export function isTimeZone(tz: string): boolean {
  knownTimeZones ??= new Set([...Intl.supportedValuesOf("timeZone"), "UTC"]);
  if (knownTimeZones.has(tz)) return true;
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(tz)) return false;
  try {
    const resolved = new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
    return !(resolved.toLowerCase() === tz.toLowerCase() && resolved !== tz);
  } catch {
    return false;
  }
}

const windowTimeZoneSchema = z
  .string({ error: "windowTimeZone must be a string" })
  .refine(isTimeZone, "windowTimeZone must be an IANA time zone name, e.g. UTC or Europe/Budapest")
  .meta({ description: "The time zone windows are aligned in (DAY and MONTH start at its midnight); default UTC" });

const queryGroupByEntry = z.string().superRefine((key, ctx) => {
  if (key === "customer_id")
    ctx.addIssue({ code: "custom", message: "groupBy customer_id is not supported: this service has no customers; group by subject" });
  else if (key !== "subject" && !GROUP_BY_KEY.test(key))
    ctx.addIssue({ code: "custom", message: `groupBy "${key}" must be subject or one of the meter's groupBy keys` });
});

const notSupported = (field: string, instead: string) =>
  z
    .unknown()
    .refine((v) => v === undefined, `${field} is not supported: ${instead}`)
    .optional();

const unsupportedQueryShape = {
  filterCustomerId: notSupported("filterCustomerId", "this service has no customers; filter by subject"),
  advancedMeterGroupByFilters: notSupported("advancedMeterGroupByFilters", "filter with filterGroupBy (exact values)"),
};

/** What a query means once parsed, from GET's query string or POST's body alike. */
export interface MeterQuery {
  clientId?: string;
  /** Inclusive start, as given (RFC 3339). Absent: from the first event (or the meter's eventFrom). */
  from?: string;
  /** Exclusive end, as given (RFC 3339). Absent: up to the last event. */
  to?: string;
  /** Absent: one row per group over the whole period. */
  windowSize?: WindowSize;
  windowTimeZone: string;
  /** Only these subjects (none: all). */
  subject: string[];
  /** What rows are grouped by, without repeats: "subject" and/or meter group-by keys; "subject" is added when `subject` filters. */
  groupBy: string[];
  /** Only events whose group-by value is one of these, per key (exact match). */
  filterGroupBy: Record<string, string[]>;
}

type ParsedQuery = {
  clientId?: string;
  from?: string;
  to?: string;
  windowSize?: WindowSize;
  windowTimeZone?: string;
  subject?: string[];
  groupBy?: string[];
  filterGroupBy?: Record<string, string[]>;
};

function windowInOrder(q: { from?: string; to?: string }, ctx: z.RefinementCtx) {
  if (q.from !== undefined && q.to !== undefined && Date.parse(q.to) <= Date.parse(q.from)) {
    ctx.addIssue({ code: "custom", path: ["to"], message: "to must be after from" });
  }
}

/** OpenMeter's meaning: filtering by subject also groups by subject (one row per subject). */
function toMeterQuery(q: ParsedQuery): MeterQuery {
  const subject = q.subject ?? [];
  const groupBy = [...new Set([...(q.groupBy ?? []), ...(subject.length > 0 ? ["subject"] : [])])];
  return {
    ...(q.clientId !== undefined && { clientId: q.clientId }),
    ...(q.from !== undefined && { from: q.from }),
    ...(q.to !== undefined && { to: q.to }),
    ...(q.windowSize !== undefined && { windowSize: q.windowSize }),
    windowTimeZone: q.windowTimeZone ?? "UTC",
    subject,
    groupBy,
    filterGroupBy: q.filterGroupBy ?? {},
  };
}

/** filterGroupBy[key]=value of a query string: one value per key (OpenMeter's deepObject of strings). */
const filterGroupByParamSchema = z
  .record(
    z.string(),
    z.unknown().superRefine((v, ctx) => {
      if (Array.isArray(v))
        ctx.addIssue({ code: "custom", message: "filterGroupBy[key] must be given once per key (one value: an exact match)" });
      else if (typeof v !== "string" || !storable(v)) ctx.addIssue({ code: "custom", message: "filterGroupBy values must be strings" });
    }),
    { error: "filterGroupBy must be given as filterGroupBy[key]=value" },
  )
  .refine(
    (m) => Object.keys(m).length <= METER_LIMITS.queryFilterGroupByMaxKeys,
    `filterGroupBy must have at most ${METER_LIMITS.queryFilterGroupByMaxKeys} keys`,
  )
  .transform((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, [v as string]])));

/**
 * GET …/query's parameters, as meterQueryParamsFromSearchParams collects them from the query
 * string (single parameters as a string, or an array when repeated; subject and groupBy as
 * arrays; filterGroupBy[key] as an object). Unknown parameters are ignored, as OpenMeter does.
 */
export const meterQueryParamsSchema = z
  .object({
    clientId: once("clientId", clientIdSchema).optional(),
    from: once("from", dateTimeSchema("from")).optional().meta({ description: "Start, inclusive (RFC 3339), e.g. 2024-01-01T00:00:00Z" }),
    to: once("to", dateTimeSchema("to")).optional().meta({ description: "End, exclusive (RFC 3339)" }),
    windowSize: once("windowSize", windowSizeSchema)
      .optional()
      .meta({ description: "Split the period into windows; absent: one row per group over the whole period" }),
    windowTimeZone: once("windowTimeZone", windowTimeZoneSchema).optional(),
    subject: repeatable("subject", METER_LIMITS.querySubjectsMax)
      .optional()
      .meta({ description: "Only these subjects (repeat the parameter); also groups by subject" }),
    groupBy: z
      .array(queryGroupByEntry, { error: "groupBy must be a list of strings" })
      .max(METER_LIMITS.queryGroupByMax, `groupBy must be given at most ${METER_LIMITS.queryGroupByMax} times`)
      .optional(),
    filterGroupBy: filterGroupByParamSchema.optional(),
    ...unsupportedQueryShape,
  })
  .superRefine(windowInOrder)
  .transform(toMeterQuery);
export type MeterQueryParams = z.input<typeof meterQueryParamsSchema>;

/** POST …/query's JSON body (OpenMeter's MeterQueryRequest): the same query, filterGroupBy with lists of values. */
export const meterQueryRequestSchema = z
  .object({
    clientId: clientIdSchema.optional(),
    from: dateTimeSchema("from").optional(),
    to: dateTimeSchema("to").optional(),
    windowSize: windowSizeSchema.optional(),
    windowTimeZone: windowTimeZoneSchema.optional(),
    subject: repeatable("subject", METER_LIMITS.querySubjectsMax).optional(),
    groupBy: z
      .array(queryGroupByEntry, { error: "groupBy must be a list of strings" })
      .max(METER_LIMITS.queryGroupByMax, `groupBy must have at most ${METER_LIMITS.queryGroupByMax} entries`)
      .optional(),
    filterGroupBy: z
      .record(z.string(), repeatable("filterGroupBy values", METER_LIMITS.queryFilterGroupByMaxValues), {
        error: "filterGroupBy must be an object of key → list of values",
      })
      .refine(
        (m) => Object.keys(m).length <= METER_LIMITS.queryFilterGroupByMaxKeys,
        `filterGroupBy must have at most ${METER_LIMITS.queryFilterGroupByMaxKeys} keys`,
      )
      .optional(),
    ...unsupportedQueryShape,
  })
  .superRefine(windowInOrder)
  .transform(toMeterQuery);
export type MeterQueryRequest = z.input<typeof meterQueryRequestSchema>;

/** Collects GET …/query's parameters from a query string for meterQueryParamsSchema. */
export function meterQueryParamsFromSearchParams(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of ["clientId", "from", "to", "windowSize", "windowTimeZone", "advancedMeterGroupByFilters"]) {
    const values = params.getAll(name);
    if (values.length > 0) out[name] = values.length === 1 ? values[0] : values;
  }
  for (const name of ["subject", "groupBy", "filterCustomerId"]) {
    const values = params.getAll(name);
    if (values.length > 0) out[name] = values;
  }
  const filterGroupBy: Record<string, string | string[]> = {};
  for (const [name, value] of params) {
    const key = /^filterGroupBy\[(.+)\]$/.exec(name)?.[1];
    if (key === undefined) {
      if (name === "filterGroupBy") out.filterGroupBy = value;
      continue;
    }
    if (key === "__proto__") continue;
    const seen = filterGroupBy[key];
    filterGroupBy[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  if (Object.keys(filterGroupBy).length > 0 && out.filterGroupBy === undefined) out.filterGroupBy = filterGroupBy;
  return out;
}

/** The query checked against its meter: groupBy and filterGroupBy name the meter's group-by keys (OpenMeter: 400). */
function againstMeter(meter: { groupBy?: Record<string, string> | null }) {
  const keys = Object.keys(meter.groupBy ?? {});
  const known = keys.length > 0 ? keys.join(", ") : "none";
  return (q: MeterQuery, ctx: z.RefinementCtx) => {
    for (const key of q.groupBy) {
      if (key !== "subject" && !keys.includes(key))
        ctx.addIssue({
          code: "custom",
          path: ["groupBy"],
          message: `groupBy "${key}" is not a groupBy key of this meter (subject, or the meter's: ${known})`,
        });
    }
    for (const key of Object.keys(q.filterGroupBy)) {
      if (!keys.includes(key)) {
        ctx.addIssue({
          code: "custom",
          path: ["filterGroupBy", key],
          message: `filterGroupBy[${key}] is not a groupBy key of this meter (${known})${key === "subject" ? "; filter subjects with subject=" : ""}`,
        });
      }
    }
  };
}

export function meterQueryParamsSchemaFor(meter: { groupBy?: Record<string, string> | null }) {
  return meterQueryParamsSchema.superRefine(againstMeter(meter));
}

export function meterQueryRequestSchemaFor(meter: { groupBy?: Record<string, string> | null }) {
  return meterQueryRequestSchema.superRefine(againstMeter(meter));
}

/**
 * One row of an answer (OpenMeter's MeterQueryRow). subject is always present: null unless rows
 * are grouped by subject. groupBy is always present: {} when not grouped, else the requested
 * meter keys with their values (null for an event without one; OpenMeter sends ""). customerId only with customers
 * (never here). Without windowSize, windowStart/windowEnd are the query's from/to when given.
 */
export const meterQueryRowSchema = z.object({
  value: z.number(),
  windowStart: z.string(),
  windowEnd: z.string(),
  subject: z.string().nullable(),
  customerId: z.string().optional(),
  groupBy: z.record(z.string(), z.string().nullable()),
});
export type MeterQueryRow = z.infer<typeof meterQueryRowSchema>;

/** An answer (OpenMeter's MeterQueryResult): from, to and windowSize echo the query's (omitted when it had none); data is [] when nothing matched. */
export const meterQueryResultSchema = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  windowSize: windowSizeSchema.optional(),
  data: z.array(meterQueryRowSchema),
});
export type MeterQueryResult = z.infer<typeof meterQueryResultSchema>;

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * An error answer (RFC 7807, OpenMeter's StatusProblem), sent as application/problem+json. The
 * SDK's HTTPError message is "Request failed (<url>) [<status>]: <detail>", so detail should
 * always be there (OpenMeter leaves it out on 500, and the SDK then says "undefined").
 */
export const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string(),
  instance: z.string().optional(),
  extensions: z.record(z.string(), z.unknown()).optional(),
});
export type Problem = z.infer<typeof problemSchema>;
