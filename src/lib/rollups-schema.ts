// What the rollup check and rebuild answer (tRPC `rollups.*`, `npm run aggregates:check` and
// `aggregates:rebuild`): exact values, as text, so no float rounds a numeric(65,30) difference away.
import { z } from "zod";

/** One rollup row's numbers: counts and decimals as exact text, times as ISO-8601 (UTC, ms). */
export const rollupValuesSchema = z.object({
  count: z.string(),
  sum: z.string(),
  min: z.string(),
  max: z.string(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
});
export type RollupValues = z.infer<typeof rollupValuesSchema>;

/**
 * A rollup row that is not what its processed events add up to: the all-time row of a
 * (source, metric) (`day` and `hour` null), one of its daily rows (`day`: the UTC day's start,
 * ISO-8601 UTC; `hour` null), or one of its hourly rows (`hour`: the hour's start; `day` null).
 * `stored` null when the rollup row is missing, `recomputed` null when the row has no processed
 * events.
 */
export const rollupDifferenceSchema = z.object({
  source: z.string(),
  metric: z.string(),
  day: z.string().nullable(),
  hour: z.string().nullable(),
  fields: z.array(rollupValuesSchema.keyof()),
  stored: rollupValuesSchema.nullable(),
  recomputed: rollupValuesSchema.nullable(),
});
export type RollupDifference = z.infer<typeof rollupDifferenceSchema>;

/** A meter's rollup row that differs from a recomputation (src/server/meters/check-meters.ts); values as text ("count=3 sum=7 …"). */
export const meterDifferenceSchema = z.object({
  meter: z.string(),
  tier: z.string(),
  bucket: z.string(),
  subject: z.string(),
  groupKey: z.string(),
  stored: z.string().nullable(),
  recomputed: z.string().nullable(),
});
export type MeterDifference = z.infer<typeof meterDifferenceSchema>;

export const rollupCheckSchema = z.object({
  /** (source, metric) groups compared: in the rollup, in the processed events, or both. */
  groups: z.number().int(),
  /** (source, metric, day) rows compared, the same way. */
  days: z.number().int(),
  /** (source, metric, hour) rows compared, the same way. */
  hours: z.number().int(),
  /**
   * In key order: source, metric, then the all-time row, then the daily and hourly rows oldest
   * first (a day before the hours starting with it).
   */
  differences: z.array(rollupDifferenceSchema),
  /** Meters' rollup rows that differ (backfilled, live meters only). */
  meters: z.array(meterDifferenceSchema),
});
export type RollupCheck = z.infer<typeof rollupCheckSchema>;

export const rollupRebuildSchema = z.object({
  groups: z.number().int(),
  days: z.number().int(),
  hours: z.number().int(),
  /** What was wrong before the rebuild (each of these groups was rewritten). */
  repaired: z.array(rollupDifferenceSchema),
  /** A check after the rebuild: empty unless something other than the write path changed a rollup meanwhile. */
  remaining: z.array(rollupDifferenceSchema),
  /** Meters recounted from their events (their rows differed), by slug. */
  metersRebuilt: z.array(z.string()),
  /** Meters' rows still differing after the recount. */
  metersRemaining: z.array(meterDifferenceSchema),
});
export type RollupRebuild = z.infer<typeof rollupRebuildSchema>;
