// The stop sequence on SIGTERM/SIGINT (README "Operations", Graceful drain). A rolling deploy
// must cost clients nothing: every request that reached this instance gets a whole answer.
//   1. readiness answers 503 at once; everything else is still served, each answer closing
//      its connection, for SHUTDOWN_GRACE_MS (load balancers take the instance out);
//   2. new requests are answered 503 SHUTTING_DOWN (Retry-After, Connection: close) while the
//      requests already running finish, for at most SHUTDOWN_TIMEOUT_MS; the recovery worker
//      stops claiming meanwhile (an event it leaves `received` waits for another instance);
//   3. once those requests are done and no request has come for a moment (http/drain.ts),
//      the listeners close; connections still open at the deadline are cut, and logged;
//   4. the worker's current event is finished, the database pool closes; the caller exits 0.
import type { Server } from "node:http";
import type { ServerContext } from "./context";
import { drainGateFor } from "./http/drain";
import type { RecoveryWorker } from "./ingest/recover-stuck-events";

/** What a stop closes; parts not started yet are left out. */
export interface Running {
  server?: Server;
  metricsServer?: Server;
  worker?: RecoveryWorker;
}

export async function stopGracefully(ctx: ServerContext, running: Running, signal: string): Promise<void> {
  const { config, log } = ctx;
  const gate = drainGateFor(ctx);
  const started = Date.now();
  gate.startDraining();
  log.info("stopping: readiness answers 503, requests still served", { signal, graceMs: config.SHUTDOWN_GRACE_MS });
  if (running.server) await sleep(config.SHUTDOWN_GRACE_MS);

  log.info("stopping: new requests refused, finishing those running", { timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  const workerStopped = running.worker?.stop();
  const deadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS;
  const unfinished = await gate.refuseAndSettle(deadline);
  if (unfinished > 0) log.warn("stopping: SHUTDOWN_TIMEOUT_MS passed, cutting the requests still running", { unfinished });
  await Promise.all([closeServer(running.server, deadline), closeServer(running.metricsServer, deadline)]);

  await workerStopped;
  await ctx.db.close();
  log.info("stopped", { signal, refused: gate.refused, cut: unfinished, durationMs: Date.now() - started });
}

/** Stops listening and waits for the server's connections to end; cuts those left at the deadline. */
async function closeServer(server: Server | undefined, deadline: number): Promise<void> {
  if (!server?.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const timer = setTimeout(() => server.closeAllConnections(), Math.max(0, deadline - Date.now()));
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
