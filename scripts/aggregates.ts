// npm run aggregates:check     recomputes every aggregate from the processed events and prints
//                              the rows that differ, all-time per (source, metric), per UTC day
//                              and per hour;
//                              exit 1 if any, 0 if none
// npm run aggregates:rebuild   rewrites those rows from the processed events, while ingestion
//                              goes on (src/server/aggregates/rebuild-rollups.ts says why that
//                              is safe); exit 0 once every row agrees
// Exit 2: the check could not run (usage, database, server).
//
// Reads the same configuration as the server (.env, DATABASE_URL or the PGlite folder). While
// the server holds the embedded folder, asks that server (tRPC rollups.*, with ADMIN_TOKEN);
// `--url` asks a given server.
import { checkRollups, describeRollupDifference, levelOf, type RollupLevel } from "../src/server/aggregates/check-rollups";
import { rebuildRollups } from "../src/server/aggregates/rebuild-rollups";
import { errorSummary } from "../src/server/errors";
import type { MeterDifference, RollupCheck, RollupDifference, RollupRebuild } from "../src/lib/rollups-schema";
import { describeMeterDifference } from "../src/server/meters/check-meters";
import { loadCliConfig, parseCli, usageError } from "./support/cli";
import { openTarget, serverRefusal } from "./support/open-target";

const usage = `usage:
  npm run aggregates:check   [-- --url <server URL>]
  npm run aggregates:rebuild [-- --url <server URL>]
While the app holds the embedded database, both ask it (at HOST:PORT, as the operator with ADMIN_TOKEN).`;

// package.json passes the command (check or rebuild) before the operator's arguments.
const cli = { name: `npm run aggregates:${process.argv[2] === "rebuild" ? "rebuild" : "check"}`, usage, maxArguments: 1, options: { url: { type: "string" } } } as const;
const { positionals, values } = parseCli(cli);
const [command] = positionals;
if (command !== "check" && command !== "rebuild") usageError(cli, `unknown command "${command ?? ""}": check or rebuild`);

const config = loadCliConfig();
const print = (line = "") => process.stdout.write(`${line}\n`);
const list = (differences: RollupDifference[]) => differences.forEach((d) => print(`  ${describeRollupDifference(d)}`));
const listMeters = (differences: MeterDifference[]) => differences.forEach((d) => print(`  ${describeMeterDifference(d)}`));
type Counts = Pick<RollupCheck, "groups" | "days" | "hours">;
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
/** "2 of 200 aggregates (source/metric), 0 of 150 daily rows and 1 of 3400 hourly rows": how many of each level differ. */
const counted = (differences: RollupDifference[], of: Counts) => {
  const at = (level: RollupLevel) => differences.filter((d) => levelOf(d) === level).length;
  return `${at("all-time")} of ${plural(of.groups, "aggregate")} (source/metric), ${at("day")} of ${plural(of.days, "daily row")} and ${at("hour")} of ${plural(of.hours, "hourly row")}`;
};
const everything = (of: Counts) => `${plural(of.groups, "aggregate")} (source/metric), ${plural(of.days, "daily row")} and ${plural(of.hours, "hourly row")}`;

function report(result: RollupCheck | RollupRebuild): number {
  if ("repaired" in result) {
    if (result.repaired.length === 0) print(`Nothing to repair: all ${everything(result)} agree with the processed events.`);
    else {
      print(`Repaired ${counted(result.repaired, result)}; what was wrong:`);
      list(result.repaired);
    }
    if (result.metersRebuilt.length > 0) print(`Recounted ${plural(result.metersRebuilt.length, "meter")} from their events: ${result.metersRebuilt.join(", ")}`);
    if (result.remaining.length === 0 && result.metersRemaining.length === 0) return 0;
    print(`Still differing after the rebuild (something besides the write path changed them meanwhile; run it again):`);
    list(result.remaining);
    listMeters(result.metersRemaining);
    return 1;
  }
  if (result.differences.length === 0 && result.meters.length === 0) {
    print(`All ${everything(result)} agree with the processed events, and every backfilled meter's rollups too.`);
    return 0;
  }
  if (result.differences.length > 0) {
    print(`${counted(result.differences, result)} differ from the processed events:`);
    list(result.differences);
  }
  if (result.meters.length > 0) {
    print(`${plural(result.meters.length, "meter rollup row")} differ from the processed events:`);
    listMeters(result.meters);
  }
  print(`Repair them with: npm run aggregates:rebuild`);
  return 1;
}

let code = 2;
try {
  // A check reads every processed event in one statement: the request timeout does not fit it.
  // A repair transaction keeps DB_TRANSACTION_TIMEOUT_MS, since ingestion waits on its locks.
  const target = await openTarget(config, `aggregates ${command}`, { url: values.url, database: { queryTimeoutMs: Math.max(config.DB_QUERY_TIMEOUT_MS, 600_000) } });
  if (target.kind === "server") {
    try {
      code = report(command === "check" ? await target.api.rollups.check.query() : await target.api.rollups.rebuild.mutate());
    } catch (err) {
      throw new Error(serverRefusal(err, target.url, config), { cause: err });
    }
  } else {
    try {
      code = report(command === "check" ? await checkRollups(target.db) : await rebuildRollups(target.db));
    } finally {
      await target.db.close();
    }
  }
} catch (err) {
  process.stderr.write(`aggregates ${command}: ${errorSummary(err)}\n`);
}
process.exit(code);
