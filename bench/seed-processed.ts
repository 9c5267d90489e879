// The aggregates part's fixture: a database holding a given number of processed events.
import { rollupsFromEventsSql } from "../e2e/ui/support/seed-groups";
import { withClient } from "./support";

/**
 * Seeded events' own times spread over this many days before now (the series line reads 30 of
 * them): event g is (g × 7919 mod the span) seconds old, so even 10⁴ events reach across it.
 */
export const SEEDED_DAYS = 30;

/** `n` (≤ 200) distinct (source, metric) groups of the seed, which has 20 sources × 10 metrics. */
export function seededGroups(n: number): { source: string; metric: string }[] {
  return Array.from({ length: n }, (_, i) => ({ source: `seed-${i % 20}`, metric: `seed-metric-${(i * 3 + Math.floor(i / 20)) % 10}` }));
}

/**
 * Brings the database to `total` processed events with one generate_series statement, their
 * times spread over the last SEEDED_DAYS days, and every rollup (all time, hourly, daily) to a
 * recomputation from them (the console suites' fixture statements, e2e/ui/support/seed-groups.ts). The processed events carry no raw event, as
 * retention (RAW_RETENTION_DAYS) leaves them: GET /aggregates reads only the rollup, and the
 * seeding does not depend on how raw events are stored.
 */
export async function seedProcessed(url: string, total: number): Promise<void> {
  await withClient(url, async (c) => {
    const have = Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM processed_event")).rows[0]?.n ?? 0);
    if (have >= total) return;
    await c.query(
      `INSERT INTO processed_event (dedup_key, content_hash, source, metric, value, occurred_at, attributes)
       -- source g mod 20, metric (g / 20) mod 10: all 200 pairs (seededGroups).
       SELECT 'seed-' || g, 'seed-' || g, 'seed-' || (g % 20), 'seed-metric-' || ((g / 20) % 10), g % 1000,
              now() - ((g * 7919) % ${SEEDED_DAYS * 86_400}) * interval '1 second', '{}'
       FROM generate_series($1::bigint, $2::bigint) g`,
      [have + 1, total],
    );
    await c.query("DELETE FROM metric_aggregate; DELETE FROM metric_aggregate_day; DELETE FROM metric_aggregate_hour");
    for (const statement of rollupsFromEventsSql()) await c.query(statement);
    await c.query("VACUUM ANALYZE processed_event, metric_aggregate, metric_aggregate_hour, metric_aggregate_day");
  });
}
