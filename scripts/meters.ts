// npm run meters -- list                                        slug, aggregation, event type, value, group-by, backfill, skipped
// npm run meters -- create <slug> --aggregation <SUM|COUNT|…> --event-type <metric> [--value '$.tokens']
//                          [--group-by model='$.model' …] [--name …] [--description …] [--event-from <RFC 3339>]
// npm run meters -- show <slug or id>
// npm run meters -- delete <slug or id>
// npm run meters -- query <slug or id> [--from …] [--to …] [--window DAY] [--zone Asia/Kolkata]
//                         [--group-by subject …] [--subject …] [--filter model=gpt-4 …] [--json]
//
// Finds its data as `npm run keys` does: the database the configuration names (.env,
// DATABASE_URL or the PGlite folder), or, while the app holds the embedded folder, that app
// (its tRPC meters.* procedures at HOST:PORT, with ADMIN_TOKEN when access control is on);
// `--url` asks any server. The meter's rules are the API's own (src/lib/meters-schema.ts),
// checked before anything is opened, so a wrong definition or query is refused with the
// server's message (after the option it came from), exit 2, as a usage error. What only the
// meter or the database can decide (a slug in use, an unknown meter, a group-by key the meter
// lacks, a bound not on a whole minute) is the server's answer (or the same domain code's):
// its message and its code, exit 2; a database failure is exit 1.
// On the database, like keys: a meter is a row the write path reads in every counting statement, so it counts new events at once; only its backfill of earlier events waits for a running app's recovery worker (its next pass, every RECOVERY_INTERVAL_MS) instead of starting at once, and it also works while no app runs.
import type { z } from "zod";
import {
  meterCreateInputSchema,
  meterIdOrSlugSchema,
  meterQueryRequestSchema,
  meterQueryRequestSchemaFor,
  type MeterCreate,
  type MeterQueryRequest,
  type MeterQueryResult,
} from "../src/lib/meters-schema";
import type { meterViewSchema } from "../src/server/api/routers/meters";
import type { Database } from "../src/server/db/database";
import { migrate } from "../src/server/db/migrate";
import { AppError, errorSummary } from "../src/server/errors";
import { createMeter, deleteMeter, getMeter, listMeters, meterOf, meterViewOf, meterViewsOf } from "../src/server/meters/meters";
import { queryMeter } from "../src/server/meters/query";
import { firstIssue } from "../src/server/validation-issue";
import { fail, loadCliConfig, parseCli, usageError } from "./support/cli";
import { openTarget, serverRefusal, type Target } from "./support/open-target";

type MeterView = z.infer<typeof meterViewSchema>;
/** What a create answers: the meter and its backfill, not yet how many events it skipped. */
type CreatedMeter = Omit<MeterView, "skipped"> & { skipped?: number };

interface MeterStore {
  list(): Promise<MeterView[]>;
  get(meter: string): Promise<MeterView>;
  create(input: MeterCreate): Promise<CreatedMeter>;
  delete(id: string): Promise<void>;
  query(meter: string, query: MeterQueryRequest): Promise<MeterQueryResult>;
  close(): Promise<void>;
}

const usage = `usage:
  npm run meters -- list
  npm run meters -- create <slug> --aggregation <${["SUM", "COUNT", "UNIQUE_COUNT", "AVG", "MIN", "MAX", "LATEST"].join("|")}> --event-type <metric>
                   [--value <JSONPath>] [--group-by <key>=<JSONPath> …] [--name <text>] [--description <text>] [--event-from <RFC 3339>]
  npm run meters -- show <slug or id>
  npm run meters -- delete <slug or id>
  npm run meters -- query <slug or id> [--from <RFC 3339>] [--to <RFC 3339>] [--window MINUTE|HOUR|DAY|MONTH] [--zone <IANA zone>]
                   [--group-by subject|<key> …] [--subject <subject> …] [--filter <key>=<value> …] [--json]
--value is required unless --aggregation is COUNT (e.g. --value '$.tokens'); repeat --group-by, --subject and --filter for more.
options: --url <server URL> (ask a running server instead of the database)
While the app holds the embedded database, the CLI asks it (at HOST:PORT, as the operator with ADMIN_TOKEN).`;

const cli = {
  name: "npm run meters",
  usage,
  maxArguments: 2,
  options: {
    aggregation: { type: "string" },
    "event-type": { type: "string" },
    value: { type: "string" },
    "group-by": { type: "string", multiple: true },
    name: { type: "string" },
    description: { type: "string" },
    "event-from": { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    window: { type: "string" },
    zone: { type: "string" },
    subject: { type: "string", multiple: true },
    filter: { type: "string", multiple: true },
    json: { type: "boolean" },
    url: { type: "string" },
  },
} as const;
const { positionals, values } = parseCli(cli);
const [command, arg] = positionals;
if (!command) usageError(cli, "say which command: list, create, show, delete or query");

type Option = keyof typeof cli.options;
const commandOptions: Record<string, readonly Option[]> = {
  list: [],
  create: ["aggregation", "event-type", "value", "group-by", "name", "description", "event-from"],
  show: [],
  delete: [],
  query: ["from", "to", "window", "zone", "group-by", "subject", "filter", "json"],
};

/** The CLI option each field of the API's schemas comes from, to name it in a refusal. */
const optionOfField: Record<string, string> = {
  aggregation: "--aggregation",
  eventType: "--event-type",
  valueProperty: "--value",
  groupBy: "--group-by",
  name: "--name",
  description: "--description",
  eventFrom: "--event-from",
  from: "--from",
  to: "--to",
  windowSize: "--window",
  windowTimeZone: "--zone",
  subject: "--subject",
  filterGroupBy: "--filter",
};

/** The API's first refusal of what the options say, as the server words it, after the option it came from. */
function refused(error: z.ZodError): never {
  const { issue } = firstIssue(error);
  const option = optionOfField[String(issue?.path[0] ?? "")];
  return usageError(cli, `${command}: ${option ? `${option}: ` : ""}${issue?.message ?? "invalid input"}`);
}

/** `key=rest` options (--group-by of create, --filter): split at the first "=". */
function pairs(option: string, given: string[] | undefined, example: string): [string, string][] {
  return (given ?? []).map((text) => {
    const at = text.indexOf("=");
    if (at <= 0) usageError(cli, `${command}: --${option} "${text}" must be <key>=<${option === "filter" ? "value" : "JSONPath"}>, e.g. --${option} ${example}`);
    return [text.slice(0, at), text.slice(at + 1)];
  });
}

// Everything the command needs is checked before the database (or the server) is opened.
type Command =
  | { kind: "list" }
  | { kind: "create"; input: MeterCreate }
  | { kind: "show"; meter: string }
  | { kind: "delete"; meter: string }
  | { kind: "query"; meter: string; query: MeterQueryRequest; json: boolean };
function parseCommand(): Command {
  const allowed = Object.hasOwn(commandOptions, command!) ? commandOptions[command!] : undefined;
  if (!allowed) return usageError(cli, `unknown command "${command}": list, create, show, delete or query`);
  const stray = (Object.keys(values) as (Option | "help")[]).find((o) => o !== "url" && o !== "help" && values[o] !== undefined && !allowed.includes(o));
  if (stray) usageError(cli, `${command}: --${stray} is not an option of ${command}`);
  if (command === "list") {
    if (arg !== undefined) usageError(cli, `list: unexpected argument "${arg}"`);
    return { kind: "list" };
  }
  if (arg === undefined) usageError(cli, `${command}: say which meter (${command === "create" ? "its slug" : "its slug or id"})`);
  if (command === "create") {
    const groupBy = pairs("group-by", values["group-by"], "model='$.model'");
    const repeated = groupBy.find(([key], i) => groupBy.findIndex(([k]) => k === key) !== i);
    if (repeated) usageError(cli, `create: --group-by names ${repeated[0]} twice`);
    const parsed = meterCreateInputSchema.safeParse({
      slug: arg,
      aggregation: values.aggregation?.toUpperCase(),
      eventType: values["event-type"],
      valueProperty: values.value,
      name: values.name,
      description: values.description,
      eventFrom: values["event-from"],
      ...(groupBy.length > 0 && { groupBy: Object.fromEntries(groupBy) }),
    });
    if (!parsed.success) refused(parsed.error);
    return { kind: "create", input: parsed.data };
  }
  const meter = meterIdOrSlugSchema.safeParse(arg);
  if (!meter.success) usageError(cli, `${command}: ${meter.error.issues[0]?.message}`);
  if (command === "show" || command === "delete") return { kind: command, meter: meter.data };
  const filters = new Map<string, string[]>();
  for (const [key, value] of pairs("filter", values.filter, "model=gpt-4")) filters.set(key, [...(filters.get(key) ?? []), value]);
  const query: MeterQueryRequest = {
    ...(values.from !== undefined && { from: values.from }),
    ...(values.to !== undefined && { to: values.to }),
    ...(values.window !== undefined && { windowSize: values.window.toUpperCase() as MeterQueryRequest["windowSize"] }),
    ...(values.zone !== undefined && { windowTimeZone: values.zone }),
    ...(values.subject && { subject: values.subject }),
    ...(values["group-by"] && { groupBy: values["group-by"] }),
    ...(filters.size > 0 && { filterGroupBy: Object.fromEntries(filters) }),
  };
  const checked = meterQueryRequestSchema.safeParse(query);
  if (!checked.success) refused(checked.error);
  return { kind: "query", meter: meter.data, query, json: values.json === true };
}
const cmd = parseCommand();

const config = loadCliConfig();

function httpStore(target: Extract<Target, { kind: "server" }>): MeterStore {
  const client = target.api;
  return {
    list: () => client.meters.list.query(),
    get: (meter) => client.meters.get.query({ meter }),
    create: (input) => client.meters.create.mutate(input),
    delete: async (meter) => void (await client.meters.delete.mutate({ meter })),
    query: (meter, query) => client.meters.query.query({ meter, query }),
    close: async () => {},
  };
}

async function databaseStore(db: Database): Promise<MeterStore> {
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    return fail(`meters ${command}: ${errorSummary(err)}`, 1);
  }
  return {
    list: async () => meterViewsOf(db, await listMeters(db)),
    get: async (meter) => meterViewOf(db, await getMeter(db, meter)),
    create: async (input) => meterOf(await createMeter(db, input)),
    delete: (meter) => deleteMeter(db, meter),
    query: async (meter, query) => {
      // As the server does (tRPC meters.query): the query checked against the meter's group-by keys.
      const m = await getMeter(db, meter);
      const checked = meterQueryRequestSchemaFor({ groupBy: m.groupBy as Record<string, string> }).safeParse(query);
      if (!checked.success) {
        const { field, issue } = firstIssue(checked.error);
        throw new AppError("INVALID_QUERY", issue?.message ?? `${field} is invalid`, { field });
      }
      return queryMeter(db, m, checked.data);
    },
    close: () => db.close(),
  };
}

const print = (line = "") => process.stdout.write(`${line}\n`);
const backfillOf = (m: CreatedMeter) => (m.backfill.done ? "done" : `${Math.floor(m.backfill.progress * 100)}%`);
const groupByOf = (m: CreatedMeter) =>
  Object.entries(m.groupBy ?? {})
    .map(([key, path]) => `${key}=${path}`)
    .join(",") || "-";

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows]) print(r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd());
}

function printMeter(m: CreatedMeter): void {
  const lines: [string, string][] = [
    ["id", m.id],
    ["slug", m.slug],
    ["name", m.name],
    ["description", m.description ?? ""],
    ["aggregation", m.aggregation],
    ["event type", m.eventType],
    ["value", m.valueProperty ?? "- (COUNT counts events)"],
    ["group-by", groupByOf(m)],
    ["events from", m.eventFrom ?? "(all)"],
    ...(m.metadata ? [["metadata", Object.entries(m.metadata).map(([k, v]) => `${k}=${v}`).join(",")] as [string, string]] : []),
    ["created", m.createdAt],
    ["updated", m.updatedAt],
    ...(m.deletedAt ? [["deleted", m.deletedAt] as [string, string]] : []),
    ["backfill", backfillOf(m)],
    ...(m.skipped !== undefined ? [["skipped", String(m.skipped)] as [string, string]] : []),
  ];
  for (const [label, value] of lines) print(`${`${label}:`.padEnd(13)}${value}`.trimEnd());
}

function printQuery(result: MeterQueryResult, query: MeterQueryRequest, slug: string): void {
  if (result.data.length === 0) {
    print(`No data: no counted event of ${slug} matches this query.`);
    return;
  }
  const bySubject = (query.groupBy ?? []).includes("subject") || (query.subject ?? []).length > 0;
  const keys = [...new Set((query.groupBy ?? []).filter((k) => k !== "subject"))];
  const rows = result.data.map((r) => [
    r.windowStart,
    r.windowEnd,
    bySubject ? (r.subject ?? "(none)") : "(all)",
    ...keys.map((k) => r.groupBy[k] ?? "(none)"),
    String(r.value),
  ]);
  table(["windowStart", "windowEnd", "subject", ...keys, "value"], rows);
}

const target = await openTarget(config, `meters ${command}`, { url: values.url });
const store = target.kind === "server" ? httpStore(target) : await databaseStore(target.db);
/** Why the server (or, on the database, the meters' own code) refused: its message and its code. */
function refusal(err: unknown): { message: string; code: number } {
  if (target.kind === "server") return { message: serverRefusal(err, target.url, config), code: 2 };
  if (err instanceof AppError) return { message: `${err.message} (${err.code})`, code: 2 };
  return { message: errorSummary(err), code: 1 };
}

let code = 0;
try {
  if (cmd.kind === "list") {
    const meters = await store.list();
    if (meters.length === 0) print("No meters yet. Create one: npm run meters -- create <slug> --aggregation COUNT --event-type <metric>");
    else {
      const rows = meters.map((m) => [m.slug, m.aggregation, m.eventType, m.valueProperty ?? "-", groupByOf(m), backfillOf(m), String(m.skipped)]);
      table(["slug", "aggregation", "event type", "value property", "group-by", "backfill", "skipped"], rows);
    }
  } else if (cmd.kind === "create") {
    const created = await store.create(cmd.input);
    print(`Created meter ${created.slug}.`);
    printMeter(created);
    if (!created.backfill.done && target.kind === "database") {
      print(`\nThe events counted before it are added by the app's recovery worker on its next pass (now, if the app runs; else when it starts).`);
    }
  } else if (cmd.kind === "show") {
    printMeter(await store.get(cmd.meter));
  } else if (cmd.kind === "delete") {
    const meter = await store.get(cmd.meter);
    if (meter.deletedAt) print(`Meter ${meter.slug} (${meter.id}) was already deleted at ${meter.deletedAt}.`);
    else {
      await store.delete(meter.id);
      print(`Deleted meter ${meter.slug} (${meter.id}): its slug is free again; the meter stays readable by its id.`);
    }
  } else {
    const meter = await store.get(cmd.meter);
    const result = await store.query(meter.id, cmd.query);
    if (!meter.backfill.done) {
      process.stderr.write(`meters query: ${meter.slug} is still counting the events from before it was created (backfill ${backfillOf(meter)}): this answer leaves some of them out.\n`);
    }
    if (cmd.json) print(JSON.stringify(result));
    else printQuery(result, cmd.query, meter.slug);
  }
} catch (err) {
  const why = refusal(err);
  process.stderr.write(`meters ${command}: ${why.message}\n`);
  code = why.code;
} finally {
  await store.close();
}
process.exit(code);
