// The one-statement fast path (src/server/ingest/capture-and-process.ts) where it cannot decide
// alone: an event whose dedup key another transaction is inserting at that very moment. Its
// statement waits on ON CONFLICT, the other transaction commits (or rolls back), and the event
// must still end exactly once: deduplicated against the row the other committed, or counted.
// PostgreSQL only: PGlite has one connection, so no other transaction can hold the key.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createCaller } from "../src/server/api/root";
import { computeDedupKey } from "../src/server/ingest/dedup-key";
import { normalizeEvent } from "../src/server/ingest/normalize";
import { useTestDatabase } from "./support/use-test-database";
import { postgresUrl, testContext } from "./support/test-db";

if (!postgresUrl) console.warn("[db] SKIPPING test/one-statement-group.test.ts: it needs PostgreSQL (TEST_DATABASE_URL)");

describe.skipIf(!postgresUrl)("a key another transaction is inserting meanwhile (PostgreSQL)", () => {
  const t = useTestDatabase("postgresql");
  const at = "2026-12-07T10:00:00.000Z";

  /** Opens a transaction holding a processed event (and its rollup rows) for this event's key, uncommitted. */
  async function holdKey(source: string, payload: Record<string, unknown>) {
    const { dedupKey, contentHash } = computeDedupKey(normalizeEvent(source, payload), null);
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    await holder.query("BEGIN");
    const { rows } = await holder.query<{ id: string }>(
      `INSERT INTO processed_event (dedup_key, content_hash, source, metric, value, occurred_at, attributes)
       VALUES ($1, $2, $3, 'm', 2, $4, '{}') RETURNING id::text`,
      [dedupKey, contentHash, source, at],
    );
    for (const [table, column] of [["metric_aggregate_hour", "hour"], ["metric_aggregate_day", "day"]] as const) {
      await holder.query(
        `INSERT INTO ${table} (source, metric, ${column}, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
         VALUES ($1, 'm', date_trunc('${column}', $2::timestamptz, 'UTC'), 1, 2, 2, 2, $2, $2, now())`,
        [source, at],
      );
    }
    await holder.query(
      `INSERT INTO metric_aggregate (source, metric, count, sum, min, max, first_seen_at, last_seen_at, updated_at) VALUES ($1, 'm', 1, 2, 2, 2, $2, $2, now())`,
      [source, at],
    );
    return { holder, processedEventId: rows[0]!.id };
  }

  /** Resolves once some backend of this database waits on a lock (the ingest's statement, on the held key). */
  async function someoneWaitsOnALock() {
    for (;;) {
      const waiting = await t.db.prisma.$queryRaw<{ n: bigint }[]>`
        SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
      if (Number(waiting[0]!.n) > 0) return;
      await new Promise((r) => setImmediate(r));
    }
  }

  it("the other commits: the event is deduplicated against the row it committed, counted once", async () => {
    const source = `inflight-commit-${Date.now()}`;
    const payload = { metric: "m", value: 2, timestamp: at, eventId: "in-flight-1" };
    const { holder, processedEventId } = await holdKey(source, payload);
    try {
      const api = createCaller(testContext(t.db));
      const answer = api.ingest({ source, payload });
      await someoneWaitsOnALock();
      await holder.query("COMMIT");
      expect(await answer).toEqual({ success: true, deduplicated: true, identifiedBy: "key" });
      expect(await t.db.prisma.rawEventState.findMany({ where: { source }, select: { status: true, processedEventId: true } })).toEqual([
        { status: "deduplicated", processedEventId: BigInt(processedEventId) },
      ]);
      expect(await api.aggregates({ source })).toEqual([expect.objectContaining({ count: 1, sum: 2 })]);
    } finally {
      await holder.end();
    }
  });

  it("the other rolls back: the event is counted by its own statement", async () => {
    const source = `inflight-rollback-${Date.now()}`;
    const payload = { metric: "m", value: 2, timestamp: at, eventId: "in-flight-2" };
    const { holder } = await holdKey(source, payload);
    try {
      const api = createCaller(testContext(t.db));
      const answer = api.ingest({ source, payload });
      await someoneWaitsOnALock();
      await holder.query("ROLLBACK");
      expect(await answer).toEqual({ success: true, deduplicated: false, identifiedBy: "key" });
      expect(await t.db.prisma.rawEventState.findMany({ where: { source }, select: { status: true } })).toEqual([{ status: "counted" }]);
      expect(await api.aggregates({ source })).toEqual([expect.objectContaining({ count: 1, sum: 2 })]);
    } finally {
      await holder.end();
    }
  });
});
