// Normalization (src/server/ingest/normalize.ts) and the exact-number scan of request bodies
// (src/server/http/json-body.ts), pure, as tables: a payload → the event counted (names trimmed
// and NFC, attributes verbatim, eventId apart, the timestamp as ISO-8601 UTC with milliseconds)
// or the INVALID_EVENT field and message; a body's number literal → kept as the float it is, or
// refused naming the field, with why.
import { describe, expect, it } from "vitest";
import { AppError } from "../src/server/errors";
import { MAX_BODY_DEPTH, parseJsonBody, scanJson } from "../src/server/http/json-body";
import type { JsonValue } from "../src/server/ingest/canonical-json";
import { normalizeEvent, type NormalizedEvent } from "../src/server/ingest/normalize";
import { normalizeName } from "../src/lib/names";

/** What fn threw, as { code, field, message }; fails the test when it did not throw an AppError. */
function thrown(fn: () => unknown): { code: string; field: string | undefined; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    return { code: e.code, field: e.field, message: e.message };
  }
  throw new Error("expected it to throw");
}

const event = (over: Partial<NormalizedEvent>): NormalizedEvent => ({ source: "s", metric: "m", value: 1, timestamp: null, attributes: {}, eventId: null, subject: null, data: null, ...over });

describe("normalizeName", () => {
  it.each([
    ["shop", "shop"],
    ["  shop \t\n", "shop"],
    ["cafe\u0301", "caf\u00e9"], // decomposed → composed (NFC)
    ["caf\u00e9", "caf\u00e9"],
    ["\u212b", "\u00c5"], // ANGSTROM SIGN → A WITH RING ABOVE
    ["a  b", "a  b"], // inner spaces kept
    ["   ", ""],
  ])("%j → %j", (name, normalized) => {
    expect(normalizeName(name)).toBe(normalized);
  });
});

describe("normalizeEvent: the event a payload stands for", () => {
  it.each<[string, string, Record<string, unknown>, NormalizedEvent]>([
    ["the minimal event", "s", { metric: "m", value: 1 }, event({})],
    ["names trimmed and NFC", " cafe\u0301 ", { metric: " re\u0301sume\u0301 ", value: 2 }, event({ source: "caf\u00e9", metric: "r\u00e9sum\u00e9", value: 2 })],
    [
      "attributes verbatim: not trimmed, not NFC, nested, nulls and -0 kept",
      "s",
      { metric: "m", value: 1, name: " cafe\u0301 ", tags: ["a", { b: null }], n: -0, nested: { deep: { x: 1.5 } } },
      event({ attributes: { name: " cafe\u0301 ", tags: ["a", { b: null }], n: -0, nested: { deep: { x: 1.5 } } } }),
    ],
    ["eventId apart from the attributes, trimmed", "s", { metric: "m", value: 1, eventId: " e-1 ", plan: "pro" }, event({ eventId: "e-1", attributes: { plan: "pro" } })],
    ["a value of -0 counts as 0", "s", { metric: "m", value: -0 }, event({ value: 0 })],
    ["the largest float under 1e20", "s", { metric: "m", value: 9.999999999999998e19 }, event({ value: 9.999999999999998e19 })],
    ["a negative fractional value", "s", { metric: "m", value: -12.375 }, event({ value: -12.375 })],
    ["timestamp in UTC, milliseconds added", "s", { metric: "m", value: 1, timestamp: "2026-11-24T10:00:00Z" }, event({ timestamp: "2026-11-24T10:00:00.000Z" })],
    ["timestamp with an offset, read as UTC", "s", { metric: "m", value: 1, timestamp: "2026-11-24T11:00:00.5+01:00" }, event({ timestamp: "2026-11-24T10:00:00.500Z" })],
    ["timestamp crossing a day and a year by its offset", "s", { metric: "m", value: 1, timestamp: "2026-12-31T23:30:00-01:00" }, event({ timestamp: "2027-01-01T00:30:00.000Z" })],
    ["timestamp in epoch milliseconds", "s", { metric: "m", value: 1, timestamp: 1764000000123 }, event({ timestamp: "2025-11-24T16:00:00.123Z" })],
    ["the smallest epoch milliseconds taken", "s", { metric: "m", value: 1, timestamp: 100000000000 }, event({ timestamp: "1973-03-03T09:46:40.000Z" })],
    ["the first instant of year 0001 (by its offset)", "s", { metric: "m", value: 1, timestamp: "0000-12-31T23:00:00-01:00" }, event({ timestamp: "0001-01-01T00:00:00.000Z" })],
    ["an attribute named like a field of an SDK message", "s", { metric: "m", value: 1, type: "track", properties: { value: 9 } }, event({ attributes: { type: "track", properties: { value: 9 } } })],
  ])("%s", (_name, source, payload, expected) => {
    const normalized = normalizeEvent(source, payload);
    expect(normalized).toEqual(expected);
    // toEqual tells -0 from 0: the attribute kept -0 and the value counts 0.
    expect(Object.is(normalized.value, expected.value)).toBe(true);
  });

  it("is deterministic and does not change the payload", () => {
    const payload = { metric: " m ", value: 1, eventId: "e", attributes: { x: [1, 2] } };
    const copy = structuredClone(payload);
    expect(normalizeEvent("s", payload)).toEqual(normalizeEvent("s", copy));
    expect(payload).toEqual(copy);
  });
});

describe("normalizeEvent: what makes a payload uncountable (INVALID_EVENT, naming the field)", () => {
  it.each<[string, unknown, string, string]>([
    ["not an object: null", null, "payload", "payload: Invalid input: expected object, received null, got null"],
    ["not an object: an array", [], "payload", "payload: Invalid input: expected object, received array, got an array"],
    ["no metric", { value: 1 }, "payload.metric", "payload.metric is required"],
    ["a metric that is a number", { metric: 3, value: 1 }, "payload.metric", "payload.metric: metric must be a string, got a number"],
    ["an empty metric", { metric: "", value: 1 }, "payload.metric", "payload.metric: metric must not be empty"],
    ["a metric of spaces", { metric: "   ", value: 1 }, "payload.metric", "payload.metric: metric must not be empty"],
    ["a metric over 200 characters", { metric: "x".repeat(201), value: 1 }, "payload.metric", "payload.metric: metric must be at most 200 characters"],
    ["no value", { metric: "m" }, "payload.value", "payload.value is required"],
    ["a value that is a numeric string", { metric: "m", value: "12" }, "payload.value", "payload.value: value must be a number, got a string"],
    ["a value of null", { metric: "m", value: null }, "payload.value", "payload.value: value must be a number, got null"],
    ["a value that is an array", { metric: "m", value: [1] }, "payload.value", "payload.value: value must be a number, got an array"],
    ["a value that is an object", { metric: "m", value: {} }, "payload.value", "payload.value: value must be a number, got an object"],
    ["a value that is a boolean", { metric: "m", value: true }, "payload.value", "payload.value: value must be a number, got a boolean"],
    ["a value of 1e20", { metric: "m", value: 1e20 }, "payload.value", "payload.value: value must be smaller than 1e20 in magnitude"],
    ["a value of -1e20", { metric: "m", value: -1e20 }, "payload.value", "payload.value: value must be smaller than 1e20 in magnitude"],
    ["a value of Infinity", { metric: "m", value: Infinity }, "payload.value", "payload.value: the number is beyond the range of a 64-bit float (±1.8e308)"],
    ["a value of NaN", { metric: "m", value: NaN }, "payload.value", "payload.value: the number is beyond the range of a 64-bit float (±1.8e308)"],
    ["an attribute of -Infinity, deep in an array", { metric: "m", value: 1, a: { b: [1, -Infinity] } }, "payload.a.b.1", "payload.a.b.1: the number is beyond the range of a 64-bit float (±1.8e308)"],
    ["a timestamp that is no date", { metric: "m", value: 1, timestamp: "yesterday" }, "payload.timestamp", "payload.timestamp: timestamp must be an ISO-8601 date-time with a time zone, or epoch milliseconds"],
    ["a timestamp without a time zone", { metric: "m", value: 1, timestamp: "2026-11-24T10:00:00" }, "payload.timestamp", "payload.timestamp: timestamp must be an ISO-8601 date-time with a time zone, or epoch milliseconds"],
    ["a timestamp of a day that does not exist", { metric: "m", value: 1, timestamp: "2026-02-30T00:00:00Z" }, "payload.timestamp", "payload.timestamp: timestamp must be an ISO-8601 date-time with a time zone, or epoch milliseconds"],
    ["a timestamp in year 10000", { metric: "m", value: 1, timestamp: "10000-01-01T00:00:00Z" }, "payload.timestamp", "payload.timestamp: timestamp must be an ISO-8601 date-time with a time zone, or epoch milliseconds"],
    [
      "a timestamp in epoch seconds",
      { metric: "m", value: 1, timestamp: 1700000000 },
      "payload.timestamp",
      "payload.timestamp: timestamp in epoch milliseconds must be at least 100000000000 (1973-03-03); epoch seconds are not accepted, multiply by 1000",
    ],
    ["epoch milliseconds in year 10000", { metric: "m", value: 1, timestamp: 253402300800000 }, "payload.timestamp", "payload.timestamp: timestamp must be before the year 10000"],
    ["fractional epoch milliseconds", { metric: "m", value: 1, timestamp: 1764000000000.5 }, "payload.timestamp", "payload.timestamp: Invalid input"],
    ["a timestamp of null", { metric: "m", value: 1, timestamp: null }, "payload.timestamp", "payload.timestamp: Invalid input, got null"],
    ["an empty eventId", { metric: "m", value: 1, eventId: "" }, "payload.eventId", "payload.eventId: idempotency key must not be empty"],
    ["an eventId of spaces", { metric: "m", value: 1, eventId: "  " }, "payload.eventId", "payload.eventId: idempotency key must not be empty"],
    ["an eventId over 255 characters", { metric: "m", value: 1, eventId: "e".repeat(256) }, "payload.eventId", "payload.eventId: idempotency key must be at most 255 characters"],
    ["an eventId that is a number", { metric: "m", value: 1, eventId: 5 }, "payload.eventId", "payload.eventId: Invalid input: expected string, received number, got a number"],
  ])("%s", (_name, payload, field, message) => {
    expect(thrown(() => normalizeEvent("s", payload))).toEqual({ code: "INVALID_EVENT", field, message });
  });
});

describe("the exact-number scan: a body's number literals, parsed by parseJsonBody", () => {
  /** The event of a POST /ingest body whose payload carries `literal` as the attribute `n`. */
  const ingest = (literal: string) => {
    const body = parseJsonBody(`{"source":"s","payload":{"metric":"m","value":1,"n":${literal}}}`) as { payload: unknown };
    return () => normalizeEvent("s", body.payload);
  };

  it.each<[string, number]>([
    ["0.1", 0.1],
    ["-0", -0],
    ["0", 0],
    ["1.0", 1],
    ["10.50", 10.5],
    ["1E2", 100],
    ["1e-7", 1e-7],
    ["1e19", 1e19],
    ["1e21", 1e21],
    ["100000000000000000000000", 1e23], // the digits of 1e23, exactly
    ["123456789012345.6", 123456789012345.6], // 16 significant digits that round-trip
    ["0.30000000000000004", 0.30000000000000004],
    ["9007199254740992", 9007199254740992], // 2^53
    ["-9007199254740991", -9007199254740991],
    ["1.7976931348623157e308", 1.7976931348623157e308], // the largest float
    ["5e-324", 5e-324], // the smallest
  ])("%s is kept, as %d", (literal, read) => {
    const { attributes } = ingest(literal)();
    expect(Object.is(attributes.n, read)).toBe(true);
  });

  it.each<[string, string]>([
    ["12345678901234567890", "has more digits than a 64-bit float holds (it would be read as 12345678901234567000); send it as a string"],
    ["-12345678901234567890", "has more digits than a 64-bit float holds (it would be read as -12345678901234567000); send it as a string"],
    ["9007199254740993", "has more digits than a 64-bit float holds (it would be read as 9007199254740992); send it as a string"], // 2^53 + 1
    ["0.3000000000000000444", "has more digits than a 64-bit float holds (it would be read as 0.30000000000000004); send it as a string"],
    ["2.5e-324", "has more digits than a 64-bit float holds (it would be read as 5e-324); send it as a string"],
    ["1e400", "is beyond the range of a 64-bit float (±1.8e308)"],
    ["1e+400", "is beyond the range of a 64-bit float (±1.8e308)"],
    ["-1e400", "is beyond the range of a 64-bit float (±1.8e308)"],
    ["2e308", "is beyond the range of a 64-bit float (±1.8e308)"],
    ["1e-400", "is too small for a 64-bit float (it would be read as 0)"],
    ["1e-324", "is too small for a 64-bit float (it would be read as 0)"],
  ])("%s is refused: INVALID_EVENT naming payload.n", (literal, why) => {
    expect(thrown(ingest(literal))).toEqual({ code: "INVALID_EVENT", field: "payload.n", message: `payload.n: the number ${literal} ${why}` });
  });

  it.each<[string, string, string]>([
    ["the value", '{"metric":"m","value":12345678901234567890}', "payload.value"],
    ["a nested attribute", '{"metric":"m","value":1,"order":{"id":12345678901234567890}}', "payload.order.id"],
    ["an array element", '{"metric":"m","value":1,"ids":[1,2,12345678901234567890]}', "payload.ids.2"],
    ["the first of two", '{"metric":"m","value":1,"a":1e400,"b":12345678901234567890}', "payload.a"],
    ["before the metric is even checked", '{"value":1,"a":1e400}', "payload.a"],
  ])("a refused number in %s is named by its path", (_name, payload, field) => {
    const parsed = parseJsonBody(payload);
    expect(thrown(() => normalizeEvent("s", parsed))).toMatchObject({ code: "INVALID_EVENT", field });
  });

  it.each<[string, string, Record<string, JsonValue>]>([
    ["digits inside a string", '{"metric":"m","value":1,"id":"12345678901234567890"}', { id: "12345678901234567890" }],
    ["digits after an escaped quote", '{"metric":"m","value":1,"s":"a\\"1e400"}', { s: 'a"1e400' }],
    ["a key made of digits", '{"metric":"m","value":1,"12345678901234567890":true}', { "12345678901234567890": true }],
  ])("%s are text, not numbers: kept", (_name, payload, attributes) => {
    expect(normalizeEvent("s", parseJsonBody(payload))).toEqual(event({ attributes }));
  });

  it("scanJson reports each unsafe literal with its offsets, skipping strings", () => {
    expect(scanJson('{"a":"12345678901234567890","b":12345678901234567890,"c":"x\\"1e400","d":[1e400]}')).toEqual({
      tooDeepAt: -1,
      unsafe: [
        { start: 32, end: 52, literal: "12345678901234567890" },
        { start: 73, end: 78, literal: "1e400" },
      ],
    });
  });

  it.each<[string, string, string]>([
    ["an empty body", "", "The request body is empty; send a JSON object"],
    ["a body of whitespace", " \n\t", "The request body is empty; send a JSON object"],
    ["a body nested too deep", "[".repeat(MAX_BODY_DEPTH + 1) + "]".repeat(MAX_BODY_DEPTH + 1), `The request body is nested deeper than ${MAX_BODY_DEPTH} levels (at byte ${MAX_BODY_DEPTH})`],
  ])("refuses %s: INVALID_JSON naming the body", (_name, text, message) => {
    expect(thrown(() => parseJsonBody(text))).toEqual({ code: "INVALID_JSON", field: "body", message });
  });

  it("refuses JSON that does not parse, and NaN, which is not JSON (the parser's own words follow)", () => {
    for (const text of ["{", '{"metric":"m","value":NaN}', '{"a":12345678901234567890,}']) {
      const error = thrown(() => parseJsonBody(text, "Line 3"));
      expect(error).toMatchObject({ code: "INVALID_JSON", field: "body" });
      expect(error.message).toMatch(/^Line 3 is not valid JSON \(.+\)$/);
    }
  });

  it("takes the deepest nesting allowed", () => {
    expect(parseJsonBody("[".repeat(MAX_BODY_DEPTH) + "]".repeat(MAX_BODY_DEPTH))).toBeInstanceOf(Array);
  });
});
