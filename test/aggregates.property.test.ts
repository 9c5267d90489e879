// Property: for any sequence of events, re-sends, invalid events, simulated failures at
// every point and recovery passes, once the worker has caught up
//   - every event that reached capture is counted exactly once (acknowledged or not),
//   - events that failed before capture and invalid events are not counted,
//   - each aggregate equals a recomputation from the model and from processed events.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FailurePoint } from "../src/lib/ingest-schema";
import { createCaller } from "../src/server/api/root";
import { recoverStuckEvents } from "../src/server/ingest/recover-stuck-events";
import { checkInvariants } from "./support/invariants";
import { failure } from "./support/trpc-failure";
import { useTestDatabase } from "./support/use-test-database";
import { backends, testContext } from "./support/test-db";

interface PoolEvent {
  id: string;
  metric: string;
  value: number;
  keyed: "header" | "eventId";
}

type Command =
  | { kind: "send"; event: number; fail: FailurePoint | null }
  | { kind: "invalid"; metric: string }
  | { kind: "recover" };

const poolArb = fc
  .array(
    fc.record({
      metric: fc.constantFrom("cpu", "orders", "latency"),
      // Decimal values with few digits: exact in numeric and in the model's arithmetic.
      value: fc.integer({ min: -100_000, max: 100_000 }).map((n) => n / 100),
      keyed: fc.constantFrom("header" as const, "eventId" as const),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((events) => events.map((e, i): PoolEvent => ({ ...e, id: `ev-${i}` })));

const commandsArb = (poolSize: number): fc.Arbitrary<Command[]> =>
  fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant("send" as const), event: fc.nat(poolSize - 1), fail: fc.constantFrom(null, null, "before-capture" as const, "after-capture" as const, "after-commit" as const) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("invalid" as const), metric: fc.constantFrom("cpu", "orders") }) },
      { weight: 1, arbitrary: fc.constant({ kind: "recover" as const }) },
    ),
    { minLength: 1, maxLength: 25 },
  );

let run = 0;

describe.each(backends)("aggregates always agree with processed events on %s", (kind) => {
  const t = useTestDatabase(kind);

  it("holds for random sequences of events, duplicates and failures", async () => {
    await fc.assert(
      fc.asyncProperty(
        poolArb.chain((pool) => fc.tuple(fc.constant(pool), commandsArb(pool.length))),
        async ([pool, commands]) => {
          const source = `prop-${kind}-${run++}`;
          const ctx = testContext(t.db, { RECOVERY_DELAY_MS: "0" });
          const api = createCaller(ctx);
          const captured = new Set<number>();
          const acknowledged = new Map<number, boolean[]>();

          for (const cmd of commands) {
            if (cmd.kind === "recover") {
              await recoverStuckEvents(ctx);
            } else if (cmd.kind === "invalid") {
              expect(await failure(api.ingest({ source, payload: { metric: cmd.metric, value: "not a number" } }))).toMatchObject({ code: "INVALID_EVENT", status: 422, field: "payload.value" });
            } else {
              const e = pool[cmd.event]!;
              const payload = { metric: e.metric, value: e.value, ...(e.keyed === "eventId" ? { eventId: e.id } : {}) };
              const input = { source, payload, idempotencyKey: e.keyed === "header" ? e.id : undefined, simulate: cmd.fail ?? undefined };
              try {
                const res = await api.ingest(input);
                acknowledged.set(cmd.event, [...(acknowledged.get(cmd.event) ?? []), res.deduplicated]);
                captured.add(cmd.event);
              } catch {
                if (cmd.fail !== "before-capture") captured.add(cmd.event);
              }
            }
          }
          // Heal: the worker catches up on everything left `received`.
          for (let i = 0; i < 20 && (await t.db.prisma.rawEventState.count({ where: { source, status: "received" } })) > 0; i++) {
            await recoverStuckEvents(ctx);
          }
          expect(await t.db.prisma.rawEventState.count({ where: { source, status: "received" } })).toBe(0);

          // At most one acknowledgement per event says "counted" (deduplicated: false).
          for (const acks of acknowledged.values()) expect(acks.filter((d) => !d).length).toBeLessThanOrEqual(1);

          const expected = new Map<string, { count: number; sum: number; min: number; max: number }>();
          for (const i of captured) {
            const e = pool[i]!;
            const a = expected.get(e.metric) ?? { count: 0, sum: 0, min: Infinity, max: -Infinity };
            expected.set(e.metric, { count: a.count + 1, sum: a.sum + e.value, min: Math.min(a.min, e.value), max: Math.max(a.max, e.value) });
          }
          const actual = await api.aggregates({ source });
          expect(actual.map((a) => a.metric).sort()).toEqual([...expected.keys()].sort());
          for (const a of actual) {
            const m = expected.get(a.metric)!;
            expect({ count: a.count, min: a.min, max: a.max }).toEqual({ count: m.count, min: m.min, max: m.max });
            expect(a.sum).toBeCloseTo(m.sum, 6);
          }
          expect(await t.db.prisma.processedEvent.count({ where: { source } })).toBe(captured.size);
        },
      ),
      { numRuns: kind === "pglite" ? 25 : 40 },
    );
    expect(await checkInvariants(t.db)).toEqual([]);
  });
});
