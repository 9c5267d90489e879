// Admission control: overload is refused at the door, not absorbed. Each process keeps a
// backlog count of the events admitted into the write path and not yet answered; a request
// that would take it past MAX_PENDING_EVENTS is answered 503 OVERLOADED before its body is
// read. Invariants:
// - a request is admitted whole or refused whole (a batch never half-admitted);
// - before its body is read, a request is counted for the most events its body can hold,
//   so the count never understates the work admitted; once parsed it shrinks to the real
//   number (never grows);
// - the count is released when the request's work has ended (answered, or dropped because
//   its client left), not when the socket closes: captured events still being processed
//   stay counted.
// Hand-written: no library bounds in-process work by a count the request announces itself.
import type { IncomingMessage } from "node:http";
import type { ServerContext } from "../context";
import type { Config } from "../config";
import { AppError } from "../errors";

/** The shortest event a batch can carry, `{"source":"a","payload":{}}`, plus its comma. */
const SMALLEST_EVENT_BYTES = 28;
/** Refusals are logged as one summary at most this often: overload must not flood the log too. */
const REPORT_EVERY_MS = 10_000;
/** A refused body up to this size is drained to keep the connection; a larger one is not read. */
const DRAIN_REFUSED_BYTES = 64 * 1024;

export interface Admission {
  readonly events: number;
  /** Lowers the count to what the parsed body really holds. */
  shrinkTo(events: number): void;
  /** Idempotent. */
  release(): void;
}

export class Backlog {
  private held = 0;
  private refusedSinceReport = 0;
  private lastReport = 0;

  constructor(
    readonly limit: number,
    private readonly report?: (refused: number, pending: number) => void,
  ) {}

  /** Events admitted and not yet answered. */
  get pending(): number {
    return this.held;
  }

  /** Admits `events` or throws 503 OVERLOADED; 0 events (a read) is always admitted. */
  admit(events: number): Admission {
    if (events > 0 && this.held + events > this.limit) {
      this.noteRefusal();
      throw new AppError(
        "OVERLOADED",
        `The server is at capacity (${this.held} events pending, limit ${this.limit}); nothing was stored, retry later`,
      );
    }
    this.held += events;
    let count = events;
    return {
      get events() {
        return count;
      },
      shrinkTo: (n) => {
        const next = Math.max(0, Math.min(count, n));
        this.held -= count - next;
        count = next;
      },
      release: () => {
        this.held -= count;
        count = 0;
      },
    };
  }

  private noteRefusal(): void {
    this.refusedSinceReport++;
    const now = Date.now();
    if (this.report && now - this.lastReport >= REPORT_EVERY_MS) {
      this.report(this.refusedSinceReport, this.held);
      this.refusedSinceReport = 0;
      this.lastReport = now;
    }
  }
}

const backlogs = new WeakMap<ServerContext, Backlog>();

/** The backlog of this process (one per server context). */
export function backlogFor(ctx: ServerContext): Backlog {
  let backlog = backlogs.get(ctx);
  if (!backlog) {
    const limit = ctx.config.MAX_PENDING_EVENTS;
    backlog = new Backlog(limit, (refused, pending) =>
      ctx.log.warn("overloaded: ingest requests refused with 503", { refused, pending, limit }),
    );
    backlogs.set(ctx, backlog);
  }
  return backlog;
}

/** The body length that bounds its events: unknown (undefined) when it is compressed. */
export function plainLength(req: IncomingMessage): string | undefined {
  const encoding = req.headers["content-encoding"];
  return encoding === undefined || encoding.trim().toLowerCase() === "identity" ? req.headers["content-length"] : undefined;
}

/**
 * The most events a request to `route` can carry, known before its body is read: one for
 * a single event; for a batch, what `content-length` bytes can hold (MAX_BATCH_EVENTS when
 * not declared). A body declared over MAX_REQUEST_BYTES counts as none: it is refused 413
 * unread, a client's mistake that must not be answered with a retryable 503.
 */
export function eventsBound(route: "event" | "batch", contentLength: string | undefined, config: Config): number {
  const bytes = contentLength === undefined ? Number.NaN : Number(contentLength);
  if (bytes > config.MAX_REQUEST_BYTES) return 0;
  if (route === "event") return 1;
  if (!Number.isFinite(bytes) || bytes < 0) return config.MAX_BATCH_EVENTS;
  return Math.min(config.MAX_BATCH_EVENTS, Math.ceil(bytes / SMALLEST_EVENT_BYTES));
}

/**
 * Whether a refused request's body is too large to drain: reading it would cost as much as
 * accepting it (a flood of refused 1 MB batches kept the event loop busy for seconds), so
 * the answer closes the connection instead and the body is never read.
 */
export function refusedBodyIsLarge(req: IncomingMessage): boolean {
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  return !(declared <= DRAIN_REFUSED_BYTES);
}
