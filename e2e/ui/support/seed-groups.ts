// A database holding many (source, metric) groups, made fast and consistent: the processed
// events in one generate_series statement, then every rollup (all-time, daily, hourly) written from
// them by the same recomputation the rollup check uses, then the check itself (what `npm run
// aggregates:check` runs), which must find no difference. The bulk events carry no raw event,
// as retention leaves them; the aggregates read only the rollups.
import { Prisma } from "../../../src/generated/prisma/client";
import { checkRollups, recomputedRollupsSql, rollupPeriods, rollupTable } from "../../../src/server/aggregates/check-rollups";
import type { Database } from "../../../src/server/db/database";

export interface BulkGroups {
  sources: number;
  metricsPerSource: number;
  /** When every bulk event occurred (ISO-8601). */
  at: string;
}

/** Source i, metric j of the bulk: `src-007`, `metric-0042`. */
export const bulkSource = (i: number) => `src-${String(i).padStart(3, "0")}`;
export const bulkMetric = (j: number) => `metric-${String(j).padStart(4, "0")}`;

/**
 * One event per group, group g = (bulkSource(g / metricsPerSource), bulkMetric(g % metricsPerSource)),
 * its value the metric's number j (so sums tie across sources, by design: ties are ordered by source).
 */
export async function seedBulkGroups(db: Database, bulk: BulkGroups): Promise<void> {
  const total = bulk.sources * bulk.metricsPerSource;
  const m = bulk.metricsPerSource;
  await db.prisma.$executeRaw`
    INSERT INTO processed_event (dedup_key, content_hash, source, metric, value, occurred_at, attributes)
    SELECT 'bulk-' || g, 'bulk-' || g, 'src-' || lpad((g / ${m}::int)::text, 3, '0'), 'metric-' || lpad((g % ${m}::int)::text, 4, '0'),
           g % ${m}::int, ${bulk.at}::timestamptz, '{}'
    FROM generate_series(0, ${total - 1}::int) AS g`;
  await writeRollupsFromEvents(db);
}

/** Every rollup (all-time, daily, hourly), written from the processed events (the tables must be empty). */
async function writeRollupsFromEvents(db: Database): Promise<void> {
  for (const statement of rollupsFromEventsSql()) await db.execScript(statement);
  await db.execScript("ANALYZE processed_event, metric_aggregate, metric_aggregate_day, metric_aggregate_hour");
}

/**
 * The statements writing every rollup row from the processed events, by the recomputation the
 * rollup check uses (the rollup tables must be empty), as plain SQL without parameters: this
 * fixture runs them through Prisma, the bench's seed (bench/seed-processed.ts) through `pg`.
 */
export function rollupsFromEventsSql(): string[] {
  const values = Prisma.raw("count, sum, min, max, first_seen_at, last_seen_at");
  return (["all-time", "day", "hour"] as const).map((level) => {
    const keys = Prisma.raw(level === "all-time" ? "source, metric" : `source, metric, ${rollupPeriods[level].column}`);
    const statement = Prisma.sql`
      INSERT INTO ${rollupTable[level]} (${keys}, ${values}, updated_at)
      SELECT ${keys}, ${values}, now() FROM (${recomputedRollupsSql(level)}) AS r`;
    if (statement.values.length > 0) throw new Error("the rollup recomputation took parameters");
    return statement.sql;
  });
}

/** The rollup check over the whole database: throws unless every rollup row equals its recomputation. */
export async function expectRollupsExact(db: Database): Promise<{ groups: number; days: number; hours: number }> {
  const check = await checkRollups(db);
  if (check.differences.length > 0) throw new Error(`rollups differ from the processed events: ${JSON.stringify(check.differences.slice(0, 3))}`);
  return { groups: check.groups, days: check.days, hours: check.hours };
}
