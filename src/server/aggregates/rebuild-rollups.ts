// The rollup rebuild: rewrites every (source, metric) row the check finds wrong from its
// processed events, while ingestion goes on.
//
// Why it loses no concurrent increment: the write path inserts processed events and then adds
// them to their rollup rows in the same transaction (ingest/rollup.ts), locking those rows in
// key order. A repair transaction first locks its rows, in the same key order (no deadlock),
// creating a placeholder for a missing row so that it has a row to lock; then, in a fresh
// snapshot (READ COMMITTED: a new one per statement), recomputes the groups and writes them.
// A processing transaction that committed before the lock was granted is in that snapshot; one
// that had not yet reached its rollup update waits for the lock and then adds its events to the
// rebuilt row (ON CONFLICT DO UPDATE re-reads the latest version). Either way every event is in
// the row once.
//
// Why ingestion is not blocked for long: only the groups the check found wrong are touched, a
// bounded number per transaction, and the check itself takes no lock (one statement, one
// snapshot). A group is held for one recomputation of its groups; other groups are never held.
import { Prisma } from "../../generated/prisma/client";
import type { RollupDifference, RollupRebuild } from "../../lib/rollups-schema";
import type { Database } from "../db/database";
import { checkRollups, recomputedRollupsSql } from "./check-rollups";

export interface RebuildOptions {
  /** Groups repaired per transaction (one scan of processed_event each). */
  groupsPerTransaction?: number;
}

/** Checks, repairs every group that differs, and checks again. */
export async function rebuildRollups(db: Database, opts: RebuildOptions = {}): Promise<RollupRebuild> {
  const before = await checkRollups(db);
  const perTransaction = opts.groupsPerTransaction ?? 100;
  for (let i = 0; i < before.differences.length; i += perTransaction) {
    await repairRollups(db, before.differences.slice(i, i + perTransaction));
  }
  const after = await checkRollups(db);
  return { groups: before.groups, repaired: before.differences, remaining: after.differences };
}

/** Rewrites these groups' rollup rows from their processed events, in one short transaction. */
export async function repairRollups(db: Database, groups: Pick<RollupDifference, "source" | "metric">[]): Promise<void> {
  if (groups.length === 0) return;
  const keys = Prisma.sql`(SELECT * FROM unnest(${groups.map((g) => g.source)}::text[], ${groups.map((g) => g.metric)}::text[]) AS k(source, metric)) AS k`;
  await db.prisma.$transaction(async (tx) => {
    // 1. Lock each row in key order, as the write path does; a missing one is inserted as a
    //    placeholder, which also waits for a processing transaction inserting that row.
    await tx.$executeRaw`
      INSERT INTO metric_aggregate AS a (source, metric, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
      SELECT source, metric, 0, 0, 0, 0, now(), now(), now() FROM ${keys}
      ORDER BY source, metric
      ON CONFLICT (source, metric) DO UPDATE SET updated_at = a.updated_at`;
    // 2. A fresh snapshot, taken once every lock is held: recompute and write; a group with no
    //    processed event loses its row.
    await tx.$executeRaw`
      WITH r AS (${recomputedRollupsSql(keys)}),
      rewritten AS (
        UPDATE metric_aggregate AS a SET count = r.count, sum = r.sum, min = r.min, max = r.max,
               first_seen_at = r.first_seen_at, last_seen_at = r.last_seen_at, updated_at = now()
        FROM r WHERE a.source = r.source AND a.metric = r.metric)
      DELETE FROM metric_aggregate AS a USING ${keys}
      WHERE a.source = k.source AND a.metric = k.metric
        AND NOT EXISTS (SELECT 1 FROM r WHERE r.source = k.source AND r.metric = k.metric)`;
  }, db.transactionOptions);
}
