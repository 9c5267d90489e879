// Exactly-once under concurrency: identical requests racing each other, in one instance
// and across instances (separate connection pools on one PostgreSQL database).
import { describe, expect, it } from "vitest";
import { createCaller } from "../src/server/api/root";
import { useTestDatabase } from "./support/use-test-database";
import { backends, postgresUrl, testContext } from "./support/test-db";

describe.each(backends)("concurrent identical requests on %s", (kind) => {
  const t = useTestDatabase(kind);

  it.each([
    ["an Idempotency-Key", { idempotencyKey: "burst-1" }],
    ["a payload eventId", { eventIdInPayload: true }],
    ["content only", {}],
  ])("20 identical requests at once with %s: all 200, exactly one counted", async (_label, variant) => {
    const api = createCaller(testContext(t.db));
    const source = `burst-${kind}-${Math.random().toString(36).slice(2)}`;
    const payload = { metric: "clicks", value: 7, ...("eventIdInPayload" in variant ? { eventId: "evt-1" } : {}) };
    const key = "idempotencyKey" in variant ? variant.idempotencyKey : undefined;
    const results = await Promise.all(Array.from({ length: 20 }, () => api.ingest({ source, payload, idempotencyKey: key })));
    expect(results.every((r) => r.success)).toBe(true);
    expect(results.filter((r) => !r.deduplicated)).toHaveLength(1);
    expect(await api.aggregates({ source })).toEqual([expect.objectContaining({ count: 1, sum: 7 })]);
    expect(await t.db.prisma.rawEventState.count({ where: { source, status: "deduplicated" } })).toBe(19);
    expect(await t.db.prisma.rawEventState.count({ where: { source, status: "counted" } })).toBe(1);
  });

  it("many distinct events racing on one rollup row keep the rollup exact", async () => {
    const api = createCaller(testContext(t.db));
    const source = `rollup-${kind}`;
    const values = Array.from({ length: 40 }, (_, i) => (i % 7) - 3 + i / 8);
    await Promise.all(values.map((value, i) => api.ingest({ source, payload: { metric: "m", value, eventId: `e${i}` } })));
    const [agg] = await api.aggregates({ source });
    expect(agg).toMatchObject({ count: 40, min: Math.min(...values), max: Math.max(...values) });
    expect(agg?.sum).toBeCloseTo(values.reduce((a, b) => a + b, 0), 9);
  });
});

describe.skipIf(!postgresUrl)("several instances on one PostgreSQL database", () => {
  const t = useTestDatabase("postgresql", { instances: 3, poolSize: 8 });
  const instances = t.instances;

  it("the same event sent to three instances at once is counted once", async () => {
    const callers = instances.map((db) => createCaller(testContext(db)));
    for (let round = 0; round < 10; round++) {
      const source = `multi-${round}`;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => callers[i % callers.length]!.ingest({ source, payload: { metric: "m", value: round }, idempotencyKey: "k" })),
      );
      expect(results.filter((r) => !r.deduplicated)).toHaveLength(1);
      expect(await callers[0]!.aggregates({ source })).toEqual([expect.objectContaining({ count: 1, sum: round })]);
    }
  });
});
