// The meters' rollup check and rebuild (src/server/meters/check-meters.ts): a backfilled meter's
// rows equal a recomputation from processed events; a row changed behind the write path's back is
// found, named, and repaired by recounting the meter, on PGlite and on PostgreSQL.
import { describe, expect, it } from "vitest";
import { runBackfill } from "../src/server/meters/backfill";
import { checkMeters } from "../src/server/meters/check-meters";
import { createMeter, rebuildMeter } from "../src/server/meters/meters";
import { createCaller } from "../src/server/api/root";
import { useTestDatabase } from "./support/use-test-database";
import { backends, testContext } from "./support/test-db";

describe.each(backends)("the meters' check and rebuild on %s", (kind) => {
  const t = useTestDatabase(kind);

  it("finds a changed row and a lost distinct value, and a rebuild recounts the meter", async () => {
    const api = createCaller(testContext(t.db));
    const source = `check-${kind}`;
    for (const [i, user] of ["u1", "u2", "u1"].entries()) {
      await api.ingest({ source, payload: { metric: `visits_${kind}`, value: i + 1, subject: "c1", user, timestamp: `2026-12-01T10:0${i}:00Z` } });
    }
    const sum = await createMeter(t.db, { slug: `visits_sum_${kind}`, aggregation: "SUM", eventType: `visits_${kind}`, valueProperty: "$.value" });
    const users = await createMeter(t.db, { slug: `visits_users_${kind}`, aggregation: "UNIQUE_COUNT", eventType: `visits_${kind}`, valueProperty: "$.user" });
    await runBackfill(t.db);
    expect(await checkMeters(t.db)).toEqual([]);

    await t.db.prisma.$executeRaw`UPDATE meter_rollup SET sum = sum + 1 WHERE series = ${sum.series} AND tier = 'hour'`;
    await t.db.prisma.$executeRaw`DELETE FROM meter_distinct WHERE series = ${users.series} AND tier = 'day' AND value = 'u2'`;
    expect(await checkMeters(t.db)).toEqual([
      { meter: `visits_sum_${kind}`, tier: "hour", bucket: "2026-12-01T10:00:00.000Z", subject: "c1", groupKey: "{}", stored: "count=3 skipped=0 sum=7 min=1 max=3 distinct=0", recomputed: "count=3 skipped=0 sum=6 min=1 max=3 distinct=0" },
      { meter: `visits_users_${kind}`, tier: "day", bucket: "2026-12-01T00:00:00.000Z", subject: "c1", groupKey: "{}", stored: "count=3 skipped=0 distinct=1", recomputed: "count=3 skipped=0 distinct=2" },
    ]);

    await rebuildMeter(t.db, sum.slug);
    await rebuildMeter(t.db, users.slug);
    await runBackfill(t.db);
    expect(await checkMeters(t.db)).toEqual([]);
    // The retired series' rows are gone.
    expect(await t.db.prisma.meterRollup.count({ where: { series: { in: [sum.series, users.series] } } })).toBe(0);
  });
});
