// Liveness and readiness for load balancers. Liveness: the process answers. Readiness: the
// database answers within its timeout and every migration is applied.
import type { ServerResponse } from "node:http";
import type { ServerContext } from "../context";
import { pendingMigrations } from "../db/migrate";
import { sendJson } from "./rest";

// GET /api/health – liveness
export function getHealth(res: ServerResponse): void {
  sendJson(res, 200, { status: "ok" });
}

// GET /api/ready – readiness: database reachable and migrated
export async function getReady(res: ServerResponse, ctx: ServerContext): Promise<void> {
  const started = Date.now();
  try {
    const pending = await withTimeout(pendingMigrations(ctx.db), ctx.config.DB_QUERY_TIMEOUT_MS);
    if (pending.length > 0) {
      sendJson(res, 503, { status: "not-ready", database: "up", pendingMigrations: pending }, { "retry-after": "1" });
      return;
    }
    sendJson(res, 200, { status: "ready", database: ctx.db.kind, latencyMs: Date.now() - started });
  } catch (err) {
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    sendJson(res, 503, { status: "not-ready", database: "down", reason }, { "retry-after": "1" });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
