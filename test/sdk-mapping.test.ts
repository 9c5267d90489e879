// How an analytics SDK's message becomes an event, asserted row by row from the README's own
// table ("Send from your existing SDK"), over real HTTP on PGlite and PostgreSQL: each row's
// message is sent to /v1/batch (Segment) or /batch (PostHog) and what was stored is compared
// with the row: the processed event (metric, value, time, attributes), the raw record's
// status, key and format, and the raw payload exactly as sent.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { checkInvariants } from "./support/invariants";
import { backends, createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

interface Row {
  format: "segment" | "posthog";
  message: Record<string, unknown>;
  status: "counted" | "not_counted" | { rejected: string };
  metric: string | null;
  value: number | null;
  timestamp: string | null;
  key: string | null;
  attributes: unknown;
}

const code = (cell: string) => (cell === "—" ? null : cell.replace(/^`|`$/g, ""));

function readmeRows(): Row[] {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const start = readme.indexOf("<!-- sdk-mapping:start -->");
  const end = readme.indexOf("<!-- sdk-mapping:end -->");
  expect(start, "README has the SDK mapping table").toBeGreaterThan(0);
  return readme
    .slice(start, end)
    .split("\n")
    .filter((l) => l.startsWith("| segment |") || l.startsWith("| posthog |"))
    .map((line) => {
      const cells = line.slice(2, -2).split(" | ");
      const [format, message, status, metric, value, timestamp, key, attributes] = cells.map((c) => c.trim());
      const rejected = status?.match(/^rejected: `(.+)`$/)?.[1];
      return {
        format: format as Row["format"],
        message: JSON.parse(code(message!)!) as Record<string, unknown>,
        status: rejected ? { rejected } : (status as "counted" | "not_counted"),
        metric: code(metric!),
        value: value === "—" ? null : Number(value),
        timestamp: code(timestamp!),
        key: code(key!),
        attributes: attributes === "—" ? null : (JSON.parse(code(attributes!)!) as unknown),
      };
    });
}

const rows = readmeRows();

describe("the README's SDK mapping table has a row for every case", () => {
  it("covers both protocols, every Segment call type and every outcome", () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
    expect(new Set(rows.map((r) => r.format))).toEqual(new Set(["segment", "posthog"]));
    const types = new Set(rows.filter((r) => r.format === "segment").map((r) => r.message.type));
    for (const type of ["track", "identify", "page", "screen", "group", "alias"]) expect(types).toContain(type);
    expect(new Set(rows.map((r) => (typeof r.status === "string" ? r.status : "rejected")))).toEqual(new Set(["counted", "not_counted", "rejected"]));
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

  it.each(rows.map((r, i) => [`${r.format} ${i}: ${JSON.stringify(r.message).slice(0, 70)}`, r, i] as const))("%s", async (_name, row, i) => {
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
