// The service's Prometheus metrics (prom-client), kept per database handle: one process has
// one, and tests that run several servers in one process each read their own numbers. Every
// label has a bounded set of values: routes are the route table's paths (never a raw URL),
// statuses and outcomes come from our own code. The process's own metrics (event-loop lag,
// CPU, memory, GC) are process-wide, in one registry of their own.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "../db/database";
import { AppError } from "../errors";

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly registers = [this.registry];

  readonly httpRequests = new Counter({
    name: "ingest_http_requests_total",
    help: "HTTP requests answered, by route (the route table's path, /api/trpc, page or unmatched), method and status (499: the client left first)",
    labelNames: ["route", "method", "status"] as const,
    registers: this.registers,
  });
  readonly httpDuration = new Histogram({
    name: "ingest_http_request_duration_seconds",
    help: "Time from a request's arrival to the end of its answer, by route",
    labelNames: ["route"] as const,
    buckets: SECONDS,
    registers: this.registers,
  });
  readonly httpInFlight = new Gauge({ name: "ingest_http_requests_in_flight", help: "Requests arrived and not yet answered", registers: this.registers });

  readonly events = new Counter({
    name: "ingest_events_total",
    help: "Events the write path decided, by outcome: counted, deduplicated, not_counted (SDK calls kept), rejected (4xx: stored rejected or refused), unavailable (503: an outage, retry), failed (other 5xx: stored failed, a misconfiguration, a bug), abandoned (the client left before capture)",
    labelNames: ["outcome"] as const,
    registers: this.registers,
  });
  readonly eventDuration = new Histogram({
    name: "ingest_event_processing_seconds",
    help: "Time one event spends in the write path (validate, capture, process, commit), whatever its outcome",
    buckets: SECONDS,
    registers: this.registers,
  });
  readonly groupSize = new Histogram({
    name: "ingest_group_commit_events",
    help: "Events per group commit (one capture statement and one processing transaction)",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers: this.registers,
  });
  readonly recovery = new Counter({
    name: "ingest_recovery_events_total",
    help: "Raw events the recovery worker handled, by outcome: recovered, retrying (will be tried again), failed (given up for good)",
    labelNames: ["outcome"] as const,
    registers: this.registers,
  });

  // Read at scrape time (observability/scrape.ts).
  readonly backlog = new Gauge({
    name: "ingest_recovery_backlog_events",
    help: "Raw events captured and still waiting to be processed (status received), counted up to 100000",
    registers: this.registers,
  });
  readonly backlogOldest = new Gauge({
    name: "ingest_recovery_backlog_oldest_seconds",
    help: "Age of the oldest raw event still waiting to be processed (0 when none)",
    registers: this.registers,
  });
  readonly databaseUp = new Gauge({ name: "ingest_database_up", help: "1 when the scrape's backlog query succeeded, 0 when the database failed it", registers: this.registers });
  readonly poolConnections = new Gauge({
    name: "ingest_db_pool_connections",
    help: "PostgreSQL pool connections by state (in_use, idle) and its size (max); absent on PGlite",
    labelNames: ["state"] as const,
    registers: this.registers,
  });
  readonly poolWaiting = new Gauge({ name: "ingest_db_pool_waiting", help: "Queries waiting for a PostgreSQL pool connection; absent on PGlite", registers: this.registers });
  readonly groupQueued = new Gauge({ name: "ingest_group_commit_queued_events", help: "Events waiting for the next group commit", registers: this.registers });
  readonly groupFlushing = new Gauge({ name: "ingest_group_commit_flushing_events", help: "Events in group commits under way", registers: this.registers });
  readonly pendingEvents = new Gauge({ name: "ingest_pending_events", help: "Events admitted and not yet answered (MAX_PENDING_EVENTS bounds it)", registers: this.registers });
  readonly draining = new Gauge({ name: "ingest_draining", help: "1 from a stop signal to the exit (readiness answers 503)", registers: this.registers });
}

const byDatabase = new WeakMap<Database, ServiceMetrics>();

/** The metrics of the server over this database handle. */
export function metricsOf(db: Database): ServiceMetrics {
  let metrics = byDatabase.get(db);
  if (!metrics) byDatabase.set(db, (metrics = new ServiceMetrics()));
  return metrics;
}

let processRegistry: Registry | undefined;

/** Event-loop lag, CPU, memory, GC, handles: one process, one set (started on first use). */
export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

type WriteOutcome = "counted" | "deduplicated" | "not_counted";
/** The outcome label of an event: what the write path decided, or what its failure says. */
export type EventOutcomeLabel = WriteOutcome | ReturnType<typeof failureOutcome>;

/** Runs one event through the write path (`run`), counting its outcome and timing it. */
export async function observeIngest<T extends { outcome: WriteOutcome }>(db: Database, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  let label: EventOutcomeLabel = "failed";
  try {
    const result = await run();
    label = result.outcome;
    return result;
  } catch (err) {
    label = failureOutcome(err);
    throw err;
  } finally {
    observeEvents(db, [label], (performance.now() - started) / 1000);
  }
}

/** Events decided together (a batch): each outcome counted, each event's time in the write path observed. */
export function observeEvents(db: Database, labels: readonly EventOutcomeLabel[], seconds: number): void {
  const metrics = metricsOf(db);
  const counts = new Map<EventOutcomeLabel, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  for (const [outcome, n] of counts) metrics.events.inc({ outcome }, n);
  for (let i = 0; i < labels.length; i++) metrics.eventDuration.observe(seconds);
}

/** The outcome label of an event whose write failed with `err`. */
export function failureOutcome(err: unknown): "rejected" | "unavailable" | "failed" | "abandoned" {
  if (!(err instanceof AppError)) return "failed";
  if (err.code === "CLIENT_CLOSED") return "abandoned";
  if (err.status < 500) return "rejected";
  return err.status === 503 ? "unavailable" : "failed";
}

/** A group commit leaving with `events` events. */
export function observeGroup(db: Database, events: number): void {
  metricsOf(db).groupSize.observe(events);
}

/** What one recovery pass did. */
export function observeRecovery(db: Database, report: { recovered: number; failed: number; retrying: number }): void {
  const { recovery } = metricsOf(db);
  for (const outcome of ["recovered", "failed", "retrying"] as const) if (report[outcome] > 0) recovery.inc({ outcome }, report[outcome]);
}
