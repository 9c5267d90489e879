// The rollup rebuild: rewrites every rollup row the check finds wrong — all-time rows per
// (source, metric), daily rows per (source, metric, UTC day) and hourly rows per
// (source, metric, hour) — from its processed events,
// while ingestion goes on.
//
// Why it loses no concurrent increment: the write path inserts processed events and then adds
// them to their rollup rows in the same transaction (ingest/rollup.ts), locking those rows in
// key order. A repair transaction first locks its rows (of one table), in the same key order (no
// deadlock), creating a placeholder for a missing row so that it has a row to lock; then, in a
// fresh snapshot (READ COMMITTED: a new one per statement), recomputes the rows and writes them.
// A processing transaction that committed before the lock was granted is in that snapshot; one
// that had not yet reached its rollup update waits for the lock and then adds its events to the
// rebuilt row (ON CONFLICT DO UPDATE re-reads the latest version). Either way every event is in
// the row once.
//
// Why ingestion is not blocked for long: only the rows the check found wrong are touched, a
// bounded number per transaction, each recomputed from a range of processed_event's
// (source, metric, occurred_at) index; the check itself takes no lock (one statement, one
// snapshot). Other rows are never held.
import { Prisma } from "../../generated/prisma/client";
import type { RollupDifference, RollupRebuild } from "../../lib/rollups-schema";
import { runBackfill } from "../meters/backfill";
import { rebuildMeter } from "../meters/meters";
import type { Database } from "../db/database";
import { checkRollups, levelOf, recomputedRollupsSql, rollupPeriods, rollupTable, type RollupLevel } from "./check-rollups";

export interface RebuildOptions {
  /** Rows repaired per transaction. */
  groupsPerTransaction?: number;
}

/** Checks, repairs every row that differs (all-time rows first, then daily, then hourly ones), and checks again. */
export async function rebuildRollups(db: Database, opts: RebuildOptions = {}): Promise<RollupRebuild> {
  const before = await checkRollups(db);
  const perTransaction = opts.groupsPerTransaction ?? 100;
  for (const level of ["all-time", "day", "hour"] as const) {
    const rows = before.differences.filter((d) => levelOf(d) === level);
    for (let i = 0; i < rows.length; i += perTransaction) await repairRollups(db, level, rows.slice(i, i + perTransaction));
  }
  // A meter whose rows differ is recounted from its events (a new series, backfilled).
  const meters = [...new Set(before.meters.map((d) => d.meter))];
  for (const slug of meters) await rebuildMeter(db, slug);
  if (meters.length > 0) await runBackfill(db);
  const after = await checkRollups(db);
  return {
    groups: before.groups,
    days: before.days,
    hours: before.hours,
    repaired: before.differences,
    remaining: after.differences,
    metersRebuilt: meters,
    metersRemaining: after.meters,
  };
}

/** Rewrites these rows of one rollup table from their processed events, in one short transaction. */
export async function repairRollups(db: Database, level: RollupLevel, rows: Pick<RollupDifference, "source" | "metric" | "day" | "hour">[]): Promise<void> {
  if (rows.length === 0) return;
  const table = rollupTable[level];
  const period = level === "all-time" ? null : rollupPeriods[level].column;
  const sources = rows.map((r) => r.source);
  const metrics = rows.map((r) => r.metric);
  const keys = period
    ? Prisma.sql`(SELECT * FROM unnest(${sources}::text[], ${metrics}::text[], ${rows.map((r) => r[period])}::timestamptz[]) AS k(source, metric, ${Prisma.raw(period)})) AS k`
    : Prisma.sql`(SELECT * FROM unnest(${sources}::text[], ${metrics}::text[]) AS k(source, metric)) AS k`;
  const keyColumns = Prisma.raw(period ? `source, metric, ${period}` : "source, metric");
  const sameRow = (a: string, b: string) => Prisma.raw(`${a}.source = ${b}.source AND ${a}.metric = ${b}.metric${period ? ` AND ${a}.${period} = ${b}.${period}` : ""}`);
  await db.prisma.$transaction(async (tx) => {
    // 1. Lock each row in key order, as the write path does; a missing one is inserted as a
    //    placeholder, which also waits for a processing transaction inserting that row.
    await tx.$executeRaw`
      INSERT INTO ${table} AS a (${keyColumns}, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
      SELECT ${keyColumns}, 0, 0, 0, 0, now(), now(), now() FROM ${keys}
      ORDER BY ${keyColumns}
      ON CONFLICT (${keyColumns}) DO UPDATE SET updated_at = a.updated_at`;
    // 2. A fresh snapshot, taken once every lock is held: recompute and write; a row with no
    //    processed event is deleted.
    await tx.$executeRaw`
      WITH r AS (${recomputedRollupsSql(level, keys)}),
      rewritten AS (
        UPDATE ${table} AS a SET count = r.count, sum = r.sum, min = r.min, max = r.max,
               first_seen_at = r.first_seen_at, last_seen_at = r.last_seen_at, updated_at = now()
        FROM r WHERE ${sameRow("a", "r")})
      DELETE FROM ${table} AS a USING ${keys}
      WHERE ${sameRow("a", "k")}
        AND NOT EXISTS (SELECT 1 FROM r WHERE ${sameRow("r", "k")})`;
  }, db.transactionOptions);
}
