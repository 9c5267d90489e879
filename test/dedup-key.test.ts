// The dedup key rules, asserted row by row from the README's own table, so the
// documentation cannot drift from the code.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ingestInputSchema } from "../src/lib/ingest-schema";
import { computeDedupKey } from "../src/server/ingest/dedup-key";
import { normalizeEvent } from "../src/server/ingest/normalize";
import { readEvent } from "../src/server/ingest/read-event";

interface Row {
  a: string;
  b: string;
  expected: "yes" | "no" | "422";
  rule: string;
}

function readmeRows(): Row[] {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const start = readme.indexOf("<!-- dedup-examples:start -->");
  const end = readme.indexOf("<!-- dedup-examples:end -->");
  expect(start, "README has the dedup examples table").toBeGreaterThan(0);
  return readme
    .slice(start, end)
    .split("\n")
    .filter((l) => l.startsWith("| `"))
    .map((line) => {
      const cells = line.split(" | ").map((c) => c.replace(/^\| ?/, "").replace(/ ?\|$/, "").trim());
      const [a, b, expected, rule] = cells;
      return { a: (a ?? "").slice(1, -1), b: (b ?? "").slice(1, -1), expected: expected as Row["expected"], rule: rule ?? "" };
    });
}

function identityOf(json: string) {
  const input = ingestInputSchema.parse(JSON.parse(json));
  const event = normalizeEvent(input.source ?? "", input.payload);
  return computeDedupKey(event, input.idempotencyKey ?? null);
}

const rows = readmeRows();

describe("dedup key rules (README table)", () => {
  it("the README table has rows for every rule", () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
    expect(new Set(rows.map((r) => r.expected))).toEqual(new Set(["yes", "no", "422"]));
  });

  it.each(rows.map((r) => [r.rule, r] as const))("%s", (_rule, row) => {
    const a = identityOf(row.a);
    const b = identityOf(row.b);
    if (row.expected === "yes") {
      expect(b.dedupKey).toBe(a.dedupKey);
      expect(b.contentHash).toBe(a.contentHash);
    } else if (row.expected === "no") {
      expect(b.dedupKey).not.toBe(a.dedupKey);
    } else {
      // Same key, different content: the service answers 422 IDEMPOTENCY_KEY_REUSED.
      expect(b.dedupKey).toBe(a.dedupKey);
      expect(b.contentHash).not.toBe(a.contentHash);
    }
  });

  it("is a 64-hex SHA-256 and stable across calls", () => {
    const a = identityOf(rows[0]?.a ?? "{}");
    expect(a.dedupKey).toMatch(/^[0-9a-f]{64}$/);
    expect(identityOf(rows[0]?.a ?? "{}")).toEqual(a);
  });
});

describe("a CloudEvent's identity: its id within its CloudEvents source", () => {
  const read = (ceSource: string, id: string, data: Record<string, unknown> = {}) => {
    const event = readEvent("cloudevents", "om", { specversion: "1.0", id, source: ceSource, type: "prompt", subject: "c", data }, { valueProperties: [] });
    if (event.kind !== "event") throw new Error("expected an event");
    return computeDedupKey(event.event, null, "cloudevents");
  };

  it("the same id from two CloudEvents sources is two events; the same (source, id) is one, whatever its content", () => {
    const a = read("app-a", "evt-1", { tokens: 1 });
    expect(read("app-b", "evt-1", { tokens: 1 }).dedupKey).not.toBe(a.dedupKey);
    const again = read("app-a", "evt-1", { tokens: 2 });
    expect(again.dedupKey).toBe(a.dedupKey);
    expect(again.contentHash).not.toBe(a.contentHash);
    expect([a.keyAlone, a.identifiedBy, a.explicitKey]).toEqual([true, "key", "evt-1"]);
  });
});
