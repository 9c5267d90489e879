// Group commit keeps the one-by-one semantics per event while sharing transactions:
// in-group duplicates and key clashes, a poison event isolated from its group, and far
// fewer transactions than events under concurrency.
import { describe, expect, it } from "vitest";
import type { TRPCError } from "@trpc/server";
import { createCaller } from "../src/server/api/root";
import { appErrorOf } from "../src/server/api/trpc";
import { startHttpApp } from "./support/http-app";
import { sample } from "./support/prometheus-text";
import { useTestDatabase } from "./support/use-test-database";
import { backends, postgresUrl, testContext } from "./support/test-db";

describe.each(backends)("group commit on %s", (kind) => {
  const t = useTestDatabase(kind);

  it("answers each event of a concurrent group by itself: counted, deduplicated, 422 for a reused key", async () => {
    const api = createCaller(testContext(t.db));
    const source = `group-${kind}-1`;
    const calls = [
      api.ingest({ source, payload: { metric: "m", value: 1 }, idempotencyKey: "a" }),
      api.ingest({ source, payload: { metric: "m", value: 1 }, idempotencyKey: "a" }),
      api.ingest({ source, payload: { metric: "m", value: 2 }, idempotencyKey: "a" }),
      api.ingest({ source, payload: { metric: "m", value: 3 }, idempotencyKey: "b" }),
      api.ingest({ source, payload: { metric: "n", value: 4 } }),
      api.ingest({ source, payload: { metric: "n" } }),
    ];
    const settled = await Promise.allSettled(calls);
    const ok = settled.filter((s) => s.status === "fulfilled").map((s) => (s as PromiseFulfilledResult<{ deduplicated: boolean }>).value);
    const failed = settled.filter((s) => s.status === "rejected").map((s) => appErrorOf((s as PromiseRejectedResult).reason as TRPCError));
    // "a" is counted once: either value 1 (two requests) or value 2 (one request) wins, the other is a clash.
    expect(failed.map((f) => f.code).sort()).toEqual(["IDEMPOTENCY_KEY_REUSED", "INVALID_EVENT"]);
    expect(ok.filter((r) => !r.deduplicated)).toHaveLength(3);
    const aggs = await api.aggregates({ source });
    expect(aggs.find((a) => a.metric === "m")?.count).toBe(2);
    expect(aggs.find((a) => a.metric === "n")).toMatchObject({ count: 1, sum: 4 });
    expect(await t.db.prisma.rawEventState.count({ where: { source, status: "rejected" } })).toBe(2);
  });

  it("a poison event fails alone; the rest of its group is counted", async () => {
    await t.db.execScript(`
      CREATE OR REPLACE FUNCTION test_group_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.metric = 'poison' THEN RAISE EXCEPTION 'poisoned metric'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER test_group_poison BEFORE INSERT ON processed_event FOR EACH ROW EXECUTE FUNCTION test_group_poison();`);
    try {
      const api = createCaller(testContext(t.db, { RECOVERY_DELAY_MS: "60000" }));
      const source = `group-${kind}-poison`;
      const settled = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => api.ingest({ source, payload: { metric: i === 5 ? "poison" : "fine", value: i }, idempotencyKey: `p${i}` })),
      );
      expect(settled.filter((s) => s.status === "rejected")).toHaveLength(1);
      // The database refused this event itself, for good: stored failed with its code, and
      // answered 500 EVENT_FAILED, not retryable (a retry would fail the same way).
      expect(appErrorOf((settled[5] as PromiseRejectedResult).reason as TRPCError)).toMatchObject({ code: "EVENT_FAILED", status: 500 });
      expect((await api.aggregates({ source }))[0]).toMatchObject({ metric: "fine", count: 11 });
      expect(await t.db.prisma.rawEventState.findMany({ where: { source, status: { notIn: ["counted"] } }, select: { status: true, reasonCode: true } })).toEqual([
        { status: "failed", reasonCode: "EVENT_FAILED" },
      ]);
    } finally {
      await t.db.execScript(`DROP TRIGGER test_group_poison ON processed_event; DROP FUNCTION test_group_poison();`);
    }
  });

  it("GROUP_COMMIT_MAX_EVENTS=1 (group commit off) gives the same answers", async () => {
    const api = createCaller(testContext(t.db, { GROUP_COMMIT_MAX_EVENTS: "1" }));
    const source = `group-${kind}-off`;
    const results = await Promise.all(Array.from({ length: 8 }, () => api.ingest({ source, payload: { metric: "m", value: 1 }, idempotencyKey: "same" })));
    expect(results.filter((r) => !r.deduplicated)).toHaveLength(1);
  });

  it("GROUP_COMMIT_MAX_EVENTS=1 takes the path of one event per group: 12 concurrent events, 12 groups of one in /metrics", async () => {
    const app = await startHttpApp(testContext(t.db));
    // ingest_group_commit_events (this database handle's metrics, as GET /metrics serves them) moved by `burst`.
    const groups = async () => {
      const text = await (await fetch(`${app.url}/metrics`)).text();
      return [sample(text, "ingest_group_commit_events_count") ?? 0, sample(text, "ingest_group_commit_events_sum") ?? 0, sample(text, "ingest_group_commit_events_bucket", { le: "1" }) ?? 0];
    };
    const burst = async (overrides: Record<string, string>, source: string) => {
      const api = createCaller(testContext(t.db, overrides));
      const before = await groups();
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => api.ingest({ source, payload: { metric: "m", value: i } })));
      expect(results.filter((r) => !r.deduplicated)).toHaveLength(12);
      const after = await groups();
      return { groups: after[0]! - before[0]!, events: after[1]! - before[1]!, groupsOfOne: after[2]! - before[2]! };
    };
    try {
      expect(await burst({ GROUP_COMMIT_MAX_EVENTS: "1" }, `group-${kind}-max1`)).toEqual({ groups: 12, events: 12, groupsOfOne: 12 });
      // The same burst, started in one tick, with grouping on: one group of twelve.
      expect(await burst({}, `group-${kind}-max256`)).toEqual({ groups: 1, events: 12, groupsOfOne: 0 });
    } finally {
      await app.close();
    }
  });
});

describe.skipIf(!postgresUrl)("group commit shares transactions (PostgreSQL)", () => {
  const t = useTestDatabase("postgresql");

  it("100 concurrent events commit in far fewer than the 200 transactions one-by-one would take", async () => {
    const api = createCaller(testContext(t.db));
    const commits = async () => {
      const rows = await t.db.prisma.$queryRaw<{ n: bigint }[]>`SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()`;
      return Number(rows[0]?.n);
    };
    // pg_stat counters are flushed lazily; force a fresh snapshot around the burst.
    await t.db.prisma.$executeRaw`SELECT pg_stat_clear_snapshot()`;
    const before = await commits();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => api.ingest({ source: "burst", payload: { metric: "m", value: i }, idempotencyKey: `k${i}` })));
    expect(results.every((r) => !r.deduplicated)).toBe(true);
    await expect.poll(async () => (await t.db.prisma.$executeRaw`SELECT pg_stat_force_next_flush()`, await commits()) - before, { timeout: 5000 }).toBeGreaterThan(0);
    const used = (await commits()) - before;
    expect(used).toBeLessThan(60);
    expect((await api.aggregates({ source: "burst" }))[0]).toMatchObject({ count: 100, sum: 4950 });
  });
});
