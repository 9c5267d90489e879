// Liveness and readiness for load balancers. Liveness: the process answers. Readiness: the
// database answers within its timeout, every migration is applied, and the database role
// may write what ingesting writes (db/readiness.ts). A not-ready answer says which of
// "down" (an outage: it passes), "migrating" or "misconfigured" (an operator must act) with
// a reason in fixed words; the driver's own text goes to the log, once per change of state
// so a load balancer polling through an outage does not flood it.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ServerContext } from "../context";
import { classifyDatabaseError, misconfigurationReason } from "../db/database-errors";
import { checkDatabaseReadiness } from "../db/readiness";
import { errorDetail } from "../errors";
import { drainGateFor } from "./drain";
import { requestLog } from "../observability/request-id";
import { sendJson } from "./rest";

// GET /api/health – liveness
export function getHealth(res: ServerResponse): void {
  sendJson(res, 200, { status: "ok" });
}

class ReadinessTimeout extends Error {}

/** The last not-ready state logged per context (a key of database state and reason). */
const lastLogged = new WeakMap<ServerContext, string>();

// GET /api/ready – readiness: not stopping, database reachable, migrated and writable by this role
export async function getReady(req: IncomingMessage, res: ServerResponse, ctx: ServerContext): Promise<void> {
  const retryAfter = { "retry-after": String(ctx.config.RETRY_AFTER_SECONDS) };
  // From the stop signal on, so load balancers stop sending before the instance stops answering.
  if (drainGateFor(ctx).draining) return sendJson(res, 503, { status: "draining" }, retryAfter);
  const log = requestLog(ctx.log, req);
  const started = Date.now();
  const timeoutMs = ctx.config.DB_QUERY_TIMEOUT_MS;
  const notReady = (body: Record<string, unknown>, detail: Record<string, unknown>) => {
    const key = `${String(body.database)}:${String(body.reason ?? "")}`;
    if (lastLogged.get(ctx) !== key) {
      lastLogged.set(ctx, key);
      if (body.database === "misconfigured") log.error("not ready", { ...body, ...detail });
      else log.warn("not ready", { ...body, ...detail });
    }
    sendJson(res, 503, { status: "not-ready", ...body }, retryAfter);
  };
  try {
    const readiness = await withTimeout(checkDatabaseReadiness(ctx.db), timeoutMs);
    if (readiness.state === "migrating") return notReady({ database: "up", pendingMigrations: readiness.pendingMigrations }, {});
    if (readiness.state === "misconfigured") return notReady({ database: "misconfigured", reason: readiness.reason }, { role: readiness.role });
    if (lastLogged.delete(ctx)) log.info("ready again", { database: ctx.db.kind });
    sendJson(res, 200, { status: "ready", database: ctx.db.kind, latencyMs: Date.now() - started });
  } catch (err) {
    if (err instanceof ReadinessTimeout) return notReady({ database: "down", reason: `the database did not answer within ${timeoutMs} ms` }, {});
    const detail = errorDetail(err);
    if (classifyDatabaseError(err) === "misconfigured") {
      return notReady({ database: "misconfigured", reason: misconfigurationReason(detail.sqlstate) }, detail);
    }
    notReady({ database: "down", reason: "the database cannot be reached or failed the check (details in the server log)" }, detail);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadinessTimeout()), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
