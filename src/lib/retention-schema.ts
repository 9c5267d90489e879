// What a prune of raw events is asked and answers (tRPC `retention.prune`, `npm run db:prune`
// directly or through a running server): the same rule either way, src/server/ingest/prune-raw-events.ts.
import { z } from "zod";

export const pruneInputSchema = z.object({
  /** Raw events received more than this many days ago whose processing has finished. */
  days: z.number().int().min(1).max(36_500),
  /** List what would go; delete nothing. */
  dryRun: z.boolean().default(false),
});
export type PruneInput = z.input<typeof pruneInputSchema>;

export const pruneReportSchema = z.object({
  days: z.number().int(),
  /** ISO-8601 (UTC): raw events received before it are candidates. */
  cutoff: z.string(),
  /** Candidates per status (counted, deduplicated, rejected, failed, not_counted), before the prune. */
  byStatus: z.record(z.string(), z.number().int()),
  total: z.number().int(),
  oldest: z.string().nullable(),
  newest: z.string().nullable(),
  /** Raw events deleted; null on a dry run. */
  deleted: z.number().int().nullable(),
});
export type PruneReport = z.infer<typeof pruneReportSchema>;
