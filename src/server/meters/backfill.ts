// The meters' backfill: a new meter (or one whose group-by changed) counts the processed events
// committed before it existed, those with ids up to its watermark, a chunk per transaction
// while ingestion goes on; the write path counts every later event (meters.ts says why none is
// missed or counted twice at the boundary). Progress is the meter's backfilled_to, moved in the
// same transaction as the chunk it covers, so a backfill stopped at any point (a crash, a stop)
// resumes where it was, in any instance: a chunk is claimed by locking its meter's row
// (SKIP LOCKED). Rollup series no meter uses any more are deleted here too.
import { Prisma } from "../../generated/prisma/client";
import type { Database } from "../db/database";
import { addEventsToMetersCtes, oneMeterSql } from "./meter-rollup";

/** Processed events read per backfill transaction. */
export const BACKFILL_CHUNK = 5000;

/**
 * One chunk of one meter's backfill, or one retired series deleted: false when there was
 * nothing left to do (or every meter with work is being backfilled by someone else).
 */
export async function backfillStep(db: Database, chunk = BACKFILL_CHUNK): Promise<boolean> {
  return db.prisma.$transaction(async (tx) => {
    const [retired] = await tx.$queryRaw<{ series: bigint }[]>`SELECT series FROM meter_retired_series ORDER BY series LIMIT 1 FOR UPDATE SKIP LOCKED`;
    if (retired) {
      await tx.$executeRaw`DELETE FROM meter_rollup WHERE series = ${retired.series}`;
      await tx.$executeRaw`DELETE FROM meter_distinct WHERE series = ${retired.series}`;
      await tx.$executeRaw`DELETE FROM meter_retired_series WHERE series = ${retired.series}`;
      return true;
    }
    const [meter] = await tx.$queryRaw<{ id: string; backfilled_to: bigint; watermark: bigint }[]>`
      SELECT id, backfilled_to, watermark FROM meter WHERE deleted_at IS NULL AND backfilled_to < watermark
      ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`;
    if (!meter) return false;
    const [edge] = await tx.$queryRaw<{ upto: bigint | null }[]>`
      SELECT max(id) AS upto FROM (SELECT id FROM processed_event WHERE id > ${meter.backfilled_to} AND id <= ${meter.watermark} ORDER BY id LIMIT ${chunk}) s`;
    // Fewer than a chunk left: this one reaches the watermark.
    const upto = edge?.upto === null || edge?.upto === undefined ? meter.watermark : BigInt(edge.upto);
    const last = upto >= meter.watermark ? meter.watermark : upto;
    await tx.$executeRaw`
      WITH ${addEventsToMetersCtes(Prisma.sql`processed_event WHERE id > ${meter.backfilled_to} AND id <= ${last}`, oneMeterSql(meter.id))}
      UPDATE meter SET backfilled_to = ${last} WHERE id = ${meter.id}`;
    return true;
  }, db.transactionOptions);
}

/** Runs backfill steps until nothing is left (or `signal` aborts); returns how many ran. */
export async function backfillMeters(db: Database, signal?: AbortSignal): Promise<number> {
  let steps = 0;
  while (!signal?.aborted && (await backfillStep(db))) steps++;
  return steps;
}

/** One backfill run at a time per database handle in this process; `again`: asked for while it ran. */
const running = new WeakMap<Database, { run: Promise<number>; again: boolean; ended: boolean }>();

/**
 * Runs the backfill until nothing is left, one run at a time per database handle: asked for
 * while one runs, that run goes round once more (so a meter created meanwhile is not left to
 * the worker's next pass) and the caller waits for it. Failures are the caller's to log.
 */
export function runBackfill(db: Database, signal?: AbortSignal): Promise<number> {
  const current = running.get(db);
  if (current && !current.ended) {
    current.again = true;
    return current.run;
  }
  const state = { run: Promise.resolve(0), again: false, ended: false };
  state.run = (async () => {
    let steps = 0;
    do {
      state.again = false;
      steps += await backfillMeters(db, signal);
    } while (state.again && !signal?.aborted);
    state.ended = true;
    return steps;
  })().finally(() => {
    if (running.get(db) === state) running.delete(db);
  });
  running.set(db, state);
  return state.run;
}

/**
 * After a meter change: starts the backfill in this process without waiting for it (the
 * change's answer does not wait); a run that stops is resumed by the recovery worker's pass.
 */
export function startBackfill(ctx: { db: Database; log: { warn(msg: string, fields?: Record<string, unknown>): void } }): void {
  runBackfill(ctx.db).catch((err: unknown) => ctx.log.warn("meter backfill stopped; the worker resumes it", { error: String(err) }));
}
