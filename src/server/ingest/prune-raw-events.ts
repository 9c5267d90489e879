// Retention (RAW_RETENTION_DAYS): raw events older than that whose processing has finished
// are deleted, oldest first, in small batches (each a short statement whose rows are taken
// with SKIP LOCKED, so ingestion and other instances never wait on it). No count changes and
// dedup holds: processed events, their dedup keys and the rollups stay; a processed event
// whose raw event is pruned keeps everything but the link (raw_event_id becomes null). An
// event still `received` (it has a pending row) is never pruned, however old: the recovery
// worker owns it. Its pending or outcome row goes with it (ON DELETE CASCADE).
import type { Database } from "../db/database";
import { statusSql } from "./store/sql-words";

export interface PruneOptions {
  olderThanDays: number;
  /** Rows per DELETE statement. */
  batchSize?: number;
  /** Most statements per call (bounds one pass of the worker). */
  maxBatches?: number;
}

export interface PruneCandidates {
  /** Raw events that would go, per status. */
  byStatus: Record<string, number>;
  total: number;
  oldest: Date | null;
  newest: Date | null;
  cutoff: Date;
}

const cutoffOf = (days: number) => new Date(Date.now() - days * 86_400_000);

/** What a prune would delete now (npm run db:prune -- --dry-run). */
export async function pruneCandidates(db: Database, olderThanDays: number): Promise<PruneCandidates> {
  const cutoff = cutoffOf(olderThanDays);
  const rows = await db.prisma.$queryRaw<{ status: string; n: bigint; oldest: Date; newest: Date }[]>`
    SELECT status::text AS status, count(*) AS n, min(received_at) AS oldest, max(received_at) AS newest
    FROM raw_event_state WHERE received_at < ${cutoff} AND status <> ${statusSql("received")} GROUP BY status ORDER BY status`;
  const byStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  const dates = rows.flatMap((r) => [new Date(r.oldest).getTime(), new Date(r.newest).getTime()]);
  return {
    byStatus,
    total: rows.reduce((n, r) => n + Number(r.n), 0),
    oldest: dates.length ? new Date(Math.min(...dates)) : null,
    newest: dates.length ? new Date(Math.max(...dates)) : null,
    cutoff,
  };
}

/** Deletes finished raw events older than the retention, a batch at a time; returns how many went. */
export async function pruneRawEvents(db: Database, opts: PruneOptions): Promise<number> {
  const cutoff = cutoffOf(opts.olderThanDays);
  const batchSize = opts.batchSize ?? 500;
  let deleted = 0;
  for (let i = 0; i < (opts.maxBatches ?? Number.POSITIVE_INFINITY); i++) {
    const n = await db.prisma.$executeRaw`
      DELETE FROM raw_event WHERE id IN (
        SELECT r.id FROM raw_event r
        WHERE r.received_at < ${cutoff} AND NOT EXISTS (SELECT 1 FROM raw_event_pending q WHERE q.raw_event_id = r.id)
        ORDER BY r.received_at LIMIT ${batchSize}
        FOR UPDATE SKIP LOCKED)`;
    deleted += n;
    if (n < batchSize) break;
  }
  return deleted;
}
