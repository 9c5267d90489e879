// The rollup check and rebuild (src/server/aggregates): a corrupted rollup row, all-time, daily
// or hourly, is reported with its exact values and rewritten from the processed events; a rebuild
// while events keep arriving loses no increment and counts none twice. Both databases.
import { describe, expect, it } from "vitest";
import { createCaller } from "../src/server/api/root";
import { checkRollups, describeRollupDifference } from "../src/server/aggregates/check-rollups";
import { rebuildRollups } from "../src/server/aggregates/rebuild-rollups";
import type { Database } from "../src/server/db/database";
import { backends, openTestDatabase, testContext } from "./support/test-db";
import { useTestDatabase } from "./support/use-test-database";

const ingest = (db: Database) => createCaller(testContext(db)).ingestBatch;

describe.each(backends)("rollup check and rebuild on %s", (kind) => {
  // On PostgreSQL the events arrive through a second pool: another instance, other connections.
  const t = useTestDatabase(kind, { instances: kind === "postgresql" ? 1 : 0 });
  const writer = () => t.instances[0] ?? t.db;

  it("reports a changed, a missing and an orphan rollup row with exact values, and the rebuild rewrites them", async () => {
    await ingest(t.db)({
      events: [
        { source: "shop", payload: { metric: "orders", value: 0.1, eventId: "o-1", timestamp: "2026-11-24T10:00:00Z" } },
        { source: "shop", payload: { metric: "orders", value: 0.2, eventId: "o-2", timestamp: "2026-11-24T11:00:00.250Z" } },
        { source: "shop", payload: { metric: "clicks", value: 1, eventId: "c-1", timestamp: "2026-11-24T12:00:00Z" } },
        { source: "pos", payload: { metric: "refunds", value: -2.5, eventId: "r-1", timestamp: "2026-11-24T09:00:00Z" } },
      ],
    });
    expect(await checkRollups(t.db)).toEqual({ groups: 3, days: 3, hours: 4, differences: [], meters: [] });

    await t.db.execScript(`
      UPDATE metric_aggregate SET count = count + 1, sum = sum + 0.000000000000000000000000000001 WHERE source = 'shop' AND metric = 'orders';
      UPDATE metric_aggregate SET min = -3, last_seen_at = '2026-11-25T00:00:00Z' WHERE source = 'pos';
      DELETE FROM metric_aggregate WHERE source = 'shop' AND metric = 'clicks';
      INSERT INTO metric_aggregate (source, metric, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
        VALUES ('ghost', 'visits', 2, 10, 5, 5, '2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z', now());`);
    const refunds = { count: "1", sum: "-2.5", min: "-2.5", max: "-2.5", firstSeenAt: "2026-11-24T09:00:00.000Z", lastSeenAt: "2026-11-24T09:00:00.000Z" };
    const clicks = { count: "1", sum: "1", min: "1", max: "1", firstSeenAt: "2026-11-24T12:00:00.000Z", lastSeenAt: "2026-11-24T12:00:00.000Z" };
    const orders = { count: "2", sum: "0.3", min: "0.1", max: "0.2", firstSeenAt: "2026-11-24T10:00:00.000Z", lastSeenAt: "2026-11-24T11:00:00.250Z" };
    const expected = [
      {
        source: "ghost",
        metric: "visits",
        day: null,
        hour: null,
        fields: ["count", "sum", "min", "max", "firstSeenAt", "lastSeenAt"],
        stored: { count: "2", sum: "10", min: "5", max: "5", firstSeenAt: "2026-11-20T00:00:00.000Z", lastSeenAt: "2026-11-21T00:00:00.000Z" },
        recomputed: null,
      },
      { source: "pos", metric: "refunds", day: null, hour: null, fields: ["min", "lastSeenAt"], stored: { ...refunds, min: "-3", lastSeenAt: "2026-11-25T00:00:00.000Z" }, recomputed: refunds },
      { source: "shop", metric: "clicks", day: null, hour: null, fields: ["count", "sum", "min", "max", "firstSeenAt", "lastSeenAt"], stored: null, recomputed: clicks },
      { source: "shop", metric: "orders", day: null, hour: null, fields: ["count", "sum"], stored: { ...orders, count: "3", sum: "0.300000000000000000000000000001" }, recomputed: orders },
    ];
    expect(await checkRollups(t.db)).toEqual({ groups: 4, days: 3, hours: 4, differences: expected, meters: [] });

    expect(await rebuildRollups(t.db)).toEqual({ groups: 4, days: 3, hours: 4, repaired: expected, remaining: [], metersRebuilt: [], metersRemaining: [] });
    expect(await checkRollups(t.db)).toEqual({ groups: 3, days: 3, hours: 4, differences: [], meters: [] });
    expect(await createCaller(testContext(t.db)).aggregates({ source: "shop" })).toEqual([
      { source: "shop", metric: "clicks", count: 1, sum: 1, avg: 1, min: 1, max: 1, firstSeenAt: clicks.firstSeenAt, lastSeenAt: clicks.lastSeenAt },
      { source: "shop", metric: "orders", count: 2, sum: 0.3, avg: 0.15, min: 0.1, max: 0.2, firstSeenAt: orders.firstSeenAt, lastSeenAt: orders.lastSeenAt },
    ]);
  });

  it("reports changed, missing and orphan hourly rows (hours of the events' own time, UTC), and the rebuild rewrites them", async () => {
    await ingest(t.db)({
      events: [
        { source: "cafe", payload: { metric: "sales", value: 2.5, eventId: "s-1", timestamp: "2026-11-24T10:00:00Z" } },
        // 10:59:59.999 in UTC, written in another zone: the same hour.
        { source: "cafe", payload: { metric: "sales", value: 1.5, eventId: "s-2", timestamp: "2026-11-24T16:29:59.999+05:30" } },
        { source: "cafe", payload: { metric: "sales", value: 4, eventId: "s-3", timestamp: "2026-11-24T11:00:00Z" } },
        { source: "cafe", payload: { metric: "tips", value: 1, eventId: "t-1", timestamp: "2026-11-24T12:30:00Z" } },
      ],
    });
    const hourly = await t.db.prisma.$queryRaw<{ metric: string; hour: Date; count: bigint; sum: string }[]>`
      SELECT metric, hour, count, trim_scale(sum)::text AS sum FROM metric_aggregate_hour WHERE source = 'cafe' ORDER BY metric, hour`;
    expect(hourly.map((h) => [h.metric, h.hour.toISOString(), Number(h.count), h.sum])).toEqual([
      ["sales", "2026-11-24T10:00:00.000Z", 2, "4"],
      ["sales", "2026-11-24T11:00:00.000Z", 1, "4"],
      ["tips", "2026-11-24T12:00:00.000Z", 1, "1"],
    ]);
    const before = await checkRollups(t.db);
    expect(before.differences).toEqual([]);

    await t.db.execScript(`
      UPDATE metric_aggregate_hour SET count = 3, max = 9 WHERE source = 'cafe' AND metric = 'sales' AND hour = '2026-11-24T10:00:00Z';
      DELETE FROM metric_aggregate_hour WHERE source = 'cafe' AND metric = 'tips';
      INSERT INTO metric_aggregate_hour (source, metric, hour, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
        VALUES ('cafe', 'sales', '2026-11-24T13:00:00Z', 1, 7, 7, 7, '2026-11-24T13:05:00Z', '2026-11-24T13:05:00Z', now());`);
    const sales10 = { count: "2", sum: "4", min: "1.5", max: "2.5", firstSeenAt: "2026-11-24T10:00:00.000Z", lastSeenAt: "2026-11-24T10:59:59.999Z" };
    const tips12 = { count: "1", sum: "1", min: "1", max: "1", firstSeenAt: "2026-11-24T12:30:00.000Z", lastSeenAt: "2026-11-24T12:30:00.000Z" };
    const orphan = { count: "1", sum: "7", min: "7", max: "7", firstSeenAt: "2026-11-24T13:05:00.000Z", lastSeenAt: "2026-11-24T13:05:00.000Z" };
    const expected = [
      { source: "cafe", metric: "sales", day: null, hour: "2026-11-24T10:00:00.000Z", fields: ["count", "max"], stored: { ...sales10, count: "3", max: "9" }, recomputed: sales10 },
      { source: "cafe", metric: "sales", day: null, hour: "2026-11-24T13:00:00.000Z", fields: ["count", "sum", "min", "max", "firstSeenAt", "lastSeenAt"], stored: orphan, recomputed: null },
      { source: "cafe", metric: "tips", day: null, hour: "2026-11-24T12:00:00.000Z", fields: ["count", "sum", "min", "max", "firstSeenAt", "lastSeenAt"], stored: null, recomputed: tips12 },
    ];
    const check = await checkRollups(t.db);
    expect(check).toEqual({ groups: before.groups, days: before.days, hours: before.hours + 1, differences: expected, meters: [] });
    expect(check.differences.map(describeRollupDifference)).toEqual([
      "cafe/sales, hour 2026-11-24T10:00:00.000Z: count stored 3, recomputed 2; max stored 9, recomputed 2.5",
      "cafe/sales, hour 2026-11-24T13:00:00.000Z: rollup row without any processed event (stored count=1 sum=7 min=7 max=7 firstSeenAt=2026-11-24T13:05:00.000Z lastSeenAt=2026-11-24T13:05:00.000Z)",
      "cafe/tips, hour 2026-11-24T12:00:00.000Z: rollup row missing; recomputed count=1 sum=1 min=1 max=1 firstSeenAt=2026-11-24T12:30:00.000Z lastSeenAt=2026-11-24T12:30:00.000Z",
    ]);

    expect(await rebuildRollups(t.db, { groupsPerTransaction: 2 })).toEqual({ groups: before.groups, days: before.days, hours: before.hours + 1, repaired: expected, remaining: [], metersRebuilt: [], metersRemaining: [] });
    expect(await checkRollups(t.db)).toEqual(before);
  });

  it("reports changed, missing and orphan daily rows (UTC days of the events' own time), and the rebuild rewrites them whatever the session's time zone", async () => {
    await ingest(t.db)({
      events: [
        { source: "deli", payload: { metric: "sales", value: 3, eventId: "s-1", timestamp: "2026-11-01T12:00:00Z" } },
        // 23:59:59.999 on 1 November in UTC, written in another zone: still 1 November.
        { source: "deli", payload: { metric: "sales", value: 1, eventId: "s-2", timestamp: "2026-11-02T05:29:59.999+05:30" } },
        // 00:30 on 2 November in UTC, written in New York: 2 November.
        { source: "deli", payload: { metric: "sales", value: 4.25, eventId: "s-3", timestamp: "2026-11-01T19:30:00-05:00" } },
        { source: "deli", payload: { metric: "tips", value: 2, eventId: "t-1", timestamp: "2026-11-02T10:00:00Z" } },
      ],
    });
    const daily = await t.db.prisma.$queryRaw<{ metric: string; day: Date; count: bigint; sum: string }[]>`
      SELECT metric, day, count, trim_scale(sum)::text AS sum FROM metric_aggregate_day WHERE source = 'deli' ORDER BY metric, day`;
    expect(daily.map((d) => [d.metric, d.day.toISOString(), Number(d.count), d.sum])).toEqual([
      ["sales", "2026-11-01T00:00:00.000Z", 2, "4"],
      ["sales", "2026-11-02T00:00:00.000Z", 1, "4.25"],
      ["tips", "2026-11-02T00:00:00.000Z", 1, "2"],
    ]);
    const before = await checkRollups(t.db);
    expect(before.differences).toEqual([]);

    await t.db.execScript(`
      UPDATE metric_aggregate_day SET count = 5, last_seen_at = '2026-11-02T00:30:00Z' WHERE source = 'deli' AND metric = 'sales' AND day = '2026-11-01T00:00:00Z';
      DELETE FROM metric_aggregate_day WHERE source = 'deli' AND metric = 'tips';
      INSERT INTO metric_aggregate_day (source, metric, day, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
        VALUES ('deli', 'sales', '2026-11-03T00:00:00Z', 1, 7, 7, 7, '2026-11-03T08:00:00Z', '2026-11-03T08:00:00Z', now());`);
    const sales1 = { count: "2", sum: "4", min: "1", max: "3", firstSeenAt: "2026-11-01T12:00:00.000Z", lastSeenAt: "2026-11-01T23:59:59.999Z" };
    const tips2 = { count: "1", sum: "2", min: "2", max: "2", firstSeenAt: "2026-11-02T10:00:00.000Z", lastSeenAt: "2026-11-02T10:00:00.000Z" };
    const orphan = { count: "1", sum: "7", min: "7", max: "7", firstSeenAt: "2026-11-03T08:00:00.000Z", lastSeenAt: "2026-11-03T08:00:00.000Z" };
    const expected = [
      { source: "deli", metric: "sales", day: "2026-11-01T00:00:00.000Z", hour: null, fields: ["count", "lastSeenAt"], stored: { ...sales1, count: "5", lastSeenAt: "2026-11-02T00:30:00.000Z" }, recomputed: sales1 },
      { source: "deli", metric: "sales", day: "2026-11-03T00:00:00.000Z", hour: null, fields: ["count", "sum", "min", "max", "firstSeenAt", "lastSeenAt"], stored: orphan, recomputed: null },
      { source: "deli", metric: "tips", day: "2026-11-02T00:00:00.000Z", hour: null, fields: ["count", "sum", "min", "max", "firstSeenAt", "lastSeenAt"], stored: null, recomputed: tips2 },
    ];
    const check = await checkRollups(t.db);
    expect(check).toEqual({ groups: before.groups, days: before.days + 1, hours: before.hours, differences: expected, meters: [] });
    expect(check.differences.map(describeRollupDifference)).toEqual([
      "deli/sales, day 2026-11-01T00:00:00.000Z: count stored 5, recomputed 2; lastSeenAt stored 2026-11-02T00:30:00.000Z, recomputed 2026-11-01T23:59:59.999Z",
      "deli/sales, day 2026-11-03T00:00:00.000Z: rollup row without any processed event (stored count=1 sum=7 min=7 max=7 firstSeenAt=2026-11-03T08:00:00.000Z lastSeenAt=2026-11-03T08:00:00.000Z)",
      "deli/tips, day 2026-11-02T00:00:00.000Z: rollup row missing; recomputed count=1 sum=2 min=2 max=2 firstSeenAt=2026-11-02T10:00:00.000Z lastSeenAt=2026-11-02T10:00:00.000Z",
    ]);

    // Rebuilt from a session in New York, where 1 November 2026 has 25 hours (daylight saving
    // ends): a UTC day is still 24 hours, so the 00:30 UTC event stays out of 1 November.
    await t.db.execScript(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(), 'America/New_York'); END $$; SET TIME ZONE 'America/New_York'`);
    const zoned = kind === "postgresql" ? openTestDatabase(t.url) : t.db;
    try {
      expect(await zoned.prisma.$queryRaw<{ tz: string }[]>`SELECT current_setting('TimeZone') AS tz`).toEqual([{ tz: "America/New_York" }]);
      expect(await rebuildRollups(zoned, { groupsPerTransaction: 2 })).toEqual({ groups: before.groups, days: before.days + 1, hours: before.hours, repaired: expected, remaining: [], metersRebuilt: [], metersRemaining: [] });
    } finally {
      if (zoned !== t.db) await zoned.close();
      await t.db.execScript(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET timezone', current_database()); END $$; RESET TIME ZONE`);
    }
    expect(await checkRollups(t.db)).toEqual(before);
  });

  it("a rebuild while events keep arriving on the same rows loses no increment and counts none twice", { timeout: 120_000 }, async () => {
    const source = `busy-${kind}`;
    const metrics = ["a", "b", "c", "d"];
    const writers = 3;
    const batches = 12;
    const perBatch = 40;
    // Values in hundredths, so the expected sums are exact integers of cents.
    const cents = (w: number, b: number, i: number) => ((w * 7919 + b * 104_729 + i * 31) % 2001) - 1000;
    const sendAll = async (w: number) => {
      for (let b = 0; b < batches; b++) {
        const events = Array.from({ length: perBatch }, (_, i) => ({
          source,
          payload: { metric: metrics[i % metrics.length]!, value: cents(w, b, i) / 100, eventId: `w${w}-b${b}-e${i}` },
        }));
        const out = await ingest(writer())({ events });
        expect(out.counted).toBe(perBatch);
        batchCommitted();
      }
    };
    // Resolved (and replaced) each time a writer's batch is acknowledged.
    let batchCommitted = () => {};
    const nextBatch = () => new Promise<void>((resolve) => (batchCommitted = resolve));
    let batchDone = nextBatch();
    let done = false;
    const sending = Promise.all(Array.from({ length: writers }, (_, w) => sendAll(w))).finally(() => (done = true));

    // Meanwhile, after each batch a writer commits: corrupt rows the writers are updating (one
    // changed, one deleted) and rebuild. (Waiting for a batch leaves the writers room on PGlite,
    // whose queries resolve without yielding to the event loop.)
    let rounds = 0;
    let repairedRows = 0;
    while (!done || rounds < 2) {
      await Promise.race([batchDone, sending]);
      batchDone = nextBatch();
      const [changed, deleted] = [metrics[rounds % 4]!, metrics[(rounds + 1) % 4]!];
      await t.db.execScript(`
        UPDATE metric_aggregate SET count = count + 1000, sum = sum + 12.34, max = max + 1 WHERE source = '${source}' AND metric = '${changed}';
        DELETE FROM metric_aggregate WHERE source = '${source}' AND metric = '${deleted}';
        UPDATE metric_aggregate_hour SET count = count + 1000, sum = sum + 12.34, max = max + 1 WHERE source = '${source}' AND metric = '${deleted}';
        DELETE FROM metric_aggregate_hour WHERE source = '${source}' AND metric = '${changed}';
        UPDATE metric_aggregate_day SET count = count + 1000, sum = sum + 12.34, min = min - 1 WHERE source = '${source}' AND metric = '${changed}';
        DELETE FROM metric_aggregate_day WHERE source = '${source}' AND metric = '${deleted}';`);
      const result = await rebuildRollups(t.db, { groupsPerTransaction: 1 });
      expect(result.remaining).toEqual([]);
      repairedRows += result.repaired.length;
      rounds++;
    }
    await sending;
    expect(rounds).toBeGreaterThanOrEqual(2);
    expect(repairedRows).toBeGreaterThanOrEqual(rounds);

    expect(await checkRollups(t.db)).toMatchObject({ differences: [], meters: [] });
    const rows = await t.db.prisma.$queryRaw<{ metric: string; count: bigint; cents: string }[]>`
      SELECT metric, count, (sum * 100)::text AS cents FROM metric_aggregate WHERE source = ${source} ORDER BY metric`;
    const expected = metrics.map((metric, m) => {
      let sum = 0;
      for (let w = 0; w < writers; w++) for (let b = 0; b < batches; b++) for (let i = m; i < perBatch; i += metrics.length) sum += cents(w, b, i);
      return { metric, count: BigInt((writers * batches * perBatch) / metrics.length), cents: sum };
    });
    expect(rows.map((r) => ({ metric: r.metric, count: r.count, cents: Number(r.cents) }))).toEqual(expected);
    for (const table of ["metric_aggregate_hour", "metric_aggregate_day"]) {
      const periods = await t.db.prisma.$queryRawUnsafe<{ metric: string; count: bigint; cents: string }[]>(
        `SELECT metric, sum(count)::bigint AS count, (sum(sum) * 100)::text AS cents FROM ${table} WHERE source = $1 GROUP BY metric ORDER BY metric`,
        source,
      );
      expect(periods.map((r) => ({ metric: r.metric, count: r.count, cents: Number(r.cents) }))).toEqual(expected);
    }
  });
});
