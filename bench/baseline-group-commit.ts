// The second batch baseline of `npm run bench`: the app's group-commit SQL as it was at
// commit 8c25579 (src/server/ingest/group-commit.ts and rollup.ts there), driven by bare
// `pg` with no HTTP, no validation and no Prisma, with the same groups the app is sent. It
// is self-contained on purpose — its own copy of that commit's schema (raw_event,
// processed_event, metric_aggregate) in a database of its own, its own copy of the SQL — so
// it keeps measuring the same thing while the app's schema and write path change.
// Per group (one batch of one source), as the app did then:
//   - capture: one multi-row INSERT of every raw event, `received`, in autocommit;
//   - processing: one transaction, two statements. Statement 1 locks the group's raw rows,
//     inserts the first event of each dedup key into processed_event (ON CONFLICT DO
//     NOTHING) and marks those raw rows `processed`; statement 2 (a fresh snapshot) marks the
//     others `duplicate` (or `rejected` for a reused key) and adds what statement 1 inserted
//     to the rollups.
// The per-event work the app does between them and that SQL needs is done here too: the
// payload as JSON text, the content hash and the dedup key (SHA-256 of the same canonical
// JSON), a time-ordered id. Fallbacks for poison events and the recovery worker's path are
// left out: the bench sends none.
//
// Run as a child process by `startGroupCommitBaseline` (one connection per simulated client,
// all open before the first window, so PostgreSQL's CPU per backend is read whole); it
// answers `run` messages over IPC with what a window did, including the CPU its own
// event generation took (the load generator's share), timed around each synchronous call.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";
import { v7 as timeOrderedUuid } from "uuid";
import { ownCpuMs } from "./cpu";
import { BatchWorkload, type BatchGroup } from "./workload";

/** raw_event, processed_event and metric_aggregate as prisma/migrations left them at 8c25579 (column order included). */
export const schemaAt8c25579 = `
  CREATE TYPE "RawEventStatus" AS ENUM ('received', 'processed', 'duplicate', 'rejected', 'failed', 'not_counted');
  CREATE TYPE "RawEventFormat" AS ENUM ('event', 'segment', 'posthog');
  CREATE TABLE raw_event (
    id uuid NOT NULL,
    source text NOT NULL,
    payload jsonb NOT NULL,
    idempotency_key text,
    status "RawEventStatus" DEFAULT 'received' NOT NULL,
    reason text,
    dedup_key text,
    attempts integer DEFAULT 0 NOT NULL,
    received_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    next_attempt_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    processed_at timestamp(3) with time zone,
    processed_event_id bigint,
    format "RawEventFormat" DEFAULT 'event' NOT NULL,
    reason_code text,
    CONSTRAINT raw_event_pkey PRIMARY KEY (id));
  CREATE TABLE processed_event (
    id bigserial NOT NULL,
    dedup_key text NOT NULL,
    content_hash text NOT NULL,
    source text NOT NULL,
    metric text NOT NULL,
    value numeric(65,30) NOT NULL,
    occurred_at timestamp(3) with time zone NOT NULL,
    attributes jsonb NOT NULL,
    raw_event_id uuid,
    created_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT processed_event_pkey PRIMARY KEY (id));
  CREATE TABLE metric_aggregate (
    source text NOT NULL,
    metric text NOT NULL,
    count bigint NOT NULL,
    sum numeric(65,30) NOT NULL,
    min numeric(65,30) NOT NULL,
    max numeric(65,30) NOT NULL,
    first_seen_at timestamp(3) with time zone NOT NULL,
    last_seen_at timestamp(3) with time zone NOT NULL,
    updated_at timestamp(3) with time zone NOT NULL,
    CONSTRAINT metric_aggregate_pkey PRIMARY KEY (source, metric));
  CREATE INDEX processed_event_created_at_idx ON processed_event (created_at);
  CREATE UNIQUE INDEX processed_event_dedup_key_key ON processed_event (dedup_key);
  CREATE UNIQUE INDEX processed_event_raw_event_id_key ON processed_event (raw_event_id);
  CREATE INDEX raw_event_received_at_idx ON raw_event (received_at);
  CREATE INDEX raw_event_source_received_at_idx ON raw_event (source, received_at);
  CREATE INDEX raw_event_status_next_attempt_at_idx ON raw_event (status, next_attempt_at);
  ALTER TABLE processed_event ADD CONSTRAINT processed_event_raw_event_id_fkey
    FOREIGN KEY (raw_event_id) REFERENCES raw_event(id) ON UPDATE CASCADE ON DELETE SET NULL;
  ALTER TABLE raw_event ADD CONSTRAINT raw_event_processed_event_id_fkey
    FOREIGN KEY (processed_event_id) REFERENCES processed_event(id) ON UPDATE CASCADE ON DELETE SET NULL;`;

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/** An event as the app had it after reading it: normalized, identified, captured. */
interface Captured {
  rawId: string;
  receivedAt: Date;
  source: string;
  metric: string;
  value: number;
  dedupKey: string;
  contentHash: string;
  explicitKey: string;
}

/** The capture statement at 8c25579 (insertRawEvents), every event `received`. */
const captureSql = `
  INSERT INTO raw_event (id, source, payload, format, idempotency_key, status, reason, reason_code, next_attempt_at, processed_at)
  SELECT id, source, payload, format, idempotency_key, status, reason, reason_code, next_attempt_at, CASE WHEN status = 'received' THEN NULL ELSE now() END
  FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::text[]::"RawEventFormat"[], $5::text[], $6::text[]::"RawEventStatus"[], $7::text[], $8::text[], $9::timestamptz[])
    AS t(id, source, payload, format, idempotency_key, status, reason, reason_code, next_attempt_at)
  RETURNING id::text AS id, received_at`;

/** Processing statement 1 at 8c25579 (processGroup). */
const processFirstSql = `
  WITH locked AS (
    SELECT id FROM raw_event WHERE id = ANY($1::uuid[]) AND status = 'received'
    ORDER BY id FOR UPDATE),
  v AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::timestamptz[], $8::jsonb[], $9::uuid[])
      AS v(dedup_key, content_hash, source, metric, value, occurred_at, attributes, raw_event_id)
    WHERE raw_event_id IN (SELECT id FROM locked)),
  ins AS (
    INSERT INTO processed_event (dedup_key, content_hash, source, metric, value, occurred_at, attributes, raw_event_id)
    SELECT * FROM v ORDER BY dedup_key
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id, dedup_key, raw_event_id),
  upd AS (
    UPDATE raw_event AS r SET status = 'processed', dedup_key = ins.dedup_key, processed_event_id = ins.id, reason = NULL, reason_code = NULL, processed_at = now()
    FROM ins WHERE r.id = ins.raw_event_id)
  SELECT 'locked' AS kind, id::text AS raw_id, NULL::bigint AS pid FROM locked
  UNION ALL
  SELECT 'inserted', raw_event_id::text, id FROM ins`;

/** Processing statement 2 at 8c25579 (processGroup), with the rollup of rollup.ts (addToRollupsSql). */
const processSecondSql = `
  WITH v AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
      AS v(raw_id, dedup_key, content_hash, reason)),
  e AS (
    SELECT v.raw_id, v.dedup_key, v.reason, p.id AS pid, p.content_hash = v.content_hash AS same
    FROM v JOIN processed_event p ON p.dedup_key = v.dedup_key),
  marked AS (
    UPDATE raw_event AS r SET
      status = (CASE WHEN e.same THEN 'duplicate' ELSE 'rejected' END)::"RawEventStatus",
      dedup_key = CASE WHEN e.same THEN e.dedup_key END,
      processed_event_id = CASE WHEN e.same THEN e.pid END,
      reason = CASE WHEN e.same THEN NULL ELSE e.reason END,
      reason_code = CASE WHEN e.same THEN NULL ELSE 'IDEMPOTENCY_KEY_REUSED' END,
      processed_at = now()
    FROM e WHERE r.id = e.raw_id
    RETURNING r.id::text AS raw_id, e.pid, e.same),
  agg AS (
    INSERT INTO metric_aggregate AS a (source, metric, count, sum, min, max, first_seen_at, last_seen_at, updated_at)
    SELECT source, metric, count(*), sum(value), min(value), max(value), min(occurred_at), max(occurred_at), now()
    FROM processed_event WHERE id = ANY($5::bigint[])
    GROUP BY source, metric ORDER BY source, metric
    ON CONFLICT (source, metric) DO UPDATE SET
      count = a.count + EXCLUDED.count,
      sum = a.sum + EXCLUDED.sum,
      min = LEAST(a.min, EXCLUDED.min),
      max = GREATEST(a.max, EXCLUDED.max),
      first_seen_at = LEAST(a.first_seen_at, EXCLUDED.first_seen_at),
      last_seen_at = GREATEST(a.last_seen_at, EXCLUDED.last_seen_at),
      updated_at = now())
  SELECT raw_id, pid, same FROM marked`;

/** Capture, then process, one group: what the app's write path did with it at 8c25579. Returns events counted and deduplicated. */
export async function ingestGroup(
  client: pg.Client,
  group: BatchGroup,
  recoveryDelayMs: number,
): Promise<{ counted: number; deduplicated: number }> {
  // What the app computes per event before capture: payload JSON, identity, a time-ordered id.
  const ids = group.events.map(() => timeOrderedUuid());
  const identities = group.events.map((e) => ({
    // JCS of { source, metric, value, timestamp, attributes } and of { source, idempotencyKey }:
    // keys sorted, and these values serialize in JCS exactly as JSON.stringify does.
    contentHash: sha256(
      JSON.stringify({ attributes: {}, metric: e.payload.metric, source: e.source, timestamp: null, value: e.payload.value }),
    ),
    dedupKey: sha256(JSON.stringify({ idempotencyKey: e.payload.eventId, source: e.source })),
  }));
  const nextAttemptAt = new Date(Date.now() + recoveryDelayMs).toISOString();
  const n = group.events.length;
  const captured = await client.query<{ id: string; received_at: Date }>(captureSql, [
    ids,
    group.events.map((e) => e.source),
    group.events.map((e) => JSON.stringify(e.payload)),
    Array<string>(n).fill("event"),
    group.events.map((e) => e.payload.eventId),
    Array<string>(n).fill("received"),
    Array<null>(n).fill(null),
    Array<null>(n).fill(null),
    Array<string>(n).fill(nextAttemptAt),
  ]);
  const receivedAt = new Map(captured.rows.map((r) => [r.id, r.received_at]));
  const events: Captured[] = group.events.map((e, i) => ({
    rawId: ids[i]!,
    receivedAt: receivedAt.get(ids[i]!) ?? new Date(),
    source: e.source,
    metric: e.payload.metric,
    value: e.payload.value,
    explicitKey: e.payload.eventId,
    ...identities[i]!,
  }));
  return processGroup(client, events);
}

async function processGroup(client: pg.Client, group: Captured[]): Promise<{ counted: number; deduplicated: number }> {
  await client.query("BEGIN");
  try {
    const candidates = new Map<string, Captured>();
    for (const c of group) if (!candidates.has(c.dedupKey)) candidates.set(c.dedupKey, c);
    const rows = [...candidates.values()];
    const first = await client.query<{ kind: "locked" | "inserted"; raw_id: string; pid: string | null }>(processFirstSql, [
      group.map((c) => c.rawId),
      rows.map((c) => c.dedupKey),
      rows.map((c) => c.contentHash),
      rows.map((c) => c.source),
      rows.map((c) => c.metric),
      rows.map((c) => String(c.value)),
      rows.map((c) => c.receivedAt.toISOString()),
      rows.map(() => "{}"),
      rows.map((c) => c.rawId),
    ]);
    const locked = new Set(first.rows.filter((r) => r.kind === "locked").map((r) => r.raw_id));
    const inserted = first.rows.filter((r) => r.kind === "inserted");
    const insertedRaw = new Set(inserted.map((r) => r.raw_id));
    const rest = group.filter((c) => locked.has(c.rawId) && !insertedRaw.has(c.rawId));
    const reused = (c: Captured) =>
      `Idempotency key "${c.explicitKey}" was already used for a different event; use a new key for a new event`;
    const second = await client.query<{ raw_id: string; pid: string; same: boolean }>(processSecondSql, [
      rest.map((c) => c.rawId),
      rest.map((c) => c.dedupKey),
      rest.map((c) => c.contentHash),
      rest.map(reused),
      inserted.map((r) => r.pid),
    ]);
    if (second.rows.length !== rest.length) throw new Error("an event's dedup key has no processed event");
    if (locked.size !== group.length) throw new Error("a raw event was not `received` (nothing else processes this database)");
    await client.query("COMMIT");
    return { counted: inserted.length, deduplicated: second.rows.filter((r) => r.same).length };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

/** What one measured window of the driver did. */
export interface DriverWindow {
  groups: number;
  events: number;
  counted: number;
  deduplicated: number;
  errors: number;
  seconds: number;
  /** Milliseconds from a group's capture to its processing commit. */
  p50: number;
  p99: number;
  /** CPU ms this process spent generating the groups (the load generator's share). */
  generateCpuMs: number;
}

export interface DriverOptions {
  databaseUrl: string;
  connections: number;
  batchSize: number;
  retryShare: number;
  recoveryDelayMs: number;
}

type ToDriver = { type: "run"; seconds: number } | { type: "stop" };
type FromDriver = { type: "ready" } | { type: "window"; window: DriverWindow } | { type: "error"; message: string };

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function driverMain(opts: DriverOptions): Promise<void> {
  const setup = new pg.Client({ connectionString: opts.databaseUrl });
  await setup.connect();
  await setup.query(schemaAt8c25579);
  await setup.end();
  const clients = await Promise.all(
    Array.from({ length: opts.connections }, async () => {
      const c = new pg.Client({ connectionString: opts.databaseUrl });
      await c.connect();
      return c;
    }),
  );
  const workload = new BatchWorkload(opts.batchSize, opts.retryShare);
  const send = (m: FromDriver) => process.send?.(m);

  async function run(seconds: number): Promise<DriverWindow> {
    const deadline = performance.now() + seconds * 1000;
    const latencies: number[] = [];
    const w = { groups: 0, events: 0, counted: 0, deduplicated: 0, errors: 0, generateCpuMs: 0 };
    const started = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < deadline) {
          const cpu0 = ownCpuMs();
          const group = workload.take();
          w.generateCpuMs += ownCpuMs() - cpu0;
          const t0 = performance.now();
          try {
            const r = await ingestGroup(client, group, opts.recoveryDelayMs);
            latencies.push(performance.now() - t0);
            w.groups++;
            w.events += group.events.length;
            w.counted += r.counted;
            w.deduplicated += r.deduplicated;
          } catch (err) {
            w.errors++;
            if (w.errors === 1) process.stderr.write(`bare group-commit baseline: ${err instanceof Error ? err.message : String(err)}\n`);
          }
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    return { ...w, seconds: (performance.now() - started) / 1000, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  }

  process.on("message", (m: ToDriver) => {
    if (m.type === "stop") {
      void Promise.all(clients.map((c) => c.end())).finally(() => process.exit(0));
      return;
    }
    run(m.seconds).then(
      (window) => send({ type: "window", window }),
      (err: unknown) => send({ type: "error", message: err instanceof Error ? err.message : String(err) }),
    );
  });
  send({ type: "ready" });
}

export interface GroupCommitBaseline {
  pid: number;
  /** Drives the groups for `seconds` over every connection; resolves with what the window did. */
  run(seconds: number): Promise<DriverWindow>;
  stop(): Promise<void>;
}

/** Starts the driver as a child process (its own CPU apart from the bench's) on a database of its own. */
export async function startGroupCommitBaseline(opts: DriverOptions): Promise<GroupCommitBaseline> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), JSON.stringify(opts)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let waiting: { resolve(m: FromDriver): void; reject(e: Error): void } | undefined;
  const next = () => new Promise<FromDriver>((resolve, reject) => (waiting = { resolve, reject }));
  child.on("message", (m: FromDriver) => waiting?.resolve(m));
  child.on("exit", (code) => waiting?.reject(new Error(`the bare group-commit baseline exited with ${code}`)));
  const ready = await next();
  if (ready.type !== "ready") throw new Error(`the bare group-commit baseline did not start: ${JSON.stringify(ready)}`);
  return {
    pid: child.pid!,
    async run(seconds) {
      const answer = next();
      child.send({ type: "run", seconds } satisfies ToDriver);
      const m = await answer;
      if (m.type !== "window") throw new Error(`the bare group-commit baseline failed: ${JSON.stringify(m)}`);
      return m.window;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.send({ type: "stop" } satisfies ToDriver);
      await exited;
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await driverMain(JSON.parse(process.argv[2] ?? "{}") as DriverOptions);
}
