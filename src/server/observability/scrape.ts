// What GET /metrics answers: the counters kept as requests go, plus values read at scrape
// time. The one database query (the recovery backlog) is bounded: it reads at most 100 000
// entries of the raw_event_pending table (the waiting events), so its cost
// follows the backlog, never the table; past 100 000 the count saturates and the age is that
// of the oldest among them. A database that fails it shows as ingest_database_up 0, and the
// scrape still answers.
import type { ServerContext } from "../context";
import { errorDetail } from "../errors";
import { metricsOf, processMetrics, type ServiceMetrics } from "./metrics";

/**
 * Values only their owners know, read at scrape time and handed in by the caller (the HTTP
 * layer, which owns the backlog and the drain gate and reaches the write path's queue): this
 * module depends on no one it reports on.
 */
export interface LiveGauges {
  /** Events queued for a group, not yet taken by a flush. */
  groupQueued: number;
  /** Events in flushes under way. */
  groupFlushing: number;
  /** Events admitted into the write path and not yet answered. */
  pendingEvents: number;
  draining: boolean;
}

const BACKLOG_SCAN_LIMIT = 100_000;

/** The Prometheus text exposition of this server's metrics, and its content type. */
export async function scrapeMetrics(ctx: ServerContext, live: LiveGauges): Promise<{ text: string; contentType: string }> {
  const metrics = metricsOf(ctx.db);
  await readBacklog(ctx, metrics);
  const pool = ctx.db.poolStats();
  if (pool) {
    metrics.poolConnections.set({ state: "in_use" }, pool.total - pool.idle);
    metrics.poolConnections.set({ state: "idle" }, pool.idle);
    metrics.poolConnections.set({ state: "max" }, pool.max);
    metrics.poolWaiting.set(pool.waiting);
  }
  metrics.groupQueued.set(live.groupQueued);
  metrics.groupFlushing.set(live.groupFlushing);
  metrics.pendingEvents.set(live.pendingEvents);
  metrics.draining.set(live.draining ? 1 : 0);
  const text = (await processMetrics().metrics()) + (await metrics.registry.metrics());
  return { text, contentType: metrics.registry.contentType };
}

async function readBacklog(ctx: ServerContext, metrics: ServiceMetrics): Promise<void> {
  try {
    const [row] = await ctx.db.prisma.$queryRaw<{ waiting: number; oldest: number }[]>`
      SELECT count(*)::int AS waiting, coalesce(extract(epoch FROM now() - min(received_at)), 0)::float8 AS oldest
      FROM (SELECT r.received_at FROM raw_event_pending q JOIN raw_event r ON r.id = q.raw_event_id LIMIT ${BACKLOG_SCAN_LIMIT}) AS waiting`;
    metrics.backlog.set(row?.waiting ?? 0);
    metrics.backlogOldest.set(Math.max(0, row?.oldest ?? 0));
    metrics.databaseUp.set(1);
  } catch (err) {
    ctx.log.debug("metrics: the recovery backlog could not be read", errorDetail(err));
    metrics.backlog.reset();
    metrics.backlogOldest.reset();
    metrics.databaseUp.set(0);
  }
}
