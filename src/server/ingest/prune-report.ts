// A prune as an operator asks for it (`npm run db:prune`, on the database or through the
// running app's tRPC `retention.prune`): what is due, then, unless it is a dry run, the prune
// itself, by the retention's one rule (prune-raw-events.ts).
import type { PruneInput, PruneReport } from "../../lib/retention-schema";
import type { Database } from "../db/database";
import { pruneCandidates, pruneRawEvents } from "./prune-raw-events";

export async function pruneWithReport(db: Database, input: Required<PruneInput>): Promise<PruneReport> {
  const c = await pruneCandidates(db, input.days);
  const deleted = input.dryRun ? null : await pruneRawEvents(db, { olderThanDays: input.days });
  return {
    days: input.days,
    cutoff: c.cutoff.toISOString(),
    byStatus: c.byStatus,
    total: c.total,
    oldest: c.oldest?.toISOString() ?? null,
    newest: c.newest?.toISOString() ?? null,
    deleted,
  };
}
