// Property-based fuzz of the HTTP surface (REST and tRPC): random bodies (JSON of any shape,
// envelopes with random payloads and number literals a float cannot hold, broken text),
// random headers (keys in any script, raw bytes, simulation asked for while it is off),
// methods and paths. Whatever arrives, the service answers a client error or success with
// the one error shape, never a 5xx (there is no database fault here), and afterwards every
// event it acknowledged is counted exactly once: a re-send is deduplicated and the stored
// aggregates equal their recomputation.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../src/server/auth/api-keys";
import { checkInvariants } from "./support/invariants";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { backends, createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

const numberLiteral = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String),
  fc.constantFrom("1e400", "-1e400", "1e-400", "9007199254740993", "0.1000000000000000055511151231257827", "1e19", "1E+2", "-0", "0.0"),
);
const name = fc.oneof(fc.constantFrom("orders", "clicks", "café", "cafe\u0301", " padded "), fc.string({ maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 6 }));
const jsonText = (v: unknown) => JSON.stringify(v);

/** A payload as JSON text: the fields that matter, random attributes, any number spelling. */
const payloadText = fc
  .record({
    metric: fc.oneof(name.map(jsonText), fc.constantFrom("null", "3", "{}", "[]")),
    value: fc.oneof(numberLiteral, fc.constantFrom('"3"', "null", "true", "[1]")),
    timestamp: fc.option(fc.oneof(fc.constantFrom('"2026-01-01T10:00:00Z"', '"yesterday"', "1767261600000", "1767261600", "-5", "1.5"), numberLiteral), { nil: undefined }),
    eventId: fc.option(fc.oneof(name.map(jsonText), fc.constantFrom('""', "7")), { nil: undefined }),
    attrs: fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.oneof(fc.jsonValue({ maxDepth: 2 }).map(jsonText), numberLiteral)), { maxLength: 3 }),
  })
  .map(({ metric, value, timestamp, eventId, attrs }) => {
    const fields = [`"metric":${metric}`, `"value":${value}`];
    if (timestamp !== undefined) fields.push(`"timestamp":${timestamp}`);
    if (eventId !== undefined) fields.push(`"eventId":${eventId}`);
    for (const [k, v] of attrs) fields.push(`${jsonText(k)}:${v}`);
    return `{${fields.join(",")}}`;
  });

const envelopeText = () =>
  fc.record({ payload: fc.oneof({ weight: 5, arbitrary: payloadText }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map(jsonText) }), key: fc.option(name, { nil: undefined }) });

/** Header bytes HTTP allows (no control characters: clients refuse to send them). */
const sendable = (s: string) => [...s].filter((c) => c === "\t" || (c >= " " && c !== "\u007f")).join("");
const headerValue = fc
  .oneof(
    fc.string({ unit: "grapheme-ascii", maxLength: 20 }),
    // UTF-8 bytes of any text, as a client would put them on the wire
    fc.string({ unit: "grapheme", maxLength: 8 }).map((s) => Buffer.from(s, "utf8").toString("latin1")),
    // bytes that are not UTF-8
    fc.uint8Array({ minLength: 1, maxLength: 6 }).map((b) => Buffer.from(b).toString("latin1")),
  )
  .map(sendable);

function requests(source: string, credentials: Record<string, string>[]): fc.Arbitrary<FuzzRequest> {
  const env = envelopeText();
  const ingest = fc.tuple(env, fc.option(headerValue, { nil: undefined }), fc.option(fc.constantFrom("after-commit", "before-capture", "bogus"), { nil: undefined })).map(
    ([e, key, simulate]): FuzzRequest => ({
      method: "POST",
      path: "/ingest",
      headers: { ...(key !== undefined ? { "idempotency-key": key } : {}), ...(simulate ? { "x-simulate-failure": simulate } : {}) },
      body: `{"source":${jsonText(source)},"payload":${e.payload}}`,
    }),
  );
  const batch = fc.array(env, { minLength: 0, maxLength: 6 }).map(
    (events): FuzzRequest => ({
      method: "POST",
      path: "/ingest/batch",
      headers: {},
      body: `{"events":[${events.map((e) => `{"source":${jsonText(source)},"payload":${e.payload}${e.key !== undefined ? `,"idempotencyKey":${jsonText(e.key)}` : ""}}`).join(",")}]}`,
    }),
  );
  const trpc = fc.tuple(env, fc.constantFrom("ingest", "ingestBatch", "ingest,ingest", "aggregates", "nope")).map(
    ([e, proc]): FuzzRequest => {
      const one = `{"source":${jsonText(source)},"payload":${e.payload}${e.key !== undefined ? `,"idempotencyKey":${jsonText(e.key)}` : ""}}`;
      const input = proc === "ingestBatch" ? `{"events":[${one},${one}]}` : one;
      const batched = proc.includes(",");
      return { method: "POST", path: `/api/trpc/${proc}${batched ? "?batch=1" : ""}`, headers: {}, body: batched ? `{"0":${input},"1":${input}}` : input };
    },
  );
  // Analytics SDK protocols: messages of any call type with random fields and number spellings.
  const message = fc
    .record({
      type: fc.constantFrom('"track"', '"identify"', '"page"', '"bogus"', "3"),
      event: fc.option(fc.oneof(name.map(jsonText), fc.constantFrom('""', "null", "7")), { nil: undefined }),
      value: fc.option(fc.oneof(numberLiteral, fc.constantFrom('"3"', "null")), { nil: undefined }),
      messageId: fc.option(fc.oneof(name.map(jsonText), fc.constantFrom('""', "7")), { nil: undefined }),
      timestamp: fc.option(fc.constantFrom('"2026-01-01T10:00:00Z"', '"yesterday"', "1767261600000"), { nil: undefined }),
    })
    .map(({ type, event, value, messageId, timestamp }) => {
      const fields = [`"type":${type}`, `"distinct_id":"u"`];
      if (event !== undefined) fields.push(`"event":${event}`);
      if (value !== undefined) fields.push(`"properties":{"value":${value}}`);
      if (messageId !== undefined) fields.push(`"messageId":${messageId}`, `"uuid":${messageId}`);
      if (timestamp !== undefined) fields.push(`"timestamp":${timestamp}`);
      return `{${fields.join(",")}}`;
    });
  const sdk = fc.tuple(fc.array(fc.oneof({ weight: 5, arbitrary: message }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map(jsonText) }), { maxLength: 5 }), fc.constantFrom("/v1/batch", "/batch/", "/v1/track", "/capture")).map(
    ([messages, path]): FuzzRequest => {
      const single = path === "/v1/track" || path === "/capture";
      const keys = `"writeKey":${jsonText(source)},"api_key":${jsonText(source)}`;
      const body = single ? (messages[0] ?? "{}").replace(/^\{/, `{${keys},`).replace(/,\}$/, "}") : `{${keys},"batch":[${messages.join(",")}]}`;
      return { method: "POST", path, headers: {}, body };
    },
  );
  const anything = fc
    .record({
      method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
      path: fc.oneof(fc.constantFrom("/ingest", "/ingest/batch", "/aggregates", "/api/trpc/ingest", "/api/trpc/events.list", "/api/ready", "/v1/batch", "/e/"), fc.webPath()),
      body: fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 3 }).map(jsonText), fc.constant("")),
      headers: fc.dictionary(fc.constantFrom("idempotency-key", "x-simulate-failure", "content-type"), headerValue, { maxKeys: 2 }),
    })
    .map((r): FuzzRequest => ({ ...r, body: r.method === "GET" ? undefined : r.body }));
  const request = fc.oneof({ weight: 4, arbitrary: ingest }, { weight: 2, arbitrary: batch }, { weight: 2, arbitrary: trpc }, { weight: 2, arbitrary: sdk }, { weight: 2, arbitrary: anything });
  if (credentials.length === 0) return request;
  return fc.tuple(request, fc.constantFrom(...credentials)).map(([r, auth]) => ({ ...r, headers: { ...auth, ...r.headers } }));
}

/** Events an ingest answer says it counted (REST or tRPC, batched or not); null for other routes. */
function countedBy(r: FuzzRequest, body: unknown): number | null {
  const path = r.path.split("?")[0]!.replace(/(.)\/+$/, "$1");
  if (r.method !== "POST") return null;
  if (["/v1/batch", "/v1/track", "/batch", "/capture"].includes(path)) return (body as { counted: number }).counted;
  const one = (data: { deduplicated?: boolean; counted?: number } | undefined) => (data?.counted ?? 0) + (data?.deduplicated === false ? 1 : 0);
  if (path === "/ingest" || path === "/ingest/batch") return one(body as { counted?: number });
  if (!/^\/api\/trpc\/(ingest|ingestBatch)(,(ingest|ingestBatch))*$/.test(path)) return null;
  const results = (Array.isArray(body) ? body : [body]) as { result?: { data?: { deduplicated?: boolean; counted?: number } } }[];
  return results.reduce((sum, x) => sum + one(x.result?.data), 0);
}

const ADMIN = "fuzz-operator-token-0123456789abcdefghij";
const variants = backends.flatMap((kind) => [
  { kind, auth: false },
  { kind, auth: true },
]);

describe.each(variants)("the HTTP surface under random input on $kind, access control $auth", ({ kind, auth }) => {
  let t: TestDatabase;
  let app: HttpApp;
  const source = `fuzz-${kind}`;
  /** With access control on, each request carries one of these: right, wrong, foreign, garbage, none. */
  const credentials: Record<string, string>[] = [];

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    // Simulation off: any 5xx would be a bug, not a requested failure.
    const env = { SIMULATION_ENABLED: "false", RECOVERY_DELAY_MS: "60000", MAX_BATCH_EVENTS: "8" };
    app = await startHttpApp(testContext(t.db, auth ? { ...env, AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN } : env));
    if (auth) {
      const own = (await createApiKey(t.db, { scope: "write", source })).key;
      const foreign = (await createApiKey(t.db, { scope: "write", source: "someone-else" })).key;
      const reader = (await createApiKey(t.db, { scope: "read" })).key;
      credentials.push(
        { authorization: `Bearer ${own}` },
        { authorization: `Basic ${Buffer.from(`${own}:`).toString("base64")}` },
        { authorization: `Bearer ${foreign}` },
        { authorization: `Bearer ${reader}` },
        { authorization: `Bearer ${ADMIN}` },
        { authorization: "Bearer wk_garbage" },
        { authorization: "Basic !!!" },
        {},
      );
    }
  });
  afterAll(async () => {
    await app.close();
    await t.drop();
  });

  it("answers every request without a 5xx, in the one error shape, and counts each acknowledged event once", async () => {
    const acknowledged: FuzzRequest[] = [];
    let counted = 0;
    await fc.assert(
      fc.asyncProperty(requests(source, credentials), async (r) => {
        const res = await fetch(`${app.url}${r.path}`, { method: r.method, headers: { "content-type": "application/json", ...r.headers }, body: r.body });
        const text = await res.text();
        expect(res.status, `${r.method} ${r.path} ${r.body ?? ""} → ${text}`).toBeLessThan(500);
        if (res.headers.get("content-type")?.startsWith("text/html")) return;
        const body = JSON.parse(text) as unknown;
        if (res.status >= 400 && !r.path.startsWith("/api/trpc/")) {
          expect((body as { error: unknown }).error).toMatchObject({ code: expect.any(String), message: expect.any(String), retryable: res.status === 429 });
        }
        const n = countedBy(r, body);
        if (n !== null && res.status === 200) {
          acknowledged.push(r);
          counted += n;
        }
      }),
      { numRuns: 250, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000) },
    );

    // Exactly once: every acknowledged request sent again counts nothing new, and the
    // database holds exactly the events the answers said were counted.
    expect(acknowledged.length).toBeGreaterThan(auth ? 3 : 10);
    for (const r of acknowledged) {
      const res = await fetch(`${app.url}${r.path}`, { method: r.method, headers: { "content-type": "application/json", ...r.headers }, body: r.body });
      expect(countedBy(r, await res.json())).toBe(0);
    }
    expect(await t.db.prisma.processedEvent.count()).toBe(counted);
    expect(await checkInvariants(t.db)).toEqual([]);
  });
});
