// Raw rows are immutable after capture: where an event stands lives in its pending or outcome
// row, and the status the console shows is derived (docs/write-path.md, "Data model"). This
// suite forbids UPDATE on raw_event with a trigger, then drives every outcome through the
// real paths (tRPC, REST batch, the Segment route, a failure after capture, the recovery
// worker): every one succeeds, so nothing on them rewrites a raw row. The Events page's
// reads (status counts; the list filtered by each status, paged) agree exactly with the view.
import { beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../src/server/api/root";
import { recoverStuckEvents } from "../src/server/ingest/recover-stuck-events";
import { rawEventStatuses, type RawEventStatus } from "../src/lib/events-schema";
import { startHttpApp } from "./support/http-app";
import { checkInvariants } from "./support/invariants";
import { backends, testContext } from "./support/test-db";
import { useTestDatabase } from "./support/use-test-database";

describe.each(backends)("immutable raw rows and their derived status on %s", (kind) => {
  const t = useTestDatabase(kind);
  const source = `state-${kind}`;
  const expected = new Map<string, RawEventStatus>();

  beforeAll(async () => {
    await t.db.execScript(`
      CREATE FUNCTION raw_event_is_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'raw_event rows are immutable (test trigger)'; END $$;
      CREATE TRIGGER raw_event_immutable BEFORE UPDATE ON raw_event FOR EACH ROW EXECUTE FUNCTION raw_event_is_immutable();`);
  });

  it("every outcome is reached with UPDATE on raw_event forbidden, and each raw event is in exactly one place", async () => {
    const ctx = testContext(t.db, { RECOVERY_DELAY_MS: "0" });
    const api = createCaller(ctx);
    const rawIdsOf = async (key: string) => (await t.db.prisma.rawEvent.findMany({ where: { source, idempotencyKey: key }, orderBy: { receivedAt: "asc" }, select: { id: true } })).map((r) => r.id);

    // counted, then deduplicated by a retry with the same key and body
    await api.ingest({ source, payload: { metric: "m", value: 1 }, idempotencyKey: "a" });
    await api.ingest({ source, payload: { metric: "m", value: 1 }, idempotencyKey: "a" });
    const [a1, a2] = await rawIdsOf("a");
    expected.set(a1!, "counted").set(a2!, "deduplicated");

    // rejected at capture (no value) and rejected in processing (the key reused for another event)
    await expect(api.ingest({ source, payload: { metric: "m" }, idempotencyKey: "b" })).rejects.toThrow(/value/);
    await expect(api.ingest({ source, payload: { metric: "m", value: 2 }, idempotencyKey: "a" })).rejects.toThrow(/already used/);
    const [b] = await rawIdsOf("b");
    const [, , a3] = await rawIdsOf("a");
    expected.set(b!, "rejected").set(a3!, "rejected");

    // received: a failure after capture, then counted by the recovery worker (an outcome row keeps its attempt)
    await expect(api.ingest({ source, payload: { metric: "m", value: 3 }, idempotencyKey: "c", simulate: "after-capture" })).rejects.toThrow(/Simulated/);
    const [c] = await rawIdsOf("c");
    expect(await t.db.prisma.rawEventState.findUniqueOrThrow({ where: { id: c! }, select: { status: true, attempts: true } })).toEqual({ status: "received", attempts: 0 });
    await t.db.prisma.rawEventPending.updateMany({ data: { nextAttemptAt: new Date(0) } });
    expect(await recoverStuckEvents(ctx)).toEqual({ recovered: 1, failed: 0, retrying: 0 });
    expected.set(c!, "counted");
    expect(await t.db.prisma.rawEventOutcome.findUniqueOrThrow({ where: { rawEventId: c! }, select: { status: true, attempts: true } })).toEqual({ status: "counted", attempts: 1 });

    // one left received, to be listed
    await expect(api.ingest({ source, payload: { metric: "m", value: 4 }, idempotencyKey: "d", simulate: "after-capture" })).rejects.toThrow(/Simulated/);
    const [d] = await rawIdsOf("d");
    expected.set(d!, "received");

    // not counted (a Segment identify) and counted (a track), over HTTP, in one batch
    const app = await startHttpApp(ctx);
    try {
      const res = await fetch(`${app.url}/v1/batch`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${source}:`).toString("base64")}` },
        body: JSON.stringify({ batch: [{ type: "identify", userId: "u", messageId: "e" }, { type: "track", event: "m", properties: { value: 5 }, messageId: "f" }] }),
      });
      expect([res.status, await res.json()]).toEqual([
        200,
        { success: true, counted: 1, deduplicated: 0, notCounted: 1, rejected: 0, failed: 0, rejections: [], results: [{ index: 0, status: "not_counted" }, { index: 1, status: "counted", identifiedBy: "key" }] },
      ]);
    } finally {
      await app.close();
    }
    const [e] = await rawIdsOf("e");
    const [f] = await rawIdsOf("f");
    expected.set(e!, "not_counted").set(f!, "counted");

    const states = await t.db.prisma.rawEventState.findMany({ where: { source }, select: { id: true, status: true } });
    expect(new Map(states.map((s) => [s.id, s.status]))).toEqual(expected);
    // Only what a first-try count cannot tell has an outcome row; only the waiting event a pending row.
    expect(await t.db.prisma.rawEventPending.count({ where: { rawEvent: { source } } })).toBe(1);
    expect(await t.db.prisma.rawEventOutcome.count({ where: { rawEvent: { source } } })).toBe(5);
    expect(await api.aggregates({ source })).toEqual([expect.objectContaining({ metric: "m", count: 3, sum: 9 })]);
    expect(await checkInvariants(t.db)).toEqual([]);
    // The trigger is live: a direct UPDATE is refused.
    await expect(t.db.prisma.$executeRaw`UPDATE raw_event SET source = source WHERE id = ${a1!}::uuid`).rejects.toThrow(/immutable/);
  });

  it("status counts and the list filtered by each status, paged two at a time, agree exactly with the view", async () => {
    const api = createCaller(testContext(t.db));
    const want = Object.fromEntries(rawEventStatuses.map((s) => [s, [...expected.values()].filter((v) => v === s).length]));
    expect(await api.events.statusCounts({ source })).toEqual(want);
    expect(want).toEqual({ received: 1, counted: 3, deduplicated: 1, rejected: 2, failed: 0, not_counted: 1 });

    for (const status of [undefined, ...rawEventStatuses]) {
      const viewOrder = await t.db.prisma.rawEventState.findMany({
        where: { source, ...(status ? { status } : {}) },
        orderBy: [{ receivedAt: "desc" }, { id: "desc" }],
        select: { id: true },
      });
      const listed: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const got: Awaited<ReturnType<typeof api.events.list>> = await api.events.list({ source, status, limit: 2, cursor });
        for (const item of got.items) {
          if (status) expect(item.status).toBe(status);
          listed.push(item.id);
        }
        cursor = got.nextCursor;
        if (cursor === null) break;
      }
      expect(listed, `status ${status ?? "all"}`).toEqual(viewOrder.map((r) => r.id));
    }
  });
});
