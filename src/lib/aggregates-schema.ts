// What `GET /aggregates` and the tRPC `aggregates*` procedures take and answer: filters, a time
// window, a series, paging. The REST adapter, tRPC, the OpenAPI document, the console and the
// typed client all use these schemas; every type comes from z.infer.
//
// Time: an event belongs to the hour of its own time (the payload's `timestamp`, else when it
// was captured), hours in UTC. A window is [from, to), both on whole UTC hours, because it is
// answered from the hourly rollup: an hour is the smallest slice the rollup can tell apart.
import { z } from "zod";
import { nameSchema } from "./names";
import { HOUR_MS } from "./time-units";

export { HOUR_MS };
/** Rows per page by default and at most; with `bucket`, each row carries its series, so fewer. */
export const AGGREGATES_PAGE = { defaultLimit: 1000, maxLimit: 1000, seriesDefaultLimit: 100, seriesMaxLimit: 100 } as const;
/** Buckets per series at most: 31 days of hours, or about two years of days. */
export const SERIES_MAX_BUCKETS = 744;

/**
 * The periods rolled up as events are counted, one row each here and in the server's
 * rollupPeriods (the table, its column: src/server/ingest/rollup.ts) plus a migration: the
 * write path, the series buckets and the API's `bucket` follow this list, in this order.
 */
export const bucketMs = { hour: HOUR_MS, day: 24 * HOUR_MS } as const;
export type Bucket = keyof typeof bucketMs;
export const rollupPeriodNames = Object.keys(bucketMs) as [Bucket, ...Bucket[]];
export const bucketSchema = z.enum(rollupPeriodNames);

/** The columns a page may be sorted by; `-` before one sorts descending. */
export const aggregateSortColumns = ["source", "metric", "count", "sum", "avg", "min", "max", "firstSeenAt", "lastSeenAt"] as const;
export type AggregateSortColumn = (typeof aggregateSortColumns)[number];
export const aggregateSortSchema = z.enum([...aggregateSortColumns, ...aggregateSortColumns.map((c) => `-${c}` as const)]);
export type AggregateSort = z.infer<typeof aggregateSortSchema>;

/** A window bound: an ISO-8601 date-time with a zone, on a whole UTC hour. */
function hourSchema(field: "from" | "to") {
  return z.iso
    .datetime({ offset: true, error: `${field} must be an ISO-8601 date-time with a time zone, e.g. 2026-11-24T10:00:00Z` })
    // Date.parse keeps milliseconds: a nonzero digit past them must not pass for a whole hour.
    .refine((s) => Date.parse(s) % HOUR_MS === 0 && !/\.\d*[1-9]/.test(s), {
      error: `${field} must be on a whole UTC hour (minutes, seconds and fractions zero, in UTC), e.g. 2026-11-24T10:00:00Z`,
    })
    .meta({ description: `${field === "from" ? "Start (inclusive)" : "End (exclusive)"} of the time window, on a whole UTC hour; events by their own time` });
}

const filterShape = {
  source: nameSchema("source").optional().meta({ description: "Exactly this source" }),
  metric: nameSchema("metric").optional().meta({ description: "Exactly this metric" }),
  q: nameSchema("q").optional().meta({ description: "Search: every whitespace-separated word appears in the source or the metric, ignoring the case of A–Z" }),
  from: hourSchema("from").optional(),
  to: hourSchema("to").optional(),
};

type Window = { from?: string; to?: string };
const windowInOrder = (v: Window, ctx: z.RefinementCtx) => {
  if (v.from !== undefined && v.to !== undefined && Date.parse(v.to) <= Date.parse(v.from)) {
    ctx.addIssue({ code: "custom", path: ["to"], message: "to must be after from" });
  }
};

/** Which groups, over which time: the filters and the window shared by a page and its summary. */
export const aggregatesFilterSchema = z.object(filterShape).superRefine(windowInOrder).default({});
export type AggregatesFilter = z.input<typeof aggregatesFilterSchema>;

/** A series needs a window [from, to) of at most SERIES_MAX_BUCKETS buckets. */
const seriesInWindow = (v: Window & { bucket?: Bucket }, ctx: z.RefinementCtx) => {
  if (v.bucket === undefined) return;
  for (const field of ["from", "to"] as const) {
    if (v[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `${field} is required with bucket: a series covers [from, to)` });
  }
  if (v.from !== undefined && v.to !== undefined) {
    const buckets = Math.ceil((Date.parse(v.to) - Date.parse(v.from)) / bucketMs[v.bucket]);
    if (buckets > SERIES_MAX_BUCKETS) {
      ctx.addIssue({ code: "custom", path: ["bucket"], message: `bucket=${v.bucket} over this window makes ${buckets} buckets; at most ${SERIES_MAX_BUCKETS}: narrow the window or use bucket=day` });
    }
  }
};

export const aggregatesInputSchema = z
  .object({
    ...filterShape,
    bucket: bucketSchema.optional().meta({
      description: "Adds each row's series over [from, to): hours, or 24-hour days starting at `from` (the last one ends at `to`). Needs from and to",
    }),
    sort: aggregateSortSchema.optional().meta({ description: "The column to sort by, `-` for descending (ties: source, then metric, ascending). Default `source`" }),
    limit: z
      .number({ error: "limit must be a whole number" })
      .int("limit must be a whole number")
      .min(1, "limit must be at least 1")
      .max(AGGREGATES_PAGE.maxLimit, `limit must be at most ${AGGREGATES_PAGE.maxLimit}`)
      .optional()
      .meta({ description: `Rows per page: default ${AGGREGATES_PAGE.defaultLimit}; with bucket, default and at most ${AGGREGATES_PAGE.seriesMaxLimit}` }),
    cursor: z.string().min(1).max(2000).optional().meta({ description: "Where the previous page ended (its `Link: rel=\"next\"`, or `nextCursor`); same filters, window and sort" }),
  })
  .superRefine((v, ctx) => {
    windowInOrder(v, ctx);
    seriesInWindow(v, ctx);
    if (v.bucket !== undefined && v.limit !== undefined && v.limit > AGGREGATES_PAGE.seriesMaxLimit) {
      ctx.addIssue({ code: "custom", path: ["limit"], message: `limit must be at most ${AGGREGATES_PAGE.seriesMaxLimit} with bucket (each row carries its series)` });
    }
  })
  .default({});
/** What a caller sends (every field optional). */
export type AggregatesInput = z.input<typeof aggregatesInputSchema>;
/** What the procedures get once it is parsed. */
export type AggregatesQuery = z.output<typeof aggregatesInputSchema>;

/** The summary's input: the filters and window, and a bucket for the totals over time. */
export const aggregatesSummaryInputSchema = z
  .object({
    ...filterShape,
    bucket: bucketSchema.optional().meta({
      description:
        "Adds `series`: every selected group's events added up per bucket of [from, to): hours, or 24-hour days starting at `from` (the last one ends at `to`). Needs from and to",
    }),
  })
  .superRefine((v, ctx) => {
    windowInOrder(v, ctx);
    seriesInWindow(v, ctx);
  })
  .default({});
export type AggregatesSummaryInput = z.input<typeof aggregatesSummaryInputSchema>;
export type AggregatesSummaryQuery = z.output<typeof aggregatesSummaryInputSchema>;

/** One bucket of a series: count and sum (0 when empty), avg/min/max (null when empty). */
export const aggregatePointSchema = z.object({
  /** Start of the bucket, ISO-8601 UTC. */
  start: z.string(),
  count: z.number().int(),
  sum: z.number(),
  avg: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
});
export type AggregatePoint = z.infer<typeof aggregatePointSchema>;

/**
 * One (source, metric): over all time, or over the window when one is asked; `firstSeenAt` /
 * `lastSeenAt` are its earliest and latest event times (in the window). With `bucket`, `series`
 * holds every bucket of the window, oldest first, empty ones included.
 */
export const aggregateSchema = z.object({
  source: z.string(),
  metric: z.string(),
  count: z.number().int(),
  sum: z.number(),
  avg: z.number(),
  min: z.number(),
  max: z.number(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  series: z.array(aggregatePointSchema).optional(),
});
export type Aggregate = z.infer<typeof aggregateSchema>;

export const aggregatesPageSchema = z.object({
  items: z.array(aggregateSchema),
  /** The next page's `cursor`; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type AggregatesPage = z.infer<typeof aggregatesPageSchema>;

/** Every group the filters and window select (not one page): how many, and their events. */
export const aggregatesSummarySchema = z.object({
  groups: z.number().int(),
  sources: z.number().int(),
  /** Events counted in those groups (in the window). */
  count: z.number().int(),
  /** The latest event time among them; null when there is none. */
  lastSeenAt: z.string().nullable(),
  /** With `bucket`: their events per bucket of the window, oldest first, empty ones included; the counts add up to `count`. */
  series: z.array(aggregatePointSchema).optional(),
});
export type AggregatesSummary = z.infer<typeof aggregatesSummarySchema>;
