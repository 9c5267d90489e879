// The recovery worker: finishes raw events left `received` because processing failed after
// capture (database gone, process killed, simulated failure). Runs in every instance.
// Safe to run concurrently: each event is claimed by one UPDATE of its pending row over a
// `FOR UPDATE SKIP LOCKED` sub-select that also pushes its next attempt into the future,
// so two workers never hold the same event at once, and processing itself is idempotent
// against a racing client retry. Claimed events are processed together by the code requests
// use (write-group.ts): an event the database refuses fails alone, stored `failed`. One
// whose processing fails in a way we do not recognise ends `failed` with its last error after
// RECOVERY_MAX_ATTEMPTS attempts, and never blocks the others; outages and timeouts only
// delay it (with backoff). The worker's pass also resumes any meter backfill left unfinished.
import type { ServerContext } from "../context";
import { classifyDatabaseError } from "../db/database-errors";
import { errorDetail, errorSummary, isDataError } from "../errors";
import { observeRecovery } from "../observability/metrics";
import { processStoredRawEvents } from "./process-raw-event";
import { claimDueRawEvents, finishPending, postponeRawEvent } from "./store";
import { pruneRawEvents } from "./prune-raw-events";
import { runBackfill } from "../meters/backfill";
import { decideRulesOf } from "./decide-event";

/** How often an instance's worker prunes raw events past RAW_RETENTION_DAYS. */
const PRUNE_EVERY_MS = 60_000;

export interface RecoveryReport {
  recovered: number;
  failed: number;
  retrying: number;
}

/** Events claimed and processed together (one processing transaction, as a request's group). */
const CLAIM_BATCH = 50;

/** Processes up to `limit` due events, claiming none once `signal` aborts; returns what happened to them. */
export async function recoverStuckEvents(ctx: ServerContext, limit = 100, signal?: AbortSignal): Promise<RecoveryReport> {
  const report: RecoveryReport = { recovered: 0, failed: 0, retrying: 0 };
  const delayMs = Math.max(ctx.config.RECOVERY_DELAY_MS, 10);
  // A claim holds its events for longer than their processing can take (the transaction's
  // wait for a connection plus its timeout), so no other worker claims them again meanwhile;
  // a failure sets the real next attempt (backoff) below.
  const leaseMs = ctx.config.DB_CONNECT_TIMEOUT_MS + ctx.config.DB_TRANSACTION_TIMEOUT_MS + 1000;
  const rules = decideRulesOf(ctx.config);
  for (let done = 0; done < limit && !signal?.aborted; ) {
    const claimed = await claimDueRawEvents(ctx.db, Math.min(CLAIM_BATCH, limit - done), leaseMs);
    if (claimed.length === 0) break;
    done += claimed.length;
    const results = await processStoredRawEvents(ctx.db, claimed, rules);
    for (const [i, result] of results.entries()) {
      const event = claimed[i]!;
      if (!("failure" in result)) {
        if (result.outcome === "failed") report.failed++;
        else report.recovered++;
        continue;
      }
      const err = result.failure;
      const reason = `processing failed (attempt ${event.attempts} of ${ctx.config.RECOVERY_MAX_ATTEMPTS}): ${errorSummary(err)}`;
      // Only an error about the event itself uses up its attempts: an outage, a timeout or a
      // misconfiguration says nothing about the event, and giving up on it would lose it.
      const giveUp = isDataError(err) && event.attempts >= ctx.config.RECOVERY_MAX_ATTEMPTS;
      // Exponential backoff from the recovery delay, at most a minute (or the delay, if longer).
      const backoffMs = Math.min(delayMs * 2 ** (event.attempts - 1), Math.max(delayMs, 60_000));
      if (giveUp) {
        await finishPending(ctx.db, event.id, { status: "failed", reason, reasonCode: "EVENT_FAILED" });
      } else {
        await postponeRawEvent(ctx.db, event.id, reason, backoffMs);
      }
      if (giveUp) report.failed++;
      else report.retrying++;
      ctx.log.warn(giveUp ? "raw event failed for good" : "raw event recovery failed; will retry", { rawEventId: event.id, reason });
    }
  }
  observeRecovery(ctx.db, report);
  return report;
}

export interface RecoveryWorker {
  /** Runs one pass now (tests, and the loop itself). */
  runOnce(): Promise<RecoveryReport>;
  stop(): Promise<void>;
}

/** Polls every RECOVERY_INTERVAL_MS; a database outage only skips passes. */
export function startRecoveryWorker(ctx: ServerContext): RecoveryWorker {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<RecoveryReport> | undefined;
  const stopping = new AbortController();

  let lastPrune = 0;
  const runOnce = () => {
    current ??= (async () => {
      const report = await recoverStuckEvents(ctx, 100, stopping.signal);
      // Retention rides the worker's loop, at most once a minute, a bounded amount each time.
      const days = ctx.config.RAW_RETENTION_DAYS;
      if (days !== undefined && !stopping.signal.aborted && Date.now() - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = Date.now();
        const pruned = await pruneRawEvents(ctx.db, { olderThanDays: days, batchSize: 500, maxBatches: 20 });
        if (pruned > 0) ctx.log.info("retention: raw events pruned", { pruned, olderThanDays: days });
      }
      // A meter backfill a stop or a crash left unfinished resumes here, in any instance.
      if (!stopping.signal.aborted) await runBackfill(ctx.db, stopping.signal);
      return report;
    })().finally(() => {
      current = undefined;
    });
    return current;
  };
  const loop = async () => {
    try {
      const r = await runOnce();
      if (r.recovered + r.failed + r.retrying > 0) ctx.log.info("recovery pass", { ...r });
    } catch (err) {
      const kind = classifyDatabaseError(err);
      const fields = { ...errorDetail(err), kind };
      if (kind === "misconfigured") ctx.log.error("recovery pass skipped: the database is misconfigured", fields);
      else ctx.log.warn("recovery pass skipped: database unavailable", fields);
    }
    if (!stopped) timer = setTimeout(() => void loop(), ctx.config.RECOVERY_INTERVAL_MS);
  };
  timer = setTimeout(() => void loop(), ctx.config.RECOVERY_INTERVAL_MS);
  return {
    runOnce,
    async stop() {
      stopped = true;
      stopping.abort();
      clearTimeout(timer);
      await current?.catch(() => {});
    },
  };
}
