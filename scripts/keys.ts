// npm run keys -- create --source <source> [--label <text>]     a write key for one source
// npm run keys -- create --read [--source <source>] [--label …]   a read key (all sources, or one)
// npm run keys -- list                                           prefix, scope, source, label, dates
// npm run keys -- revoke <key or prefix>
//
// Reads the same configuration as the server (.env, DATABASE_URL or the PGlite folder) and
// works on the database directly. The embedded PGlite folder can only be open in one
// process, so while the server holds it the CLI asks that server instead (its tRPC keys.*
// procedures at http://127.0.0.1:$PORT, with ADMIN_TOKEN when access control is on);
// `--url` does the same for any server. A created key is printed alone on the last line.
import type { TRPCClient } from "@trpc/client";
import type { AppRouter } from "../src/server/api/root";
import { keyView } from "../src/server/api/routers/keys";
import { createApiKey, listApiKeys, revokeApiKey } from "../src/server/auth/api-keys";
import type { Database } from "../src/server/db/database";
import { migrate } from "../src/server/db/migrate";
import { fail, loadCliConfig, parseCli, usageError } from "./support/cli";
import { openTarget, serverRefusal, type Target } from "./support/open-target";
import { createKeyInputSchema, revokeKeyInputSchema, type ApiKeyView, type CreatedKeyView, type CreateKeyInput } from "../src/lib/keys-schema";

interface KeyStore {
  create(input: CreateKeyInput): Promise<CreatedKeyView>;
  list(): Promise<ApiKeyView[]>;
  revoke(key: string): Promise<ApiKeyView>;
  close(): Promise<void>;
}

const usage = `usage:
  npm run keys -- create --source <source> [--label <text>]
  npm run keys -- create --read [--source <source>] [--label <text>]
  npm run keys -- list
  npm run keys -- revoke <key or prefix>
options: --url <server URL> (ask a running server instead of the database)
While the app holds the embedded database, the CLI asks it (at HOST:PORT, as the operator with ADMIN_TOKEN).`;

const cli = {
  name: "npm run keys",
  usage,
  maxArguments: 2,
  options: { source: { type: "string" }, label: { type: "string" }, read: { type: "boolean" }, url: { type: "string" } },
} as const;
const { positionals, values } = parseCli(cli);
const [command, arg] = positionals;
if (!command) usageError(cli, "say which command: create, list or revoke");

const config = loadCliConfig();

function httpStore(client: TRPCClient<AppRouter>): KeyStore {
  return {
    create: (input) => client.keys.create.mutate(input),
    list: () => client.keys.list.query(),
    revoke: (key) => client.keys.revoke.mutate({ key }),
    close: async () => {},
  };
}

async function databaseStore(db: Database): Promise<KeyStore> {
  await migrate(db).catch(async (err: unknown) => {
    await db.close();
    throw err;
  });
  return {
    create: async (input) => {
      const { key, record } = await createApiKey(db, input);
      return { key, info: keyView(record) };
    },
    list: async () => (await listApiKeys(db)).map(keyView),
    revoke: async (key) => keyView(await revokeApiKey(db, key)),
    close: () => db.close(),
  };
}

async function openStore(target: Target): Promise<KeyStore> {
  return target.kind === "server" ? httpStore(target.api) : databaseStore(target.db);
}

function printKey(k: ApiKeyView): void {
  const lines = [
    `prefix:    ${k.prefix}`,
    `scope:     ${k.scope}`,
    `source:    ${k.source ?? "(all sources)"}`,
    `label:     ${k.label ?? ""}`,
    `created:   ${k.createdAt}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

// Everything the command needs is checked before the database is opened.
type Command = { kind: "create"; input: CreateKeyInput } | { kind: "list" } | { kind: "revoke"; key: string };
function parseCommand(): Command {
  if (command === "create") {
    const parsed = createKeyInputSchema.safeParse({ scope: values.read ? "read" : "write", source: values.source, label: values.label });
    if (!parsed.success) usageError(cli, parsed.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; "));
    return { kind: "create", input: parsed.data };
  }
  if (command === "list") return { kind: "list" };
  if (command === "revoke") {
    const parsed = revokeKeyInputSchema.safeParse({ key: arg });
    if (!parsed.success) usageError(cli, `revoke: ${parsed.error.issues[0]?.message}`);
    return { kind: "revoke", key: parsed.data.key };
  }
  return usageError(cli, `unknown command "${command}"`);
}
const cmd = parseCommand();

const target = await openTarget(config, `keys ${command}`, { url: values.url });
const store = await openStore(target);
try {
  if (cmd.kind === "create") {
    const created = await store.create(cmd.input);
    printKey(created.info);
    process.stdout.write(`\nThe key is shown once; store it now.\n${created.key}\n`);
  } else if (cmd.kind === "list") {
    const keys = await store.list();
    if (keys.length === 0) process.stdout.write("No keys yet. Create one: npm run keys -- create --source <source>\n");
    else {
      const rows = keys.map((k) => [k.prefix, k.scope, k.source ?? "*", k.label ?? "", k.createdAt, k.lastUsedAt ?? "never", k.revokedAt ? `revoked ${k.revokedAt}` : "active"]);
      const header = ["prefix", "scope", "source", "label", "created", "last used", "status"];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const r of [header, ...rows]) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()}\n`);
    }
  } else {
    const revoked = await store.revoke(cmd.key);
    process.stdout.write(`Revoked ${revoked.prefix} (${revoked.scope}${revoked.source ? `, source ${revoked.source}` : ""}) at ${revoked.revokedAt}\n`);
  }
} catch (err) {
  fail(`keys ${command}: ${target.kind === "server" ? serverRefusal(err, target.url, config) : (err as Error).message}`, 2);
} finally {
  await store.close();
}
