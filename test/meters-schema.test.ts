// The OpenMeter-compatible meters API's shapes (src/lib/meters-schema.ts): what each schema
// takes and what it refuses, with the exact message and path, as tables.
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  CLOUDEVENT_LIMITS,
  METER_AGGREGATIONS,
  MeterAggregation,
  WINDOW_SIZES,
  WindowSize,
  cloudEventBatchSchema,
  cloudEventSchema,
  isTimeZone,
  meterCreateInputSchema,
  meterIdOrSlugSchema,
  meterQueryParamsFromSearchParams,
  meterQueryParamsSchema,
  meterQueryParamsSchemaFor,
  meterQueryRequestSchema,
  meterQueryRequestSchemaFor,
  meterQueryResultSchema,
  meterSchema,
  meterUpdateInputSchema,
  meterUpdateInputSchemaFor,
  parseJsonPath,
  problemSchema,
} from "../src/lib/meters-schema";

/** The issues of a refused value as [path, message] pairs; [] when it is accepted. */
function issues(schema: z.ZodType, value: unknown): [string, string][] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => [i.path.join("."), i.message]);
}

function parsed<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`refused: ${JSON.stringify(result.error.issues)}`);
  return result.data;
}

const event = { specversion: "1.0", id: "evt-1", source: "my-app", type: "prompt", subject: "customer-1" };

describe("the enums", () => {
  it("aggregations and window sizes are OpenMeter's, in its order", () => {
    expect(METER_AGGREGATIONS).toEqual(["SUM", "COUNT", "UNIQUE_COUNT", "AVG", "MIN", "MAX", "LATEST"]);
    expect(Object.values(MeterAggregation)).toEqual([...METER_AGGREGATIONS]);
    expect(WINDOW_SIZES).toEqual(["MINUTE", "HOUR", "DAY", "MONTH"]);
    expect(Object.values(WindowSize)).toEqual([...WINDOW_SIZES]);
  });
});

describe("a CloudEvent", () => {
  it.each<[string, unknown]>([
    ["the five required attributes", event],
    [
      "what the SDK sends (time as an ISO string, id a UUID, source @openmeter/sdk)",
      {
        type: "prompt",
        subject: "c",
        data: { tokens: 10 },
        id: "c0d55e5b-3d51-4d3d-8474-28464757f4db",
        source: "@openmeter/sdk",
        specversion: "1.0",
        time: "2026-12-07T21:01:52.339Z",
      },
    ],
    ["time with an offset and nanoseconds", { ...event, time: "2024-01-01T12:00:00.123456789+02:00" }],
    ["the optional attributes null", { ...event, time: null, datacontenttype: null, dataschema: null, data: null }],
    ["datacontenttype and dataschema", { ...event, datacontenttype: "application/json", dataschema: "https://example.com/schema.json" }],
    [
      "extension attributes: string, boolean, int32, null",
      { ...event, traceparent: "00-abc-01", sampled: true, partition: 7, region: null },
    ],
  ])("accepts %s", (_name, value) => {
    expect(issues(cloudEventSchema, value)).toEqual([]);
  });

  it("keeps extension attributes and the data as sent", () => {
    expect(parsed(cloudEventSchema, { ...event, data: { tokens: 5, model: "gpt-4" }, traceparent: "x" })).toEqual({
      ...event,
      data: { tokens: 5, model: "gpt-4" },
      traceparent: "x",
    });
  });

  it.each<[string, unknown, [string, string][]]>([
    [
      "nothing",
      {},
      [
        ["specversion", "specversion is required"],
        ["id", "id is required"],
        ["source", "source is required"],
        ["type", "type is required"],
        ["subject", "subject is required"],
      ],
    ],
    ["specversion 0.3", { ...event, specversion: "0.3" }, [["specversion", 'specversion must be "1.0"']]],
    ["specversion as a number", { ...event, specversion: 1 }, [["specversion", 'specversion must be "1.0"']]],
    [
      "an empty id and subject",
      { ...event, id: "", subject: "" },
      [
        ["id", "id must not be empty"],
        ["subject", "subject must not be empty"],
      ],
    ],
    ["a numeric id", { ...event, id: 7 }, [["id", "id must be a string"]]],
    [
      "a 257-character type",
      { ...event, type: "t".repeat(257) },
      [["type", `type must be at most ${CLOUDEVENT_LIMITS.attributeMaxLength} characters`]],
    ],
    [
      "a NUL in the subject",
      { ...event, subject: "a\u0000b" },
      [["subject", "subject must not contain the NUL character and must be valid Unicode"]],
    ],
    [
      "time without a zone",
      { ...event, time: "2024-01-01T00:00:00" },
      [["time", "time must be an RFC 3339 date-time with a time zone, e.g. 2024-01-01T00:00:00Z"]],
    ],
    [
      "time without seconds",
      { ...event, time: "2024-01-01T00:00Z" },
      [["time", "time must be an RFC 3339 date-time with a time zone, e.g. 2024-01-01T00:00:00Z"]],
    ],
    [
      "time as a date",
      { ...event, time: "2024-01-01" },
      [["time", "time must be an RFC 3339 date-time with a time zone, e.g. 2024-01-01T00:00:00Z"]],
    ],
    [
      "time in epoch milliseconds",
      { ...event, time: 1704067200000 },
      [["time", "time must be an RFC 3339 date-time with a time zone, e.g. 2024-01-01T00:00:00Z"]],
    ],
    [
      "datacontenttype application/xml",
      { ...event, datacontenttype: "application/xml" },
      [["datacontenttype", 'datacontenttype must be "application/json" (or null)']],
    ],
    ["a relative dataschema", { ...event, dataschema: "/schema.json" }, [["dataschema", "dataschema must be an absolute URI"]]],
    ["data as a string", { ...event, data: "string" }, [["data", "data must be a JSON object or null"]]],
    ["data as an array", { ...event, data: [1, 2] }, [["data", "data must be a JSON object or null"]]],
    [
      "a NUL deep in the data",
      { ...event, data: { a: { b: "x\u0000" } } },
      [["data.a.b", "data.a.b must not contain the NUL character (\\u0000)"]],
    ],
    [
      "a __proto__ key in the data",
      { ...event, data: JSON.parse('{"__proto__": {"x": 1}}') },
      [["data.__proto__", "data must not have the key __proto__"]],
    ],
    [
      "an extension name with capitals",
      { ...event, traceParent: "x" },
      [["traceParent", "traceParent is not a CloudEvents attribute: extension attribute names are lowercase letters and digits"]],
    ],
    [
      "an extension name with an underscore",
      { ...event, trace_id: "x" },
      [["trace_id", "trace_id is not a CloudEvents attribute: extension attribute names are lowercase letters and digits"]],
    ],
    [
      "an extension value that is an object",
      { ...event, ext: { a: 1 } },
      [["ext", "ext (an extension attribute) must be a string, a boolean, a 32-bit integer or null"]],
    ],
    [
      "an extension value that is a fraction",
      { ...event, ext: 1.5 },
      [["ext", "ext (an extension attribute) must be a string, a boolean, a 32-bit integer or null"]],
    ],
    [
      "an extension value beyond 32 bits",
      { ...event, ext: 2 ** 31 },
      [["ext", "ext (an extension attribute) must be a string, a boolean, a 32-bit integer or null"]],
    ],
  ])("refuses %s", (_name, value, expected) => {
    expect(issues(cloudEventSchema, value)).toEqual(expected);
  });
});

describe("a batch of CloudEvents", () => {
  it("accepts an array, an empty one too (it ingests nothing), and up to 1000 events", () => {
    expect(issues(cloudEventBatchSchema, [event, { ...event, id: "evt-2" }])).toEqual([]);
    expect(issues(cloudEventBatchSchema, [])).toEqual([]);
    expect(
      issues(
        cloudEventBatchSchema,
        Array.from({ length: 1000 }, (_, i) => ({ ...event, id: `e${i}` })),
      ),
    ).toEqual([]);
  });

  it.each<[string, unknown, [string, string][]]>([
    ["1001 events", Array.from({ length: 1001 }, () => event), [["", "a batch must hold at most 1000 events"]]],
    ["one event that is not in an array", event, [["", "a batch must be a JSON array of CloudEvents"]]],
    ["a bad event among good ones, by its index", [event, { ...event, subject: "" }, event], [["1.subject", "subject must not be empty"]]],
  ])("refuses %s", (_name, value, expected) => {
    expect(issues(cloudEventBatchSchema, value)).toEqual(expected);
  });
});

describe("a meter to create", () => {
  const sum = { slug: "tokens_total", aggregation: "SUM", eventType: "prompt", valueProperty: "$.tokens" };

  it.each<[string, unknown]>([
    ["COUNT without valueProperty", { slug: "api_calls", aggregation: "COUNT", eventType: "request" }],
    [
      "every field",
      {
        ...sum,
        name: "Tokens Total",
        description: "AI Token Usage",
        eventFrom: "2023-01-01T00:00:00.000Z",
        groupBy: { model: "$.model", type: "$.type" },
        metadata: { team: "ai" },
      },
    ],
    ["each aggregation but COUNT with a valueProperty", { ...sum, aggregation: "LATEST" }],
    ["UNIQUE_COUNT", { ...sum, aggregation: "UNIQUE_COUNT", valueProperty: "$.user_id" }],
    ["a 64-character slug of digits and words", { ...sum, slug: "a1_" + "b".repeat(61) }],
    [
      "JSONPaths with brackets and indexes",
      { ...sum, valueProperty: '$.usage["total tokens"]', groupBy: { first: "$.items[0].name", Quoted: "$['x-model']" } },
    ],
    ["group-by keys with capitals and a leading underscore", { ...sum, groupBy: { Model: "$.model", _type: "$.type" } }],
    ["metadata null", { ...sum, metadata: null }],
    ["an empty groupBy", { ...sum, groupBy: {} }],
  ])("accepts %s", (_name, value) => {
    expect(issues(meterCreateInputSchema, value)).toEqual([]);
  });

  it("ignores fields it does not take (a meter read back and sent again)", () => {
    expect(parsed(meterCreateInputSchema, { ...sum, id: "01JABCDEFGHJKMNPQRSTVWXYZ0", createdAt: "2024-01-01T00:00:00Z" })).toEqual(sum);
  });

  it.each<[string, unknown, [string, string][]]>([
    [
      "nothing",
      {},
      [
        ["slug", "slug is required"],
        ["aggregation", "aggregation is required"],
        ["eventType", "eventType is required"],
      ],
    ],
    [
      "a slug with capitals",
      { ...sum, slug: "Tokens" },
      [["slug", "slug must be lowercase letters and digits, words joined by single underscores, e.g. tokens_total"]],
    ],
    [
      "a slug with a hyphen",
      { ...sum, slug: "tokens-total" },
      [["slug", "slug must be lowercase letters and digits, words joined by single underscores, e.g. tokens_total"]],
    ],
    [
      "a slug with a double underscore",
      { ...sum, slug: "tokens__total" },
      [["slug", "slug must be lowercase letters and digits, words joined by single underscores, e.g. tokens_total"]],
    ],
    [
      "a slug ending in an underscore",
      { ...sum, slug: "tokens_" },
      [["slug", "slug must be lowercase letters and digits, words joined by single underscores, e.g. tokens_total"]],
    ],
    ["a 65-character slug", { ...sum, slug: "a".repeat(65) }, [["slug", "slug must be at most 64 characters"]]],
    [
      "an empty slug",
      { ...sum, slug: "" },
      [
        ["slug", "slug must not be empty"],
        ["slug", "slug must be lowercase letters and digits, words joined by single underscores, e.g. tokens_total"],
      ],
    ],
    [
      "aggregation in lowercase",
      { ...sum, aggregation: "sum" },
      [["aggregation", "aggregation must be one of SUM, COUNT, UNIQUE_COUNT, AVG, MIN, MAX, LATEST"]],
    ],
    ["an empty eventType", { ...sum, eventType: "" }, [["eventType", "eventType must not be empty"]]],
    ["an empty name", { ...sum, name: "" }, [["name", "name must not be empty"]]],
    ["a 257-character name", { ...sum, name: "n".repeat(257) }, [["name", "name must be at most 256 characters"]]],
    ["an empty description", { ...sum, description: "" }, [["description", "description must not be empty (omit it instead)"]]],
    [
      "a 1025-character description",
      { ...sum, description: "d".repeat(1025) },
      [["description", "description must be at most 1024 characters"]],
    ],
    [
      "eventFrom without a zone",
      { ...sum, eventFrom: "2023-01-01T00:00:00" },
      [["eventFrom", "eventFrom must be an RFC 3339 date-time with a time zone, e.g. 2024-01-01T00:00:00Z"]],
    ],
    [
      "SUM without valueProperty",
      { slug: "s", aggregation: "SUM", eventType: "e" },
      [["valueProperty", "valueProperty is required when aggregation is SUM (a JSONPath into the event's data, e.g. $.tokens)"]],
    ],
    [
      "LATEST without valueProperty",
      { slug: "s", aggregation: "LATEST", eventType: "e" },
      [["valueProperty", "valueProperty is required when aggregation is LATEST (a JSONPath into the event's data, e.g. $.tokens)"]],
    ],
    [
      "COUNT with a valueProperty",
      { slug: "s", aggregation: "COUNT", eventType: "e", valueProperty: "$.n" },
      [["valueProperty", "valueProperty must be omitted when aggregation is COUNT (COUNT counts events)"]],
    ],
    [
      "a valueProperty not starting with $",
      { ...sum, valueProperty: "tokens" },
      [["valueProperty", "valueProperty must be a JSONPath starting with $, e.g. $.tokens"]],
    ],
    [
      "an empty valueProperty",
      { ...sum, valueProperty: "" },
      [
        ["valueProperty", "valueProperty must not be empty"],
        ["valueProperty", "valueProperty must be a JSONPath starting with $, e.g. $.tokens"],
      ],
    ],
    [
      "a wildcard valueProperty",
      { ...sum, valueProperty: "$.items[*].tokens" },
      [
        [
          "valueProperty",
          'valueProperty must be a JSONPath of .name, ["name"] or [index] steps, e.g. $.tokens (no wildcards, ranges or filters)',
        ],
      ],
    ],
    [
      "a recursive-descent valueProperty",
      { ...sum, valueProperty: "$..tokens" },
      [
        [
          "valueProperty",
          'valueProperty must be a JSONPath of .name, ["name"] or [index] steps, e.g. $.tokens (no wildcards, ranges or filters)',
        ],
      ],
    ],
    ["groupBy as an array", { ...sum, groupBy: ["$.model"] }, [["groupBy", "groupBy must be an object of name → JSONPath"]]],
    [
      "a group-by key with a hyphen",
      { ...sum, groupBy: { "my-model": "$.model" } },
      [["groupBy.my-model", 'groupBy key "my-model" must be letters, digits and underscores, not starting with a digit']],
    ],
    [
      "a group-by key starting with a digit",
      { ...sum, groupBy: { "1st": "$.model" } },
      [["groupBy.1st", 'groupBy key "1st" must be letters, digits and underscores, not starting with a digit']],
    ],
    [
      "the group-by key subject",
      { ...sum, groupBy: { subject: "$.user" } },
      [["groupBy.subject", "groupBy key \"subject\" is reserved: a query's groupBy=subject means the event's own subject"]],
    ],
    [
      "the group-by key customer_id",
      { ...sum, groupBy: { customer_id: "$.customer" } },
      [["groupBy.customer_id", "groupBy key \"customer_id\" is reserved: a query's groupBy=customer_id means the event's own customer_id"]],
    ],
    [
      "a group-by key __proto__",
      { ...sum, groupBy: JSON.parse('{"__proto__": "$.x"}') },
      [["groupBy.__proto__", "groupBy must not have the key __proto__"]],
    ],
    [
      "a group-by path not starting with $",
      { ...sum, groupBy: { model: "model" } },
      [["groupBy.model", "groupBy.model must be a JSONPath starting with $, e.g. $.model"]],
    ],
    ["a group-by path that is not a string", { ...sum, groupBy: { model: 1 } }, [["groupBy.model", "groupBy.model must be a string"]]],
    [
      "a group-by path that repeats valueProperty",
      { ...sum, groupBy: { tokens: "$.tokens" } },
      [["groupBy.tokens", "groupBy.tokens must not be the same JSONPath as valueProperty ($.tokens)"]],
    ],
    [
      "51 group-by keys",
      { ...sum, groupBy: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, `$.k${i}`])) },
      [["groupBy", "groupBy must have at most 50 keys"]],
    ],
    ["metadata with a number", { ...sum, metadata: { team: 1 } }, [["metadata.team", "metadata values must be strings"]]],
    ["metadata as a string", { ...sum, metadata: "team" }, [["metadata", "metadata must be an object of strings, or null"]]],
  ])("refuses %s", (_name, value, expected) => {
    expect(issues(meterCreateInputSchema, value)).toEqual(expected);
  });
});

describe("a meter's replacement (PUT)", () => {
  it("takes name, description, groupBy and metadata, all optional, and drops what cannot change", () => {
    expect(parsed(meterUpdateInputSchema, {})).toEqual({});
    expect(
      parsed(meterUpdateInputSchema, {
        name: "Renamed",
        description: "d",
        groupBy: { model: "$.model" },
        metadata: null,
        slug: "other",
        aggregation: "MAX",
        valueProperty: "$.x",
      }),
    ).toEqual({
      name: "Renamed",
      description: "d",
      groupBy: { model: "$.model" },
      metadata: null,
    });
  });

  it.each<[string, unknown, [string, string][]]>([
    ["an empty name", { name: "" }, [["name", "name must not be empty"]]],
    ["an empty description", { description: "" }, [["description", "description must not be empty (omit it instead)"]]],
    [
      "a bad group-by key",
      { groupBy: { "a b": "$.a" } },
      [["groupBy.a b", 'groupBy key "a b" must be letters, digits and underscores, not starting with a digit']],
    ],
  ])("refuses %s", (_name, value, expected) => {
    expect(issues(meterUpdateInputSchema, value)).toEqual(expected);
  });

  it("against its meter, refuses a group-by that repeats the meter's valueProperty", () => {
    expect(issues(meterUpdateInputSchemaFor({ valueProperty: "$.tokens" }), { groupBy: { t: "$.tokens", model: "$.model" } })).toEqual([
      ["groupBy.t", "groupBy.t must not be the same JSONPath as valueProperty ($.tokens)"],
    ]);
    expect(issues(meterUpdateInputSchemaFor({ valueProperty: null }), { groupBy: { t: "$.tokens" } })).toEqual([]);
  });
});

describe("a meter's id or slug in a path", () => {
  it.each(["tokens_total", "a", "01JABCDEFGHJKMNPQRSTVWXYZ0", "01jabcdefghjkmnpqrstvwxyz0"])("accepts %s", (value) => {
    expect(issues(meterIdOrSlugSchema, value)).toEqual([]);
  });
  it.each<[string, [string, string][]]>([
    ["Tokens", [["", "meterIdOrSlug must be a meter's slug (lowercase letters, digits, single underscores) or its id (a ULID)"]]],
    ["a b", [["", "meterIdOrSlug must be a meter's slug (lowercase letters, digits, single underscores) or its id (a ULID)"]]],
    [
      "81JABCDEFGHJKMNPQRSTVWXYZ0",
      [["", "meterIdOrSlug must be a meter's slug (lowercase letters, digits, single underscores) or its id (a ULID)"]],
    ],
    ["a".repeat(65), [["", "meterIdOrSlug must be at most 64 characters"]]],
  ])("refuses %s", (value, expected) => {
    expect(issues(meterIdOrSlugSchema, value)).toEqual(expected);
  });
});

describe("a meter query from a query string (GET)", () => {
  const query = (qs: string) => meterQueryParamsFromSearchParams(new URLSearchParams(qs));

  it("collects what the SDK sends: single values, repeated subject and groupBy, filterGroupBy[key]", () => {
    // The raw query string @openmeter/sdk sent for meters.query(…) in /tmp/omsdk/probe.mjs.
    const sdk =
      "clientId=client-1&from=2024-01-01T00%3A00%3A00.000Z&to=2024-01-02T00%3A00%3A00%2B01%3A00&windowSize=HOUR&windowTimeZone=Europe%2FBudapest" +
      "&subject=customer-1&subject=customer%202%26x%3Dy&subject=%C3%BC&groupBy=model&groupBy=subject&filterGroupBy[model]=gpt-4&filterGroupBy[type]=in%20put%26x";
    expect(query(sdk)).toEqual({
      clientId: "client-1",
      from: "2024-01-01T00:00:00.000Z",
      to: "2024-01-02T00:00:00+01:00",
      windowSize: "HOUR",
      windowTimeZone: "Europe/Budapest",
      subject: ["customer-1", "customer 2&x=y", "ü"],
      groupBy: ["model", "subject"],
      filterGroupBy: { model: "gpt-4", type: "in put&x" },
    });
    expect(parsed(meterQueryParamsSchema, query(sdk))).toEqual({
      clientId: "client-1",
      from: "2024-01-01T00:00:00.000Z",
      to: "2024-01-02T00:00:00+01:00",
      windowSize: "HOUR",
      windowTimeZone: "Europe/Budapest",
      subject: ["customer-1", "customer 2&x=y", "ü"],
      groupBy: ["model", "subject"],
      filterGroupBy: { model: ["gpt-4"], type: ["in put&x"] },
    });
  });

  it("defaults: no parameters is every event of the meter in one row, windows in UTC", () => {
    expect(parsed(meterQueryParamsSchema, query(""))).toEqual({ windowTimeZone: "UTC", subject: [], groupBy: [], filterGroupBy: {} });
  });

  it("a subject filter also groups by subject (OpenMeter's meaning); repeated groupBy values count once", () => {
    expect(parsed(meterQueryParamsSchema, query("subject=a&groupBy=model&groupBy=model"))).toMatchObject({
      subject: ["a"],
      groupBy: ["model", "subject"],
    });
  });

  it.each<[string, string, [string, string][]]>([
    ["from twice", "from=2024-01-01T00:00:00Z&from=2024-01-02T00:00:00Z", [["from", "from must be given once"]]],
    [
      "from without a zone",
      "from=2024-01-01T00:00:00",
      [["from", "from must be an RFC 3339 date-time with a time zone, e.g. 2024-01-01T00:00:00Z"]],
    ],
    ["from as a date", "from=2024-01-01", [["from", "from must be an RFC 3339 date-time with a time zone, e.g. 2024-01-01T00:00:00Z"]]],
    ["to before from", "from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z", [["to", "to must be after from"]]],
    ["to equal to from (in another zone)", "from=2024-01-01T01:00:00%2B01:00&to=2024-01-01T00:00:00Z", [["to", "to must be after from"]]],
    ["windowSize WEEK", "windowSize=WEEK", [["windowSize", "windowSize must be one of MINUTE, HOUR, DAY, MONTH"]]],
    ["windowSize in lowercase", "windowSize=day", [["windowSize", "windowSize must be one of MINUTE, HOUR, DAY, MONTH"]]],
    [
      "an unknown time zone",
      "windowTimeZone=Mars/Olympus",
      [["windowTimeZone", "windowTimeZone must be an IANA time zone name, e.g. UTC or Europe/Budapest"]],
    ],
    [
      "a time zone as an offset",
      "windowTimeZone=%2B01:00",
      [["windowTimeZone", "windowTimeZone must be an IANA time zone name, e.g. UTC or Europe/Budapest"]],
    ],
    [
      "a time zone in the wrong case",
      "windowTimeZone=europe/paris",
      [["windowTimeZone", "windowTimeZone must be an IANA time zone name, e.g. UTC or Europe/Budapest"]],
    ],
    [
      "the time zone Local",
      "windowTimeZone=Local",
      [["windowTimeZone", "windowTimeZone must be an IANA time zone name, e.g. UTC or Europe/Budapest"]],
    ],
    [
      "an empty time zone",
      "windowTimeZone=",
      [["windowTimeZone", "windowTimeZone must be an IANA time zone name, e.g. UTC or Europe/Budapest"]],
    ],
    ["an empty clientId", "clientId=", [["clientId", "clientId must not be empty"]]],
    ["a 37-character clientId", `clientId=${"c".repeat(37)}`, [["clientId", "clientId must be at most 36 characters"]]],
    [
      "101 subjects",
      Array.from({ length: 101 }, (_, i) => `subject=s${i}`).join("&"),
      [["subject", "subject must be given at most 100 times"]],
    ],
    [
      "groupBy customer_id",
      "groupBy=customer_id",
      [["groupBy.0", "groupBy customer_id is not supported: this service has no customers; group by subject"]],
    ],
    ["a groupBy that cannot be a key", "groupBy=a-b", [["groupBy.0", 'groupBy "a-b" must be subject or one of the meter\'s groupBy keys']]],
    [
      "one filterGroupBy key twice",
      "filterGroupBy[model]=a&filterGroupBy[model]=b",
      [["filterGroupBy.model", "filterGroupBy[key] must be given once per key (one value: an exact match)"]],
    ],
    ["filterGroupBy without a key", "filterGroupBy=model", [["filterGroupBy", "filterGroupBy must be given as filterGroupBy[key]=value"]]],
    [
      "filterCustomerId",
      "filterCustomerId=01JABCDEFGHJKMNPQRSTVWXYZ0",
      [["filterCustomerId", "filterCustomerId is not supported: this service has no customers; filter by subject"]],
    ],
    [
      "advancedMeterGroupByFilters",
      `advancedMeterGroupByFilters=${encodeURIComponent('{"model":{"$in":["gpt-4"]}}')}`,
      [["advancedMeterGroupByFilters", "advancedMeterGroupByFilters is not supported: filter with filterGroupBy (exact values)"]],
    ],
  ])("refuses %s", (_name, qs, expected) => {
    expect(issues(meterQueryParamsSchema, query(qs))).toEqual(expected);
  });

  it("ignores parameters it does not know, as OpenMeter does", () => {
    expect(parsed(meterQueryParamsSchema, query("page=2&foo=bar"))).toEqual({
      windowTimeZone: "UTC",
      subject: [],
      groupBy: [],
      filterGroupBy: {},
    });
  });

  it("against its meter: groupBy and filterGroupBy must name the meter's group-by keys (or subject, for groupBy)", () => {
    const schema = meterQueryParamsSchemaFor({ groupBy: { model: "$.model", type: "$.type" } });
    expect(issues(schema, query("groupBy=model&groupBy=subject&filterGroupBy[type]=input"))).toEqual([]);
    expect(issues(schema, query("groupBy=vendor&filterGroupBy[vendor]=x&filterGroupBy[subject]=a"))).toEqual([
      ["groupBy", 'groupBy "vendor" is not a groupBy key of this meter (subject, or the meter\'s: model, type)'],
      ["filterGroupBy.vendor", "filterGroupBy[vendor] is not a groupBy key of this meter (model, type)"],
      ["filterGroupBy.subject", "filterGroupBy[subject] is not a groupBy key of this meter (model, type); filter subjects with subject="],
    ]);
    expect(issues(meterQueryParamsSchemaFor({}), query("groupBy=model"))).toEqual([
      ["groupBy", 'groupBy "model" is not a groupBy key of this meter (subject, or the meter\'s: none)'],
    ]);
  });
});

describe("a meter query in a body (POST)", () => {
  it("takes what the SDK's queryPost sends, filterGroupBy with lists", () => {
    const body = {
      from: "2024-01-01T00:00:00.000Z",
      to: "2024-01-02T00:00:00Z",
      windowSize: "DAY",
      subject: ["a", "b"],
      groupBy: ["model"],
      filterGroupBy: { model: ["gpt-4", "gpt-4o"] },
    };
    expect(parsed(meterQueryRequestSchema, body)).toEqual({ ...body, windowTimeZone: "UTC", groupBy: ["model", "subject"] });
  });

  it.each<[string, unknown, [string, string][]]>([
    ["subject as a string", { subject: "a" }, [["subject", "subject must be a list of strings"]]],
    [
      "filterGroupBy with a string value",
      { filterGroupBy: { model: "gpt-4" } },
      [["filterGroupBy.model", "filterGroupBy values must be a list of strings"]],
    ],
    ["101 groupBy", { groupBy: Array.from({ length: 101 }, () => "subject") }, [["groupBy", "groupBy must have at most 100 entries"]]],
    [
      "filterCustomerId",
      { filterCustomerId: ["x"] },
      [["filterCustomerId", "filterCustomerId is not supported: this service has no customers; filter by subject"]],
    ],
    ["to before from", { from: "2024-01-02T00:00:00Z", to: "2024-01-01T00:00:00Z" }, [["to", "to must be after from"]]],
  ])("refuses %s", (_name, value, expected) => {
    expect(issues(meterQueryRequestSchema, value)).toEqual(expected);
  });

  it("against its meter, like GET", () => {
    expect(issues(meterQueryRequestSchemaFor({ groupBy: { model: "$.model" } }), { filterGroupBy: { type: ["x"] } })).toEqual([
      ["filterGroupBy.type", "filterGroupBy[type] is not a groupBy key of this meter (model)"],
    ]);
  });
});

describe("time zones", () => {
  // Zone names the windows (src/lib/meter-windows.ts) compute in; the API takes only these.
  it.each([
    "UTC", "Etc/UTC", "GMT", "Europe/Budapest", "America/Los_Angeles", "America/Argentina/Buenos_Aires", "Asia/Kolkata",
    "Asia/Calcutta", "Asia/Kathmandu", "Australia/Lord_Howe", "US/Eastern", "Etc/GMT+5",
  ])("%s is one", (tz) => {
    expect(isTimeZone(tz)).toBe(true);
  });
  it.each(["", "Local", "utc", "Nope/Zone", "Mars/Olympus", "+01:00", "+05:30", "-03:00", "UTC+1", " UTC", "Europe/Budapest "])("%j is not", (tz) => {
    expect(isTimeZone(tz)).toBe(false);
  });
});

describe("JSONPaths", () => {
  it.each<[string, (string | number)[] | null]>([
    ["$", []],
    ["$.tokens", ["tokens"]],
    ["$.usage.total_tokens", ["usage", "total_tokens"]],
    ["$.items[0].name", ["items", 0, "name"]],
    ['$["x-model"]', ["x-model"]],
    ["$['a b'].c", ["a b", "c"]],
    ["tokens", null],
    ["$.", null],
    ["$.items[*]", null],
    ["$..tokens", null],
    ["$.1st", null],
    ["$.items[01]", null],
    ["$.a[?(@.b)]", null],
  ])("%s → %j", (path, steps) => {
    expect(parseJsonPath(path)).toEqual(steps);
  });
});

describe("answers", () => {
  const meter = {
    id: "01JABCDEFGHJKMNPQRSTVWXYZ0",
    slug: "tokens_total",
    name: "Tokens Total",
    aggregation: "SUM",
    eventType: "prompt",
    valueProperty: "$.tokens",
    groupBy: { model: "$.model" },
    metadata: null,
    annotations: null,
    createdAt: "2024-01-01T01:01:01.001Z",
    updatedAt: "2024-01-01T01:01:01.001Z",
  };

  it("a meter: OpenMeter's example shape, groupBy omitted when empty, deletedAt once deleted", () => {
    expect(issues(meterSchema, meter)).toEqual([]);
    expect(
      issues(meterSchema, {
        ...meter,
        groupBy: undefined,
        valueProperty: undefined,
        aggregation: "COUNT",
        deletedAt: "2024-02-01T00:00:00Z",
      }),
    ).toEqual([]);
    expect(issues(meterSchema, { ...meter, name: undefined })).toEqual([["name", "Invalid input: expected string, received undefined"]]);
  });

  it("a query result: subject null and groupBy {} when not grouped; data [] when nothing matched", () => {
    expect(issues(meterQueryResultSchema, { data: [] })).toEqual([]);
    expect(
      issues(meterQueryResultSchema, {
        from: "2024-01-01T00:00:00Z",
        to: "2024-01-02T00:00:00Z",
        windowSize: "HOUR",
        data: [
          {
            value: 12,
            windowStart: "2024-01-01T00:00:00Z",
            windowEnd: "2024-01-01T01:00:00Z",
            subject: "customer-1",
            groupBy: { model: "gpt-4" },
          },
          { value: 3.5, windowStart: "2024-01-01T01:00:00Z", windowEnd: "2024-01-01T02:00:00Z", subject: null, groupBy: {} },
        ],
      }),
    ).toEqual([]);
    expect(issues(meterQueryResultSchema, { data: [{ value: 1, windowStart: "x", windowEnd: "y", groupBy: {} }] })).toEqual([
      ["data.0.subject", "Invalid input: expected string, received undefined"],
    ]);
  });

  it("a problem: type, title, status and detail", () => {
    expect(
      issues(problemSchema, {
        type: "about:blank",
        title: "Not Found",
        status: 404,
        detail: "meter not found: nope",
        instance: "urn:request:x",
      }),
    ).toEqual([]);
    expect(issues(problemSchema, { type: "about:blank", title: "Unauthorized", status: 401 })).toEqual([
      ["detail", "Invalid input: expected string, received undefined"],
    ]);
  });
});
