// npm run db:prune -- [--dry-run] [--days N] [--url <server URL>]
// Deletes raw events older than N days (default RAW_RETENTION_DAYS) whose processing has
// finished, in small batches; processed events, counts and dedup stay (README "Operations",
// Retention). --dry-run prints what would go, per status, and deletes nothing. Reads the
// configuration like the server (.env, then the environment) and works on the database; while
// the app holds the embedded folder it asks the app instead (tRPC retention.prune, as the
// operator with ADMIN_TOKEN), as `keys` and `aggregates:*` do; `--url` asks a given server.
import type { PruneReport } from "../src/lib/retention-schema";
import { errorSummary } from "../src/server/errors";
import { pruneWithReport } from "../src/server/ingest/prune-report";
import { fail, loadCliConfig, parseCli, usageError } from "./support/cli";
import { openTarget, serverRefusal } from "./support/open-target";

const cli = {
  name: "npm run db:prune",
  usage: `usage: npm run db:prune -- [--dry-run] [--days N] [--url <server URL>]   (N: at least 1; default RAW_RETENTION_DAYS)
While the app holds the embedded database, the prune asks it (at HOST:PORT, as the operator with ADMIN_TOKEN).`,
  options: { "dry-run": { type: "boolean" }, days: { type: "string" }, url: { type: "string" } },
} as const;
const { values } = parseCli(cli);
const config = loadCliConfig();
const days = values.days === undefined ? config.RAW_RETENTION_DAYS : Number(values.days);
if (days === undefined) usageError(cli, "RAW_RETENTION_DAYS is not set: say how old with --days N");
if (!Number.isInteger(days) || days < 1 || days > 36_500) usageError(cli, "--days must be a whole number of days, from 1 to 36500");
const input = { days, dryRun: values["dry-run"] ?? false };

function print(r: PruneReport): void {
  const statuses = Object.entries(r.byStatus).map(([s, n]) => `${s} ${n}`).join(", ") || "none";
  const lines = [`Raw events received before ${r.cutoff} (${r.days} days) whose processing has finished: ${r.total} (${statuses})`];
  if (r.oldest) lines.push(`  oldest ${r.oldest}, newest ${r.newest}`);
  lines.push(r.deleted === null ? "Dry run: nothing deleted." : `Deleted ${r.deleted} raw events. Processed events, counts and dedup keys are unchanged.`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

const target = await openTarget(config, "db:prune", { url: values.url });
if (target.kind === "server") {
  try {
    print(await target.api.retention.prune.mutate(input));
  } catch (err) {
    fail(`db:prune: ${serverRefusal(err, target.url, config)}`, 2);
  }
} else {
  try {
    print(await pruneWithReport(target.db, input));
  } catch (err) {
    fail(`db:prune: ${errorSummary(err)}`, 1);
  } finally {
    await target.db.close();
  }
}
