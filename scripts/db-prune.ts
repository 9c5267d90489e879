// npm run db:prune -- [--dry-run] [--days N]
// Deletes raw events older than N days (default RAW_RETENTION_DAYS) whose processing has
// finished, in small batches; processed events, counts and dedup stay (README "Operations",
// Retention). --dry-run prints what would go, per status, and deletes nothing. Reads the
// configuration like the server (.env, then the environment). On the embedded database it
// takes the folder like the server does, so it refuses while a server holds it (that
// server prunes by itself when RAW_RETENTION_DAYS is set).
import { parseArgs } from "node:util";
import { loadProcessConfig } from "../src/server/config";
import { openDatabaseOrExit } from "./support/open-database";
import { pruneCandidates, pruneRawEvents } from "../src/server/ingest/prune-raw-events";

const usage = "usage: npm run db:prune -- [--dry-run] [--days N]   (N: at least 1; default RAW_RETENTION_DAYS)";
let args;
try {
  args = parseArgs({ options: { "dry-run": { type: "boolean" }, days: { type: "string" } }, strict: true }).values;
} catch (err) {
  console.error(`${(err as Error).message}\n${usage}`);
  process.exit(2);
}
const config = loadProcessConfig();
const days = args.days === undefined ? config.RAW_RETENTION_DAYS : Number(args.days);
if (days === undefined || !Number.isInteger(days) || days < 1) {
  console.error(args.days === undefined ? `RAW_RETENTION_DAYS is not set: say how old with --days N.\n${usage}` : `--days must be a whole number of days, at least 1.\n${usage}`);
  process.exit(2);
}

const db = openDatabaseOrExit(config);
try {
  const c = await pruneCandidates(db, days);
  const statuses = Object.entries(c.byStatus).map(([s, n]) => `${s} ${n}`).join(", ") || "none";
  console.log(`Raw events received before ${c.cutoff.toISOString()} (${days} days) whose processing has finished: ${c.total} (${statuses})`);
  if (c.oldest) console.log(`  oldest ${c.oldest.toISOString()}, newest ${c.newest?.toISOString()}`);
  if (args["dry-run"]) {
    console.log("Dry run: nothing deleted.");
  } else {
    const deleted = await pruneRawEvents(db, { olderThanDays: days });
    console.log(`Deleted ${deleted} raw events. Processed events, counts and dedup keys are unchanged.`);
  }
} finally {
  await db.close();
}
