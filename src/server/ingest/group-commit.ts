// Group commit: concurrent ingest requests in one process are coalesced into one capture
// statement and one processing transaction, instead of a transaction each. Semantics are
// those of the one-by-one path (process-raw-event.ts), per event:
// - capture is one multi-row INSERT, atomic: all of a group's raw events are stored, or
//   none are and every request in it gets 503;
// - processing is one transaction: lock the group's raw rows, insert the processed events
//   in dedup-key order with ON CONFLICT DO NOTHING, update each touched rollup row once
//   (in key order, so concurrent groups in any number of instances cannot deadlock on
//   them), mark every raw row; every request is answered only after that commit;
// - if that transaction fails for a reason tied to the data (constraint, raised error,
//   deadlock), the group falls back to one transaction per event, so one poison event
//   fails alone; if it fails because the database is unreachable, every event fails fast
//   with 503 and stays `received` for the recovery worker.
// Groups form naturally: a flush starts as soon as a slot is free and takes everything
// queued (up to maxEvents), so an idle server adds no delay and a busy one batches more.
import { randomUUID } from "node:crypto";
import type { Database } from "../db/database";
import { AppError, errorSummary } from "../errors";
import type { Prisma as P } from "../../generated/prisma/client";
import type { EventIdentity } from "./dedup-key";
import type { NormalizedEvent } from "./normalize";
import { processRawEvent, type ProcessOutcome } from "./process-raw-event";

export interface GroupItem {
  source: string;
  payload: Record<string, unknown>;
  idempotencyKey: string | null;
  nextAttemptAt: Date;
  /** Null when the payload can never be counted: captured `rejected` with this error. */
  event: NormalizedEvent | null;
  identity: EventIdentity | null;
  rejection: AppError | null;
}

interface Pending {
  item: GroupItem;
  resolve(outcome: ProcessOutcome): void;
  reject(err: unknown): void;
}

interface Captured {
  pending: Pending;
  rawId: string;
  receivedAt: Date;
}

export interface GroupCommitOptions {
  maxEvents: number;
  maxConcurrentFlushes: number;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly db: Database,
    private readonly opts: GroupCommitOptions,
  ) {}

  submit(item: GroupItem): Promise<ProcessOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // Let requests that arrived in the same tick join the group before it leaves.
      if (this.queue.length === 1) setImmediate(() => this.pump());
      else if (this.queue.length >= this.opts.maxEvents) this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxConcurrentFlushes && this.queue.length > 0) {
      const group = this.queue.splice(0, this.opts.maxEvents);
      this.inFlight++;
      void this.flush(group).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async flush(group: Pending[]): Promise<void> {
    let captured: Captured[];
    try {
      captured = await captureGroup(this.db, group);
    } catch (err) {
      for (const p of group) p.reject(err);
      return;
    }
    const toProcess: Captured[] = [];
    for (const c of captured) {
      if (c.pending.item.rejection) c.pending.resolve({ outcome: "rejected", error: c.pending.item.rejection });
      else toProcess.push(c);
    }
    if (toProcess.length === 0) return;
    try {
      const outcomes = await processGroup(this.db, toProcess);
      toProcess.forEach((c, i) => c.pending.resolve(outcomes[i]!));
    } catch (err) {
      if (!isDataError(err)) {
        for (const c of toProcess) c.pending.reject(err);
        return;
      }
      // Isolate the event at fault: one transaction per event, a few at a time.
      await mapLimited(toProcess, 4, async (c) => {
        try {
          c.pending.resolve(await processRawEvent(this.db, c.rawId));
        } catch (e) {
          c.pending.reject(e);
        }
      });
    }
  }
}

async function captureGroup(db: Database, group: Pending[]): Promise<Captured[]> {
  const ids = group.map(() => randomUUID());
  const items = group.map((p) => p.item);
  const rows = await db.prisma.$queryRaw<{ id: string; received_at: Date }[]>`
    INSERT INTO raw_event (id, source, payload, idempotency_key, status, reason, next_attempt_at)
    SELECT id, source, payload, idempotency_key, status::"RawEventStatus", reason, next_attempt_at
    FROM unnest(${ids}::uuid[], ${items.map((i) => i.source)}::text[], ${items.map((i) => JSON.stringify(i.payload))}::jsonb[],
                ${items.map((i) => i.idempotencyKey)}::text[], ${items.map((i) => (i.rejection ? "rejected" : "received"))}::text[],
                ${items.map((i) => i.rejection?.message ?? null)}::text[], ${items.map((i) => i.nextAttemptAt.toISOString())}::timestamptz[])
      AS t(id, source, payload, idempotency_key, status, reason, next_attempt_at)
    RETURNING id::text AS id, received_at`;
  const receivedAt = new Map(rows.map((r) => [r.id, new Date(r.received_at)]));
  return group.map((pending, i) => ({ pending, rawId: ids[i]!, receivedAt: receivedAt.get(ids[i]!) ?? new Date() }));
}

interface Decision {
  status: "processed" | "duplicate" | "rejected";
  processedEventId: bigint | null;
  error?: AppError;
}

/** One transaction for the whole group; returns each event's outcome, in order. */
async function processGroup(db: Database, group: Captured[]): Promise<ProcessOutcome[]> {
  return db.prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM raw_event WHERE id = ANY(${group.map((c) => c.rawId)}::uuid[]) AND status = 'received'
      ORDER BY id FOR UPDATE`;
    const mine = new Set(locked.map((r) => r.id));
    // Raw rows someone else finished meanwhile (the worker) are answered from their state.
    const live = group.filter((c) => mine.has(c.rawId));

    // Within the group, the first event of each dedup key is the candidate to insert.
    const candidates = new Map<string, Captured>();
    for (const c of live) {
      const key = c.pending.item.identity!.dedupKey;
      if (!candidates.has(key)) candidates.set(key, c);
    }
    const rows = [...candidates.values()].sort((a, b) => (a.pending.item.identity!.dedupKey < b.pending.item.identity!.dedupKey ? -1 : 1));
    const ev = (c: Captured) => c.pending.item.event!;
    const inserted = await tx.$queryRaw<{ id: bigint; dedup_key: string }[]>`
      WITH v AS (
        SELECT * FROM unnest(${rows.map((c) => c.pending.item.identity!.dedupKey)}::text[], ${rows.map((c) => c.pending.item.identity!.contentHash)}::text[],
                             ${rows.map((c) => ev(c).source)}::text[], ${rows.map((c) => ev(c).metric)}::text[], ${rows.map((c) => String(ev(c).value))}::numeric[],
                             ${rows.map((c) => (ev(c).timestamp ?? c.receivedAt.toISOString()))}::timestamptz[],
                             ${rows.map((c) => JSON.stringify(ev(c).attributes))}::jsonb[], ${rows.map((c) => c.rawId)}::uuid[])
          AS v(dedup_key, content_hash, source, metric, value, occurred_at, attributes, raw_event_id)),
      ins AS (
        INSERT INTO processed_event (dedup_key, content_hash, source, metric, value, occurred_at, attributes, raw_event_id)
        SELECT * FROM v ORDER BY dedup_key
        ON CONFLICT (dedup_key) DO NOTHING
        RETURNING id, dedup_key, source, metric, value, occurred_at),
      agg AS (
        INSERT INTO metric_aggregate AS a (source, metric, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
        SELECT source, metric, count(*), sum(value), min(value), max(value), min(occurred_at), max(occurred_at), now()
        FROM ins GROUP BY source, metric ORDER BY source, metric
        ON CONFLICT (source, metric) DO UPDATE SET
          count = a.count + EXCLUDED.count,
          sum = a.sum + EXCLUDED.sum,
          min = LEAST(a.min, EXCLUDED.min),
          max = GREATEST(a.max, EXCLUDED.max),
          first_seen_at = LEAST(a.first_seen_at, EXCLUDED.first_seen_at),
          last_seen_at = GREATEST(a.last_seen_at, EXCLUDED.last_seen_at),
          updated_at = now())
      SELECT id, dedup_key FROM ins`;
    const insertedIds = new Map(inserted.map((r) => [r.dedup_key, BigInt(r.id)]));

    const missing = rows.map((c) => c.pending.item.identity!.dedupKey).filter((k) => !insertedIds.has(k));
    const existing = new Map<string, { id: bigint; contentHash: string }>();
    if (missing.length > 0) {
      const found = await tx.$queryRaw<{ id: bigint; dedup_key: string; content_hash: string }[]>`
        SELECT id, dedup_key, content_hash FROM processed_event WHERE dedup_key = ANY(${missing}::text[])`;
      for (const f of found) existing.set(f.dedup_key, { id: BigInt(f.id), contentHash: f.content_hash });
    }

    const decisions = new Map<string, Decision>();
    for (const c of live) {
      const { dedupKey, contentHash, explicitKey } = c.pending.item.identity!;
      const insertedId = insertedIds.get(dedupKey);
      if (insertedId !== undefined && candidates.get(dedupKey) === c) {
        decisions.set(c.rawId, { status: "processed", processedEventId: insertedId });
        continue;
      }
      const owner = insertedId !== undefined ? { id: insertedId, contentHash: candidates.get(dedupKey)!.pending.item.identity!.contentHash } : existing.get(dedupKey);
      if (!owner) throw new Error(`processed event for ${dedupKey} vanished`);
      if (owner.contentHash !== contentHash) {
        const error = new AppError("IDEMPOTENCY_KEY_REUSED", `Idempotency key "${explicitKey}" was already used for a different event; use a new key for a new event`, {
          field: "idempotencyKey",
        });
        decisions.set(c.rawId, { status: "rejected", processedEventId: null, error });
      } else {
        decisions.set(c.rawId, { status: "duplicate", processedEventId: owner.id });
      }
    }

    const ids = [...decisions.keys()];
    const ds = ids.map((id) => decisions.get(id)!);
    const keyOf = new Map(live.map((c) => [c.rawId, c.pending.item.identity!.dedupKey]));
    await tx.$executeRaw`
      UPDATE raw_event AS r SET status = v.status::"RawEventStatus", dedup_key = v.dedup_key, processed_event_id = v.pid,
             reason = v.reason, processed_at = now()
      FROM unnest(${ids}::uuid[], ${ds.map((d) => d.status)}::text[], ${ids.map((id, i) => (ds[i]!.status === "rejected" ? null : keyOf.get(id)!))}::text[],
                  ${ds.map((d) => (d.processedEventId === null ? null : d.processedEventId.toString()))}::bigint[], ${ds.map((d) => d.error?.message ?? null)}::text[])
        AS v(id, status, dedup_key, pid, reason)
      WHERE r.id = v.id`;

    const finishedElsewhere = group.filter((c) => !mine.has(c.rawId));
    const lateOutcomes = new Map<string, ProcessOutcome>();
    for (const c of finishedElsewhere) lateOutcomes.set(c.rawId, await outcomeOfRaw(tx, c.rawId));

    return group.map((c): ProcessOutcome => {
      const d = decisions.get(c.rawId);
      if (!d) return lateOutcomes.get(c.rawId)!;
      if (d.status === "rejected") return { outcome: "rejected", error: d.error! };
      return { outcome: d.status === "processed" ? "counted" : "deduplicated", processedEventId: d.processedEventId! };
    });
  }, db.transactionOptions);
}

async function outcomeOfRaw(tx: P.TransactionClient, rawId: string): Promise<ProcessOutcome> {
  const raw = await tx.rawEvent.findUniqueOrThrow({ where: { id: rawId }, select: { status: true, processedEventId: true, reason: true } });
  if (raw.status === "processed") return { outcome: "counted", processedEventId: raw.processedEventId ?? 0n };
  if (raw.status === "duplicate") return { outcome: "deduplicated", processedEventId: raw.processedEventId ?? 0n };
  if (raw.status === "rejected") return { outcome: "rejected", error: new AppError("INVALID_EVENT", raw.reason ?? "rejected") };
  throw new Error(`raw event ${rawId} ended ${raw.status}: ${raw.reason ?? ""}`);
}

/**
 * True when the database answered with an error about the data or the transaction
 * (SQLSTATE classes 22 data, 23 integrity, 40 rollback/deadlock, 42 schema, P0 raised):
 * retrying event by event can isolate it. Connection loss and timeouts are not.
 */
function isDataError(err: unknown): boolean {
  const code = (err as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } } | null)?.meta?.driverAdapterError?.cause?.originalCode;
  if (typeof code === "string") return /^(22|23|40|42|P0)/.test(code);
  return !/connect|terminat|timeout|ECONN|EPIPE|closed|Connection|pool/i.test(errorSummary(err));
}

async function mapLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
