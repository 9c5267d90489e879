// The meters' rollup check: every rollup row of every live, backfilled meter against a
// recomputation from processed_event through the same reading of events the write path uses
// (meterEventsSql), in one statement, so one snapshot: exact while ingestion goes on, since the
// write path commits an event and its meter rows together. A meter still backfilling is not
// checked (its rows are partial until the backfill reaches its watermark); a deleted meter
// stopped counting. The storage tests' invariants and `npm run aggregates:check` use it;
// rebuildMeter repairs a meter by recounting it from its events (a new series, backfilled).
import { Prisma } from "../../generated/prisma/client";
import type { MeterDifference } from "../../lib/rollups-schema";
import type { Database } from "../db/database";
import { isoTimeSql } from "../db/iso-time-sql";
import { meterEventsSql, tiersSql } from "./meter-rollup";

export type { MeterDifference };

const checkedMeters = Prisma.sql`(SELECT * FROM meter WHERE deleted_at IS NULL AND backfilled_to >= watermark)`;

/** A row's values as one text, to compare and to show: count, skipped, sum, min, max, latest (time and value), distinct values. */
const valuesText = (r: string) =>
  Prisma.raw(
    `concat_ws(' ', 'count=' || ${r}.count, 'skipped=' || ${r}.skipped, 'sum=' || trim_scale(${r}.sum), 'min=' || trim_scale(${r}.min), 'max=' || trim_scale(${r}.max), ` +
      `'latest=' || ${isoTimeSql(`${r}.latest_at`)} || '/' || trim_scale(${r}.latest_value), 'distinct=' || ${r}.distinct_values)`,
  );

export async function checkMeters(db: Database): Promise<MeterDifference[]> {
  const rows = await db.prisma.$queryRaw<{ slug: string; tier: string; bucket: Date; subject: string; group_key: string; stored: string | null; recomputed: string | null }[]>`
    WITH m_ev AS (${meterEventsSql(Prisma.sql`processed_event`, checkedMeters)}),
    rec AS (
      SELECT series, t.tier, date_trunc(t.unit, occurred_at, 'UTC') AS bucket, subject, group_key,
             count(*) FILTER (WHERE counted) AS count, count(*) FILTER (WHERE NOT counted) AS skipped,
             sum(num) FILTER (WHERE counted) AS sum, min(num) FILTER (WHERE counted) AS min, max(num) FILTER (WHERE counted) AS max,
             (array_agg(occurred_at ORDER BY occurred_at DESC, id DESC) FILTER (WHERE aggregation = 'LATEST' AND counted))[1] AS latest_at,
             (array_agg(num ORDER BY occurred_at DESC, id DESC) FILTER (WHERE aggregation = 'LATEST' AND counted))[1] AS latest_value,
             count(DISTINCT txt) FILTER (WHERE aggregation = 'UNIQUE_COUNT' AND counted) AS distinct_values
      FROM m_ev CROSS JOIN ${tiersSql}
      GROUP BY 1, 2, 3, 4, 5),
    sto AS (
      SELECT r.series, r.tier, r.bucket, r.subject, r.group_key, r.count, r.skipped, r.sum, r.min, r.max, r.latest_at, r.latest_value,
             (SELECT count(*) FROM meter_distinct d
              WHERE d.series = r.series AND d.tier = r.tier AND d.bucket = r.bucket AND d.subject = r.subject AND d.group_key = r.group_key) AS distinct_values
      FROM meter_rollup r WHERE r.series IN (SELECT series FROM ${checkedMeters} c)),
    cmp AS (
      SELECT coalesce(sto.series, rec.series) AS series, coalesce(sto.tier, rec.tier) AS tier, coalesce(sto.bucket, rec.bucket) AS bucket,
             coalesce(sto.subject, rec.subject) AS subject, coalesce(sto.group_key, rec.group_key) AS group_key,
             CASE WHEN sto.series IS NULL THEN NULL ELSE ${valuesText("sto")} END AS stored,
             CASE WHEN rec.series IS NULL THEN NULL ELSE ${valuesText("rec")} END AS recomputed
      FROM sto FULL JOIN rec ON rec.series = sto.series AND rec.tier = sto.tier AND rec.bucket = sto.bucket AND rec.subject = sto.subject AND rec.group_key = sto.group_key)
    SELECT m.slug, cmp.tier::text AS tier, cmp.bucket, cmp.subject, cmp.group_key, cmp.stored, cmp.recomputed
    FROM cmp JOIN meter m ON m.series = cmp.series
    WHERE cmp.stored IS DISTINCT FROM cmp.recomputed
    ORDER BY 1, 2, 3, 4, 5`;
  return rows.map((r) => ({ meter: r.slug, tier: r.tier, bucket: r.bucket.toISOString(), subject: r.subject, groupKey: r.group_key, stored: r.stored, recomputed: r.recomputed }));
}

export function describeMeterDifference(d: MeterDifference): string {
  return `meter ${d.meter} ${d.tier} ${d.bucket} subject=${JSON.stringify(d.subject)} group=${d.groupKey}: stored ${d.stored ?? "(none)"}, recomputed ${d.recomputed ?? "(none)"}`;
}
