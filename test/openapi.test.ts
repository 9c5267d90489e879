// The OpenAPI document as served over real HTTP: a valid OpenAPI 3.1 document (checked by a
// validator built on the specification's own schemas), documenting exactly the routes the
// server answers, and true to the wire: real requests (as the REST clients and the Segment
// and PostHog SDKs send them) and the server's real answers, errors included, validate
// against the schemas it documents. The document does not depend on the database, so one
// backend (PGlite) is enough here.
import { Validator } from "@seriousme/openapi-schema-validator";
import { Analytics } from "@segment/analytics-node";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { PostHog } from "posthog-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../src/server/api/root";
import { createApiKey } from "../src/server/auth/api-keys";
import { errorTable, type AppErrorCode } from "../src/server/errors";
import { apiRoutes, TRPC_PREFIX } from "../src/server/http/server";
import { statusOf } from "../src/server/openapi/error-responses";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

// ajv-formats is CommonJS with its function as the default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

interface Operation {
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<
    string,
    { headers?: Record<string, { $ref?: string; required?: boolean }>; content?: Record<string, { schema: unknown }> }
  >;
  "x-api-key-in-body"?: string[];
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string; in?: string }> };
}

const ADMIN_TOKEN = "openapi-test-operator-token-0123456789abcdef";
const operator = { authorization: `Bearer ${ADMIN_TOKEN}` };
const json = { "content-type": "application/json" };

describe("OpenAPI document", () => {
  let t: TestDatabase;
  let app: HttpApp;
  let doc: Document;
  let ajv: Ajv2020;
  let writeKey: string;
  let n = 0;
  const uniqueSource = (label: string) => `openapi-${label}-${Date.now().toString(36)}-${++n}`;

  /** Every documented operation as `METHOD /path`. */
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => ({ key: `${method.toUpperCase()} ${path}`, path, op: item[method]! })),
    );
  const operation = (method: string, path: string): Operation => {
    const op = doc.paths[path]?.[method.toLowerCase()];
    if (!op) throw new Error(`${method} ${path} is not documented`);
    return op;
  };
  const pointer = (...parts: string[]) => `openapi.json#/${parts.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;
  const requestSchema = (method: string, path: string): ValidateFunction =>
    ajv.compile({ $ref: pointer("paths", path, method.toLowerCase(), "requestBody", "content", "application/json", "schema") });
  const answerSchema = (method: string, path: string, status: number): ValidateFunction =>
    ajv.compile({
      $ref: pointer("paths", path, method.toLowerCase(), "responses", String(status), "content", "application/json", "schema"),
    });
  /** Asserts a real answer has the documented status and validates against its documented schema; returns its body. */
  const expectDocumented = async (method: string, path: string, res: Response, status: number): Promise<unknown> => {
    const body: unknown = await res.json();
    expect({ status: res.status, body }).toEqual({ status, body: expect.anything() });
    const validate = answerSchema(method, path, status);
    expect(validate(body), `${method} ${path} ${status}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(body)}`).toBe(true);
    expect(res.headers.get("x-request-id")).toMatch(/./);
    return body;
  };
  const expectValidRequest = (method: string, path: string, body: unknown) => {
    const validate = requestSchema(method, path);
    expect(validate(body), `${method} ${path} request: ${JSON.stringify(validate.errors)}`).toBe(true);
  };

  beforeAll(async () => {
    t = await createTestDatabase("pglite");
    app = await startHttpApp(testContext(t.db, { AUTH_REQUIRED: "true", ADMIN_TOKEN }));
    const res = await fetch(`${app.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    doc = (await res.json()) as Document;
    ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
    ajv.addSchema(doc, "openapi.json");
    writeKey = (await createApiKey(t.db, { scope: "write", source: uniqueSource("sdk") })).key;
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it("is a valid OpenAPI 3.1 document, by the specification's own schemas", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(doc.openapi).toBe("3.1.0");

    // The validator has teeth: a response without its description is refused.
    const broken = structuredClone(doc);
    delete (broken.paths["/ingest"]!.post!.responses["200"] as { description?: string }).description;
    expect((await new Validator().validate(broken as unknown as Record<string, unknown>)).valid).toBe(false);
  });

  it("documents every route the server answers, with each of its methods, and no other", () => {
    const answered = apiRoutes.flatMap((r) => r.methods.map((m) => `${m} ${r.path}`)).sort();
    const documented = operations()
      .filter((o) => !o.path.startsWith(TRPC_PREFIX))
      .map((o) => o.key)
      .sort();
    expect(documented).toEqual(answered);
    expect(answered).toEqual(expect.arrayContaining(["POST /ingest", "POST /v1/batch", "POST /batch", "POST /e", "GET /api/health"]));
  });

  it("documents the public tRPC procedures under their own paths, with the method their kind takes", () => {
    const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: "query" | "mutation" | "subscription" } }>;
    const documented = operations()
      .filter((o) => o.path.startsWith(TRPC_PREFIX))
      .map((o) => {
        const type = procedures[o.path.slice(TRPC_PREFIX.length)]?._def.type;
        return `${o.key} ${type}`;
      });
    expect(documented.sort()).toEqual([
      "GET /api/trpc/aggregates query",
      "GET /api/trpc/aggregatesPage query",
      "GET /api/trpc/aggregatesSummary query",
      "POST /api/trpc/ingest mutation",
      "POST /api/trpc/ingestBatch mutation",
    ]);
  });

  it("says who may call each operation, how to send the credential, and documents the refusals", () => {
    expect(doc.components.securitySchemes).toMatchObject({
      bearer: { type: "http", scheme: "bearer" },
      basic: { type: "http", scheme: "basic" },
      consoleSession: { type: "apiKey", in: "cookie" },
    });
    for (const { key, op } of operations()) {
      expect(op.security, key).toBeDefined();
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.headers?.["X-Request-Id"], `${key} ${status}: X-Request-Id`).toEqual({ $ref: "#/components/headers/X-Request-Id" });
        if (status === "503") expect(response.headers?.["Retry-After"], `${key} 503: Retry-After`).toBeDefined();
        if (status === "401") expect(response.headers?.["WWW-Authenticate"], `${key} 401: WWW-Authenticate`).toBeDefined();
      }
      // An operation that takes credentials documents both refusals.
      if ((op.security ?? []).length > 0) expect(Object.keys(op.responses), key).toEqual(expect.arrayContaining(["401", "403"]));
    }
    // The SDKs send their write key as the Basic user name, or in the body.
    expect(operation("POST", "/v1/batch").security).toEqual([{ basic: ["write-key"] }, { bearer: ["write-key"] }, {}]);
    expect(operation("POST", "/v1/batch")["x-api-key-in-body"]).toEqual(["writeKey"]);
    expect(operation("POST", "/capture")["x-api-key-in-body"]).toEqual(["api_key", "token"]);
    expect(operation("GET", "/aggregates").security).toContainEqual({ bearer: ["read-key", "operator"] });
    expect(operation("GET", "/api/health").security).toEqual([]);
  });

  it("answers every error code with its status from the error table, on REST and on tRPC alike", () => {
    for (const code of Object.keys(errorTable) as AppErrorCode[])
      expect({ code, trpc: statusOf(code, "trpc") }).toEqual({ code, trpc: errorTable[code].status });
    for (const { key, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const problem = response.content?.["application/problem+json"]?.schema as { properties?: Record<string, unknown> } | undefined;
        const schema = response.content?.["application/json"]?.schema as
          { properties?: Record<string, { properties?: Record<string, unknown> }> } | undefined;
        // OpenMeter's routes answer problems, their code a member of the problem itself.
        const error = problem?.properties ?? schema?.properties?.error?.properties;
        const appError =
          (error?.data as { properties?: { appError?: { properties?: Record<string, unknown> } } } | undefined)?.properties?.appError
            ?.properties ?? error;
        if (key === "GET /api/ready") continue; // its 503 is the readiness body, not an error
        const codes = (appError?.code as { enum?: AppErrorCode[] } | undefined)?.enum ?? [];
        expect(codes.length, `${key} ${status}`).toBeGreaterThan(0);
        for (const code of codes) expect(`${key} ${status} ${code}`).toBe(`${key} ${errorTable[code].status} ${code}`);
      }
    }
  });

  it("POST /ingest and /ingest/batch: real requests match the request schemas, real answers the documented ones", async () => {
    const source = uniqueSource("rest");
    const event = { source, payload: { metric: "orders", value: 3, timestamp: "2026-11-24T10:00:00Z", currency: "EUR" } };
    expectValidRequest("POST", "/ingest", event);
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${app.url}${path}`, { method: "POST", headers: { ...json, ...operator, ...headers }, body: JSON.stringify(body) });
    expect(await expectDocumented("POST", "/ingest", await post("/ingest", event, { "Idempotency-Key": `${source}-1` }), 200)).toEqual({
      success: true,
      deduplicated: false,
      identifiedBy: "key",
    });

    // The request schema has teeth: an event without its value is not what /ingest counts…
    const uncountable = { source, payload: { metric: "orders" } };
    expect(requestSchema("POST", "/ingest")(uncountable)).toBe(false);
    // …and the server's refusals are the documented errors.
    expect(await expectDocumented("POST", "/ingest", await post("/ingest", uncountable), 422)).toMatchObject({
      error: { code: "INVALID_EVENT" },
    });
    const unlabelled = await fetch(`${app.url}/ingest`, { method: "POST", headers: operator, body: JSON.stringify(event) });
    expect(await expectDocumented("POST", "/ingest", unlabelled, 415)).toMatchObject({ error: { code: "UNSUPPORTED_MEDIA_TYPE" } });
    const anonymous = await fetch(`${app.url}/ingest`, { method: "POST", headers: json, body: JSON.stringify(event) });
    expect(await expectDocumented("POST", "/ingest", anonymous, 401)).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    expect(await expectDocumented("POST", "/ingest", await post("/ingest", ["not an object"]), 400)).toMatchObject({
      error: { code: "INVALID_ENVELOPE" },
    });

    // The same event unkeyed is another event than the keyed one sent above.
    const batch = { events: [event, { source, payload: { metric: "orders", value: 4 }, idempotencyKey: `${source}-2` }] };
    expectValidRequest("POST", "/ingest/batch", batch);
    expectValidRequest("POST", "/ingest/batch", batch.events);
    expect(await expectDocumented("POST", "/ingest/batch", await post("/ingest/batch", batch), 200)).toMatchObject({
      counted: 2,
      deduplicated: 0,
      rejected: 0,
    });

    const aggregates = await fetch(`${app.url}/aggregates?source=${source}`, { headers: operator });
    expect(await expectDocumented("GET", "/aggregates", aggregates, 200)).toEqual([
      expect.objectContaining({ source, metric: "orders", count: 3, sum: 10 }),
    ]);
  });

  it("GET /aggregates with a window, a series and a page: the answer, its Link header and a refused window are as documented", async () => {
    const source = uniqueSource("window");
    const events = ["10:15", "10:45", "12:00"].map((t, i) => ({ source, payload: { metric: `m${i % 2}`, value: i + 1, timestamp: `2026-11-24T${t}:00Z` } }));
    await fetch(`${app.url}/ingest/batch`, { method: "POST", headers: { ...json, ...operator }, body: JSON.stringify({ events }) });
    const page = await fetch(`${app.url}/aggregates?source=${source}&from=2026-11-24T10:00:00Z&to=2026-11-24T13:00:00Z&bucket=hour&sort=-count&limit=1`, { headers: operator });
    expect(await expectDocumented("GET", "/aggregates", page, 200)).toEqual([
      expect.objectContaining({ source, metric: "m0", count: 2, sum: 4, series: [expect.objectContaining({ count: 1 }), expect.objectContaining({ count: 0, avg: null }), expect.objectContaining({ count: 1 })] }),
    ]);
    expect(operation("GET", "/aggregates").responses["200"]?.headers?.Link).toBeDefined();
    expect(page.headers.get("link")).toMatch(/^<\/aggregates\?.*cursor=[\w-]+>; rel="next"$/);
    const halfHour = await fetch(`${app.url}/aggregates?from=2026-11-24T10:30:00Z`, { headers: operator });
    expect(await expectDocumented("GET", "/aggregates", halfHour, 400)).toMatchObject({ error: { code: "INVALID_QUERY", field: "from" } });
  });

  it("GET /events and /events/{id}: real answers, their Link header and refusals are as documented", async () => {
    const source = uniqueSource("events");
    const event = { source, payload: { metric: "orders", value: 2.5, timestamp: "2026-11-24T10:00:00Z", currency: "EUR" } };
    for (let i = 0; i < 2; i++) {
      await fetch(`${app.url}/ingest`, { method: "POST", headers: { ...json, ...operator, "Idempotency-Key": `${source}-k` }, body: JSON.stringify(event) });
    }
    const first = await fetch(`${app.url}/events?source=${source}&limit=1`, { headers: operator });
    const page = (await expectDocumented("GET", "/events", first, 200)) as { items: { id: string; status: string }[]; nextCursor: string };
    expect(page.items.map((i) => i.status)).toEqual(["deduplicated"]);
    expect(operation("GET", "/events").responses["200"]?.headers?.Link).toBeDefined();
    expect(first.headers.get("link")).toBe(`</events?source=${source}&limit=1&cursor=${page.nextCursor}>; rel="next"`);
    const one = await fetch(`${app.url}/events/${page.items[0]!.id}`, { headers: operator });
    expect(await expectDocumented("GET", "/events/{id}", one, 200)).toMatchObject({ status: "deduplicated", repeats: { identifiedBy: "key" } });
    const missing = await fetch(`${app.url}/events/00000000-0000-4000-8000-000000000000`, { headers: operator });
    expect(await expectDocumented("GET", "/events/{id}", missing, 404)).toMatchObject({ error: { code: "NOT_FOUND", field: "id" } });
    const malformed = await fetch(`${app.url}/events/nope`, { headers: operator });
    expect(await expectDocumented("GET", "/events/{id}", malformed, 400)).toMatchObject({ error: { code: "INVALID_QUERY", field: "id" } });
    const bad = await fetch(`${app.url}/events?identity=maybe`, { headers: operator });
    expect(await expectDocumented("GET", "/events", bad, 400)).toMatchObject({ error: { code: "INVALID_QUERY", field: "identity" } });
    // The examples are answers the schemas accept.
    for (const [path, status] of [["/events", "200"], ["/events/{id}", "200"]] as const) {
      const content = (doc.paths[path]!.get!.responses[status]!.content!["application/json"] as unknown as { examples: Record<string, { value: unknown }> }).examples;
      expect(Object.keys(content).length, path).toBeGreaterThan(0);
      for (const [name, example] of Object.entries(content)) {
        const validate = answerSchema("GET", path, 200);
        expect(validate(example.value), `${path} example ${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
      }
    }
  });

  it("tRPC: results and errors come in the documented envelopes", async () => {
    const source = uniqueSource("trpc");
    const input = { source, payload: { metric: "clicks", value: 1 }, idempotencyKey: `${source}-k` };
    expectValidRequest("POST", "/api/trpc/ingest", input);
    const call = (body: unknown) =>
      fetch(`${app.url}/api/trpc/ingest`, { method: "POST", headers: { ...json, ...operator }, body: JSON.stringify(body) });
    expect(await expectDocumented("POST", "/api/trpc/ingest", await call(input), 200)).toEqual({
      result: { data: { success: true, deduplicated: false, identifiedBy: "key" } },
    });
    const refused = await expectDocumented("POST", "/api/trpc/ingest", await call({ source, payload: { metric: "clicks" } }), 422);
    expect(refused).toMatchObject({ error: { data: { code: "UNPROCESSABLE_CONTENT", appError: { code: "INVALID_EVENT" } } } });
    const query = await fetch(`${app.url}/api/trpc/aggregates?input=${encodeURIComponent(JSON.stringify({ source }))}`, {
      headers: operator,
    });
    expect(await expectDocumented("GET", "/api/trpc/aggregates", query, 200)).toMatchObject({
      result: { data: [{ source, metric: "clicks", count: 1 }] },
    });
    const get = (procedure: string, input: unknown) =>
      fetch(`${app.url}/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: operator });
    expect(await expectDocumented("GET", "/api/trpc/aggregatesPage", await get("aggregatesPage", { source, sort: "-count" }), 200)).toMatchObject({
      result: { data: { items: [{ source, metric: "clicks", count: 1 }], nextCursor: null } },
    });
    expect(await expectDocumented("GET", "/api/trpc/aggregatesSummary", await get("aggregatesSummary", { q: source }), 200)).toEqual({
      result: { data: { groups: 1, sources: 1, count: 1, lastSeenAt: expect.any(String) } },
    });
    expect(await expectDocumented("GET", "/api/trpc/aggregatesPage", await get("aggregatesPage", { bucket: "day" }), 400)).toMatchObject({
      error: { data: { appError: { code: "INVALID_ENVELOPE", field: "from" } } },
    });
  });

  it("the Segment SDK's own request to /v1/batch matches the request schema, and the answer the documented one", async () => {
    const sent: { body: unknown; status: number; answer: unknown }[] = [];
    // analytics-node's own HTTP client, recording what it sends and what the server answers.
    const analytics = new Analytics({
      writeKey,
      host: app.url,
      maxEventsInBatch: 2,
      flushInterval: 60_000,
      httpClient: async (url, init) => {
        const res = await fetch(url, init);
        sent.push({ body: JSON.parse(init.body), status: res.status, answer: await res.clone().json() });
        return res;
      },
    });
    analytics.track({ userId: "u-1", event: "Order Completed", properties: { revenue: 42, currency: "EUR" } });
    analytics.identify({ userId: "u-1", traits: { plan: "pro" } });
    await analytics.closeAndFlush();

    expect(sent).toHaveLength(1);
    const [request] = sent;
    expectValidRequest("POST", "/v1/batch", request!.body);
    expect(request!.status).toBe(200);
    const validate = answerSchema("POST", "/v1/batch", 200);
    expect(validate(request!.answer), JSON.stringify(validate.errors)).toBe(true);
    expect(request!.answer).toEqual({
      success: true, counted: 1, deduplicated: 0, notCounted: 1, rejected: 0, failed: 0, rejections: [],
      results: [{ index: 0, status: "counted", identifiedBy: "key" }, { index: 1, status: "not_counted" }],
    });

    // Without a key (the SDK sends it in the body too) the refusal is the documented 401.
    const { writeKey: _key, ...keyless } = request!.body as Record<string, unknown>;
    const anonymous = await fetch(`${app.url}/v1/batch`, { method: "POST", headers: json, body: JSON.stringify(keyless) });
    expect(await expectDocumented("POST", "/v1/batch", anonymous, 401)).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
  });

  it("the PostHog SDK's own request to /batch matches the request schema, and the answer the documented one", async () => {
    const sent: { path: string; body: unknown; status: number; answer: unknown }[] = [];
    const posthog = new PostHog(writeKey, {
      host: app.url,
      flushAt: 10,
      flushInterval: 0,
      disableCompression: true,
      fetch: async (url, init) => {
        const res = await fetch(url, init as RequestInit);
        sent.push({
          path: new URL(url).pathname,
          body: JSON.parse(String(init.body)),
          status: res.status,
          answer: await res.clone().json(),
        });
        return res;
      },
    });
    posthog.capture({ distinctId: "d-1", event: "signed_up", properties: { value: 5 } });
    await posthog.shutdown();

    expect(sent.map((s) => s.path)).toEqual(["/batch/"]);
    const [request] = sent;
    expectValidRequest("POST", "/batch", request!.body);
    const validate = answerSchema("POST", "/batch", 200);
    expect(validate(request!.answer), JSON.stringify(validate.errors)).toBe(true);
    expect(request!.answer).toEqual({ success: true, counted: 1, deduplicated: 0, notCounted: 0, rejected: 0, failed: 0, rejections: [], results: [{ index: 0, status: "counted", identifiedBy: "key" }] });
  });

  it("health, readiness and the session answer what the document says", async () => {
    expect(await expectDocumented("GET", "/api/health", await fetch(`${app.url}/api/health`), 200)).toEqual({ status: "ok" });
    expect(await expectDocumented("GET", "/api/ready", await fetch(`${app.url}/api/ready`), 200)).toMatchObject({
      status: "ready",
      database: "pglite",
    });
    expect(await expectDocumented("GET", "/api/session", await fetch(`${app.url}/api/session`), 200)).toEqual({
      authRequired: true,
      signedIn: false,
    });
    expectValidRequest("POST", "/api/session", { token: ADMIN_TOKEN });
    const wrong = await fetch(`${app.url}/api/session`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ token: "not-the-token" }),
    });
    expect(await expectDocumented("POST", "/api/session", wrong, 401)).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
  });
});
