// The HTTP side of a graceful stop (the sequence is src/server/shutdown.ts). Three states:
// - serving;
// - draining: readiness answers 503 so load balancers take the instance out, everything else
//   is still answered, each answer with `Connection: close` so keep-alive clients reconnect
//   (elsewhere) instead of reusing a connection that is about to go;
// - refusing: every new request is answered 503 SHUTTING_DOWN (Retry-After, Connection:
//   close) except health, readiness and metrics, while the requests already running finish.
// Invariant: every request that reaches the server gets a complete answer. The listening
// socket stays open while refusing: closing it resets every connection still waiting in the
// kernel's accept queue (the empty replies this exists to prevent); it closes once the
// running requests are done and, since the last of them was answered, no request has arrived
// for QUIET_MS.
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ServerContext } from "../context";
import { AppError } from "../errors";
import { refusedBodyIsLarge } from "./admission";

/** Closing waits until no request has arrived for this long (a client told 503 goes away). */
export const QUIET_MS = 250;

export class DrainGate {
  private state: "serving" | "draining" | "refusing" = "serving";
  /** Requests not yet answered, each with the promise of its end. */
  private readonly running = new Map<ServerResponse, Promise<void>>();
  private lastArrival = 0;
  /** Requests answered 503 SHUTTING_DOWN. */
  refused = 0;

  get draining(): boolean {
    return this.state !== "serving";
  }

  get refusing(): boolean {
    return this.state === "refusing";
  }

  /** Every request, on arrival: tracked until its answer ends; while draining, its connection closes after it. */
  track(res: ServerResponse): void {
    this.running.set(
      res,
      new Promise((resolve) =>
        res.once("close", () => {
          this.running.delete(res);
          resolve();
        }),
      ),
    );
    if (this.draining) res.setHeader("connection", "close");
  }

  /** A request that is work (not a probe or a scrape) arrived: closing waits for quiet after it. */
  noteWork(): void {
    this.lastArrival = Date.now();
  }

  /** Readiness goes 503; answers from now on (and those not yet begun) close their connection. */
  startDraining(): void {
    if (this.state !== "serving") return;
    this.state = "draining";
    for (const res of this.running.keys()) if (!res.headersSent) res.setHeader("connection", "close");
  }

  /**
   * From now on new requests are refused; resolves once the requests running before have
   * ended and the server has been quiet for QUIET_MS since (and since the last arrival), or at
   * `deadline` (epoch ms). Returns
   * how many of those requests were still running then.
   */
  async refuseAndSettle(deadline: number): Promise<number> {
    this.startDraining();
    this.state = "refusing";
    const before = [...this.running.keys()];
    const late = await untilDeadline(Promise.all(this.running.values()), deadline);
    if (late) return before.filter((res) => this.running.has(res)).length;
    // Quiet is counted from the last answer too, not only the last arrival: a keep-alive client
    // whose request waited through the grace gets its answer (Connection: close) only now, and
    // its next request, on a new connection, must still find the listener to be told 503.
    // (Counted from arrivals alone, the listener closed the moment the last answer left; under
    // load e2e/drain.test.ts saw those reconnections reset or refused.)
    const settledAt = Date.now();
    for (;;) {
      const quietFor = Date.now() - Math.max(this.lastArrival, settledAt);
      if (quietFor >= QUIET_MS || Date.now() >= deadline) return 0;
      await untilDeadline(new Promise((r) => setTimeout(r, QUIET_MS - quietFor)), deadline);
    }
  }
}

/** True when `deadline` came first. */
async function untilDeadline(p: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now()))));
  try {
    return await Promise.race([p.then(() => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

const gates = new WeakMap<ServerContext, DrainGate>();

/** The drain state of the server over this context. */
export function drainGateFor(ctx: ServerContext): DrainGate {
  let gate = gates.get(ctx);
  if (!gate) gates.set(ctx, (gate = new DrainGate()));
  return gate;
}

/**
 * The refusal of a request that arrives while the server stops, to answer it with. A small
 * body is read first: closing a connection with unread bytes in flight makes the kernel reset
 * it, and the client could lose the answer. A large one is not read (the answer closes the
 * connection anyway).
 */
export async function refusalWhileStopping(req: IncomingMessage, gate: DrainGate): Promise<AppError> {
  gate.refused++;
  if (!refusedBodyIsLarge(req) && !req.readableEnded) {
    req.resume();
    await Promise.race([once(req, "end"), once(req, "close")]).catch(() => {});
  }
  return new AppError("SHUTTING_DOWN", "This instance is shutting down; nothing was stored: retry (another instance will answer)");
}
