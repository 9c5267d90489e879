// Reading a payload by its format (src/server/ingest/read-event.ts), pure: every row of the
// README's SDK mapping table ("Send from your existing SDK") read with the configuration's own
// default rules, then the cases around it (value properties, timestamps, ids, names, numbers a
// float cannot hold) and this service's own `event` format. The HTTP test of the same table
// (test/sdk-mapping.test.ts) sends one row per protocol and outcome through storage.
import { describe, expect, it } from "vitest";
import { posthogUncountedEvents, segmentCallTypes } from "../src/lib/sdk-schema";
import { loadConfig } from "../src/server/config";
import { AppError } from "../src/server/errors";
import { parseJsonBody } from "../src/server/http/json-body";
import { decideRulesOf } from "../src/server/ingest/decide-event";
import { explicitKeyOf, notCountedReason, readEvent, readPayload, type ReadRules } from "../src/server/ingest/read-event";
import { outcomeOfRow, readmeSdkRows } from "./support/readme-sdk-table";

/** The rules a server with the default configuration reads with (SDK_VALUE_PROPERTIES unset). */
const rules: ReadRules = decideRulesOf(loadConfig({}));
const rows = readmeSdkRows();

/** What readEvent threw, as { code, field, message }; fails the test when it did not throw an AppError. */
function thrown(read: () => unknown): { code: string; field: string | undefined; message: string } {
  try {
    read();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    return { code: e.code, field: e.field, message: e.message };
  }
  throw new Error("expected readEvent to throw");
}

function subjectOf(attributes: Record<string, unknown>): string | null {
  const id = attributes.userId ?? attributes.anonymousId ?? attributes.distinctId;
  return id === undefined || id === null || id === "" ? null : String(id);
}

describe("readEvent: every row of the README's SDK mapping table", () => {
  it("the table has rows of both protocols and every outcome", () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
    expect(new Set(rows.map((r) => `${r.format} ${outcomeOfRow(r)}`))).toEqual(
      new Set(["segment counted", "segment not_counted", "segment rejected", "posthog counted", "posthog not_counted", "posthog rejected"]),
    );
  });

  it.each(rows.map((r, i) => [`${r.format} ${i} ${outcomeOfRow(r)}: ${JSON.stringify(r.message).slice(0, 70)}`, r] as const))("%s", (_name, row) => {
    expect(explicitKeyOf(row.format, row.message)).toBe(row.key);
    const read = () => readEvent(row.format, "src", row.message, rules);
    if (row.status === "counted") {
      expect(read()).toEqual({
        kind: "event",
        event: {
          source: "src",
          metric: row.metric,
          value: row.value,
          // `receipt`: the message has no time of its own; the server stamps the time it received it.
          timestamp: row.timestamp === "receipt" ? null : row.timestamp,
          attributes: row.attributes,
          eventId: row.key,
          // Whom the event is about (README "Meters"): Segment's userId, else anonymousId; PostHog's distinct_id.
          subject: subjectOf(row.attributes as Record<string, unknown>),
          data: null,
        },
      });
    } else if (row.status === "not_counted") {
      // The call a message is: Segment's `type`, PostHog's event name.
      const call = row.format === "segment" ? row.message.type : row.message.event;
      expect(read()).toEqual({ kind: "not_counted", call });
    } else {
      const error = thrown(read);
      expect(error).toMatchObject({ code: "INVALID_EVENT", field: row.status.rejected });
      expect(error.message.startsWith(`${row.status.rejected} `)).toBe(true);
    }
  });
});

describe("readEvent: SDK messages beyond the table", () => {
  it.each([
    // The README's rows read with the default rules; other rules name other properties.
    ["value properties named by the rules", { valueProperties: ["amount"] }, { value: 2, amount: 7 }, 7, { value: 2 }],
    ["the first property named wins", { valueProperties: ["value", "amount"] }, { amount: 7, value: 2 }, 2, { amount: 7 }],
    ["the first not a number: the next one", { valueProperties: ["amount", "value"] }, { amount: null, value: 2 }, 2, { amount: null }],
    ["none present: 1", { valueProperties: ["amount"] }, { value: 2 }, 1, { value: 2 }],
    ["a numeric string is not a number", { valueProperties: ["amount"] }, { amount: "7" }, 1, { amount: "7" }],
    ["the largest float under 1e20", { valueProperties: ["value"] }, { value: 9.999999999999998e19 }, 9.999999999999998e19, {}],
    ["negative", { valueProperties: ["value"] }, { value: -2.5 }, -2.5, {}],
  ] as const)("value: %s", (_name, ruleSet, properties, value, rest) => {
    expect(readEvent("segment", "s", { type: "track", event: "x", properties }, ruleSet)).toEqual({
      kind: "event",
      event: { source: "s", metric: "x", value, timestamp: null, attributes: { properties: rest }, eventId: null, subject: null, data: null },
    });
    expect(readEvent("posthog", "s", { event: "x", properties }, ruleSet)).toEqual({
      kind: "event",
      event: { source: "s", metric: "x", value, timestamp: null, attributes: { properties: rest }, eventId: null, subject: null, data: null },
    });
  });

  it.each([
    ["Segment's timestamp wins over originalTimestamp", { type: "track", event: "x", timestamp: "2026-11-24T10:00:00Z", originalTimestamp: "2026-11-25T10:00:00Z" }, "2026-11-24T10:00:00.000Z"],
    ["an offset is read as UTC", { type: "track", event: "x", timestamp: "2026-11-24T11:30:00.25+01:30" }, "2026-11-24T10:00:00.250Z"],
    ["RudderStack's originalTimestamp alone", { type: "track", event: "x", originalTimestamp: "2026-11-25T03:43:08.047Z" }, "2026-11-25T03:43:08.047Z"],
    ["sentAt is not the event's time", { type: "track", event: "x", sentAt: "2026-11-25T03:43:09Z" }, null],
  ] as const)("timestamp: %s", (_name, message, timestamp) => {
    expect(readEvent("segment", "s", message, rules)).toMatchObject({ kind: "event", event: { timestamp } });
  });

  it("names are trimmed and NFC; ids trimmed; user ids kept as sent (numbers too); context and other fields are not attributes", () => {
    expect(
      readEvent("segment", " my-src ", { type: "track", event: " cafe\u0301 ", messageId: " m-1 ", userId: 5, anonymousId: "a", context: { ip: "10.0.0.1" }, integrations: {} }, rules),
    ).toEqual({ kind: "event", event: { source: "my-src", metric: "café", value: 1, timestamp: null, attributes: { properties: {}, userId: 5, anonymousId: "a" }, eventId: "m-1", subject: "5", data: null } });
    expect(readEvent("posthog", "s", { event: "x", distinct_id: 42, properties: { distinct_id: "p-1", $lib: "web" }, uuid: "u-1" }, rules)).toEqual({
      kind: "event",
      event: { source: "s", metric: "x", value: 1, timestamp: null, attributes: { properties: { distinct_id: "p-1", $lib: "web" }, distinctId: 42 }, eventId: "u-1", subject: "42", data: null },
    });
  });

  it.each(segmentCallTypes.filter((t) => t !== "track"))("Segment %s is not counted, whatever its properties say", (type) => {
    expect(readEvent("segment", "s", { type, event: "x", properties: { value: 5 }, messageId: "m" }, rules)).toEqual({ kind: "not_counted", call: type });
  });

  it.each(posthogUncountedEvents)("PostHog %s is not counted", (event) => {
    expect(readEvent("posthog", "s", { event, properties: { value: 5 }, uuid: "u" }, rules)).toEqual({ kind: "not_counted", call: event });
  });

  it("another PostHog $-event is counted under its own name", () => {
    expect(readEvent("posthog", "s", { event: "$autocapture" }, rules)).toMatchObject({ kind: "event", event: { metric: "$autocapture", value: 1 } });
  });

  it.each([
    ["no type", "segment", {}, "type", "type must be one of track, identify, page, screen, group, alias"],
    ["a type that is not a string", "segment", { type: 5 }, "type", "type must be one of track, identify, page, screen, group, alias"],
    ["an event name that is not a string", "segment", { type: "track", event: 5 }, "event", "event must be a string"],
    ["an event name of spaces", "segment", { type: "track", event: "  " }, "event", "event must not be empty"],
    ["an event name over 200 characters", "segment", { type: "track", event: "x".repeat(201) }, "event", "event must be at most 200 characters"],
    ["no event name", "segment", { type: "track" }, "event", "event is required (the event name is the metric)"],
    ["an empty PostHog event name", "posthog", { event: "" }, "event", "event must not be empty"],
    ["a messageId of spaces", "segment", { type: "track", event: "x", messageId: "  " }, "messageId", "messageId must not be empty"],
    ["a messageId that is not a string", "segment", { type: "track", event: "x", messageId: 5 }, "messageId", "messageId must be a string"],
    ["a messageId over 255 characters", "segment", { type: "track", event: "x", messageId: "m".repeat(256) }, "messageId", "messageId must be at most 255 characters"],
    ["a uuid that is not a string", "posthog", { event: "x", uuid: 1 }, "uuid", "uuid must be a string"],
    ["a userId that is an object", "segment", { type: "track", event: "x", userId: {} }, "userId", "userId Invalid input"],
    ["a timestamp in epoch milliseconds", "segment", { type: "track", event: "x", timestamp: 1764000000000 }, "timestamp", "timestamp must be an ISO-8601 date-time string"],
    ["a timestamp without a time zone", "segment", { type: "track", event: "x", timestamp: "2026-11-24T10:00:00" }, "timestamp", "timestamp must be an ISO-8601 date-time with a time zone, between the years 0001 and 9999"],
    ["an originalTimestamp that is no date", "segment", { type: "track", event: "x", originalTimestamp: "nope" }, "originalTimestamp", "originalTimestamp must be an ISO-8601 date-time with a time zone, between the years 0001 and 9999"],
    ["a PostHog timestamp that is no date", "posthog", { event: "x", timestamp: "bad" }, "timestamp", "timestamp must be an ISO-8601 date-time with a time zone, between the years 0001 and 9999"],
    ["properties that are not an object", "posthog", { event: "x", properties: "no" }, "properties", "properties must be a JSON object"],
    ["a value of 1e20 or more in magnitude", "segment", { type: "track", event: "x", properties: { value: -1e20 } }, "properties.value", "properties.value must be smaller than 1e20 in magnitude to be counted as the value"],
    // The message is checked before its call type is: a malformed identify is rejected, not kept.
    ["an identify whose event is not a string", "segment", { type: "identify", event: 5 }, "event", "event must be a string"],
  ] as const)("rejects %s: INVALID_EVENT naming the message's field", (_name, format, message, field, text) => {
    expect(thrown(() => readEvent(format, "s", message, rules))).toEqual({ code: "INVALID_EVENT", field, message: text });
  });

  it.each([
    ["the value property", '{"type":"track","event":"x","properties":{"revenue":12345678901234567890}}', "properties.revenue", "properties.revenue: the number 12345678901234567890 has more digits than a 64-bit float holds (it would be read as 12345678901234567000); send it as a string"],
    ["another property", '{"type":"track","event":"x","properties":{"value":2,"n":1e400}}', "properties.n", "properties.n: the number 1e400 is beyond the range of a 64-bit float (±1.8e308)"],
  ])("rejects a number a float cannot hold in %s (body parsed by parseJsonBody), naming the message's field", (_name, body, field, text) => {
    const message = parseJsonBody(body) as Record<string, unknown>;
    expect(thrown(() => readEvent("segment", "s", message, rules))).toEqual({ code: "INVALID_EVENT", field, message: text });
  });
});

describe("readEvent: this service's own event format", () => {
  it("reads the payload as it is: normalized, eventId the key, the rest attributes", () => {
    expect(readPayload("event", { metric: "m", value: 2, type: "track" }, rules)).toEqual({ kind: "event", payload: { metric: "m", value: 2, type: "track" } });
    expect(readEvent("event", " shop ", { metric: " orders ", value: 2, timestamp: "2026-11-24T11:00:00+01:00", eventId: " e-1 ", properties: { value: 9 } }, rules)).toEqual({
      kind: "event",
      event: { source: "shop", metric: "orders", value: 2, timestamp: "2026-11-24T10:00:00.000Z", attributes: { properties: { value: 9 } }, eventId: "e-1", subject: null, data: null },
    });
  });

  it("never maps an SDK message: a Segment track sent as an event is missing its metric", () => {
    expect(thrown(() => readEvent("event", "s", { type: "track", event: "x" }, rules))).toEqual({ code: "INVALID_EVENT", field: "payload.metric", message: "payload.metric is required" });
  });

  it("names the payload's fields (payload.…), not the message's", () => {
    expect(thrown(() => readEvent("event", "s", { metric: "m" }, rules))).toEqual({ code: "INVALID_EVENT", field: "payload.value", message: "payload.value is required" });
    expect(thrown(() => readEvent("event", "s", parseJsonBody('{"metric":"m","value":1e400}') as Record<string, unknown>, rules))).toEqual({
      code: "INVALID_EVENT",
      field: "payload.value",
      message: "payload.value: the number 1e400 is beyond the range of a 64-bit float (±1.8e308)",
    });
  });
});

describe("explicitKeyOf", () => {
  it.each([
    ["event", { eventId: " e-1 " }, undefined, "e-1"],
    ["event", { eventId: " " }, undefined, null],
    ["event", { eventId: 5 }, undefined, null],
    ["event", {}, undefined, null],
    ["event", { eventId: "e-1" }, "header-key", "header-key"],
    ["event", { eventId: "e-1" }, "", "e-1"],
    ["event", { eventId: "e-1" }, null, "e-1"],
    ["segment", { messageId: "m", uuid: "u", eventId: "e" }, undefined, "m"],
    ["posthog", { messageId: "m", uuid: "u", eventId: "e" }, undefined, "u"],
    ["segment", { eventId: "e" }, undefined, null],
    ["posthog", { uuid: "u" }, "header-key", "header-key"],
  ] as const)("%s %j with header %j → %j", (format, payload, header, key) => {
    expect(explicitKeyOf(format, payload, header)).toBe(key);
  });
});

describe("notCountedReason", () => {
  it("says what the call was and that it was kept", () => {
    expect(notCountedReason("identify")).toBe("identify call: captured, not counted (only track calls and captured events count)");
    expect(notCountedReason("$pageview")).toBe("$pageview call: captured, not counted (only track calls and captured events count)");
  });
});

describe("readEvent: CloudEvents (POST /api/v1/events)", () => {
  const ce = { specversion: "1.0", id: "evt-1", source: "my-app", type: "prompt", subject: "customer-1" };

  it.each([
    [
      "type the metric, value 1, id the key; source, subject, data kept; subject and data for meters",
      { ...ce, time: "2024-01-01T12:00:00+02:00", data: { tokens: 10, model: "gpt-4" } },
      { metric: "prompt", timestamp: "2024-01-01T10:00:00.000Z", attributes: { source: "my-app", subject: "customer-1", data: { tokens: 10, model: "gpt-4" } }, subject: "customer-1", data: { tokens: 10, model: "gpt-4" } },
    ],
    ["no time: the time of receipt; a null data is none", { ...ce, data: null }, { metric: "prompt", timestamp: null, attributes: { source: "my-app", subject: "customer-1" }, subject: "customer-1", data: null }],
    [
      "extension attributes and datacontenttype are kept",
      { ...ce, datacontenttype: "application/json", traceparent: "00-abc", data: {} },
      { metric: "prompt", timestamp: null, attributes: { source: "my-app", subject: "customer-1", datacontenttype: "application/json", traceparent: "00-abc", data: {} }, subject: "customer-1", data: {} },
    ],
  ] as const)("%s", (_name, message, expected) => {
    expect(explicitKeyOf("cloudevents", message)).toBe("evt-1");
    expect(readEvent("cloudevents", "src", message, rules)).toEqual({ kind: "event", event: { source: "src", value: 1, eventId: "evt-1", ...expected } });
  });

  it.each([
    [{ ...ce, specversion: "0.3" }, "specversion", 'specversion must be "1.0"'],
    [{ ...ce, subject: undefined }, "subject", "subject is required"],
    [{ ...ce, type: "" }, "type", "type must not be empty"],
    [{ ...ce, time: "yesterday" }, "time", "time must be an RFC 3339 date-time with a time zone, e.g. 2024-01-01T00:00:00Z"],
    [{ ...ce, data: "text" }, "data", "data must be a JSON object or null"],
    [{ ...ce, Bad: 1 }, "Bad", "Bad is not a CloudEvents attribute: extension attribute names are lowercase letters and digits"],
  ] as const)("refuses %j naming %s", (message, field, text) => {
    expect(thrown(() => readEvent("cloudevents", "s", message as Record<string, unknown>, rules))).toEqual({ code: "INVALID_EVENT", field, message: text });
  });
});
