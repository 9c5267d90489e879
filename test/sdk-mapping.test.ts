// How an analytics SDK's message becomes an event, from the README's own table ("Send from
// your existing SDK", parsed by test/support/readme-sdk-table.ts). Every row is read without a
// database by the unit test test/read-event.test.ts (readEvent: metric, value, time,
// attributes, key, not counted, rejected with its field). Here, over real HTTP on PGlite and
// PostgreSQL, the table is checked to be complete and one real round trip is made per
// (protocol, outcome): the first counted, not_counted and rejected row of Segment (/v1/batch)
// and of PostHog (/batch), plus every row whose result only storage shows (a `receipt`
// timestamp: the time the server received it). What was stored is compared with the row: the
// processed event (metric, value, time, attributes), the raw record's status, key and format,
// and the raw payload exactly as sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { checkInvariants } from "./support/invariants";
import { outcomeOfRow, readmeSdkRows, type SdkMappingRow } from "./support/readme-sdk-table";
import { backends, createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

const rows = readmeSdkRows();

/** The rows sent over HTTP: the first of each (protocol, outcome), and each row whose time is the receipt's. */
const sent: [SdkMappingRow, number][] = rows
  .map((r, i) => [r, i] as [SdkMappingRow, number])
  .filter(([r, i]) => r.timestamp === "receipt" || rows.findIndex((o) => o.format === r.format && outcomeOfRow(o) === outcomeOfRow(r)) === i);

describe("the README's SDK mapping table has a row for every case", () => {
  it("covers both protocols, every Segment call type and every outcome", () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
    expect(new Set(rows.map((r) => r.format))).toEqual(new Set(["segment", "posthog"]));
    const types = new Set(rows.filter((r) => r.format === "segment").map((r) => r.message.type));
    for (const type of ["track", "identify", "page", "screen", "group", "alias"]) expect(types).toContain(type);
    expect(new Set(rows.map(outcomeOfRow))).toEqual(new Set(["counted", "not_counted", "rejected"]));
  });

  it("is sent over HTTP one row per (protocol, outcome), plus the rows timed on receipt", () => {
    expect(new Set(sent.map(([r]) => `${r.format} ${outcomeOfRow(r)}`))).toEqual(
      new Set(["segment counted", "segment not_counted", "segment rejected", "posthog counted", "posthog not_counted", "posthog rejected"]),
    );
    const receipt = rows.filter((r) => r.timestamp === "receipt");
    expect(receipt.length).toBeGreaterThan(0);
    expect(sent.map(([r]) => r)).toEqual(expect.arrayContaining(receipt));
    expect(sent.length).toBeLessThanOrEqual(6 + receipt.length);
  });
});

describe.each(backends)("SDK mapping (README table) over HTTP on %s", (kind) => {
  let t: TestDatabase;
  let app: HttpApp;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    // Access control off: the key text names the source, one source per row.
    app = await startHttpApp(testContext(t.db, { RECOVERY_DELAY_MS: "60000" }));
  });
  afterAll(async () => {
    await app.close();
    expect(await checkInvariants(t.db)).toEqual([]);
    await t.drop();
  });

  it.each(sent.map(([r, i]) => [`${r.format} ${i} ${outcomeOfRow(r)}: ${JSON.stringify(r.message).slice(0, 70)}`, r, i] as const))("%s", async (_name, row, i) => {
    const source = `map-${kind}-${i}`;
    const [path, body] = row.format === "segment" ? ["/v1/batch", { batch: [row.message] }] : ["/batch", { api_key: source, batch: [row.message] }];
    const sentAt = new Date();
    const res = await fetch(`${app.url}${path}`, {
      method: "POST",
      headers: row.format === "segment" ? { authorization: `Basic ${Buffer.from(`${source}:`).toString("base64")}` } : {},
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { rejections: { field?: string; reason: string }[] };

    const raw = await t.db.prisma.rawEventState.findMany({ where: { source }});
    expect(raw).toHaveLength(1);
    expect(raw[0]!.payload).toEqual(row.message);
    expect(raw[0]!.format).toBe(row.format);
    expect(raw[0]!.idempotencyKey).toBe(row.key);
    const processed = await t.db.prisma.processedEvent.findMany({ where: { source } });

    if (row.status === "counted") {
      expect(answer).toMatchObject({ counted: 1, rejected: 0 });
      expect(raw[0]!.status).toBe("counted");
      expect(processed).toHaveLength(1);
      const p = processed[0]!;
      expect(p.metric).toBe(row.metric);
      expect(Number(p.value)).toBe(row.value);
      expect(p.attributes).toEqual(row.attributes);
      if (row.timestamp === "receipt") {
        expect(p.occurredAt.getTime()).toBeGreaterThanOrEqual(sentAt.getTime() - 1000);
        expect(p.occurredAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      } else {
        expect(p.occurredAt.toISOString()).toBe(row.timestamp);
      }
    } else if (row.status === "not_counted") {
      expect(answer).toMatchObject({ counted: 0, notCounted: 1, rejected: 0 });
      expect(raw[0]!.status).toBe("not_counted");
      expect(processed).toHaveLength(0);
    } else {
      expect(answer).toMatchObject({ counted: 0, rejected: 1 });
      expect(answer.rejections[0]!.field).toBe(`batch[0].${row.status.rejected}`);
      expect(raw[0]!.status).toBe("rejected");
      expect(raw[0]!.reason).toBe(answer.rejections[0]!.reason);
      expect(raw[0]!.reason).toMatch(new RegExp(`^${row.status.rejected.replace(/[.$]/g, "\\$&")} `));
      expect(processed).toHaveLength(0);
    }
  });
});
