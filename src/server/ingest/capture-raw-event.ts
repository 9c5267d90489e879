// Step 2 of the write path: store the request as a raw event and commit, before anything
// else. A raw event that stays `received` is the recovery worker's to finish.
import type { Database } from "../db/database";
import type { RawEventFormat, RawEventStatus } from "../../generated/prisma/enums";
import type { Prisma as P } from "../../generated/prisma/client";

export interface CaptureInput {
  source: string;
  payload: Record<string, unknown>;
  /** How the payload reads (this service's event, or an SDK's message). */
  format: RawEventFormat;
  idempotencyKey: string | null;
  /**
   * `rejected` (with a reason) when the payload is already known to be unusable;
   * `not_counted` for an SDK call that is kept but never counted.
   */
  status?: Extract<RawEventStatus, "received" | "rejected" | "not_counted">;
  reason?: string;
  /** The request path gets this long to finish before the recovery worker may step in. */
  recoveryDelayMs: number;
}

export async function captureRawEvent(db: Database, input: CaptureInput): Promise<{ id: string; receivedAt: Date }> {
  const now = Date.now();
  return db.prisma.rawEvent.create({
    data: {
      source: input.source,
      payload: input.payload as P.InputJsonObject,
      format: input.format,
      idempotencyKey: input.idempotencyKey,
      status: input.status ?? "received",
      reason: input.reason ?? null,
      nextAttemptAt: new Date(now + input.recoveryDelayMs),
    },
    select: { id: true, receivedAt: true },
  });
}
