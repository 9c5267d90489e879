// One argument parser for every script (node:util parseArgs, strict): a script declares its
// options, how many arguments it takes and its usage, and every script then answers alike:
// - `--help` / `-h`: the usage on stdout, exit 0;
// - an unknown option, an option without its value, one argument too many: one line naming
//   it, then the usage, on stderr, exit 2 (never a stack trace);
// - `usageError(message)`: the same for a script's own check of its arguments.
// Exit codes across the scripts: 0 done, 1 done and found a problem (or the database refused),
// 2 could not run (usage, configuration, no server, no credential).
import { parseArgs, type ParseArgsConfig } from "node:util";
import { loadProcessConfig, type Config } from "../../src/server/config";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface CliSpec<O extends Options> {
  /** How the script is run, e.g. `npm run keys`: the start of each error line. */
  name: string;
  usage: string;
  options: O;
  /** Most arguments besides the options (default none). */
  maxArguments?: number;
  /** The arguments (default: this process's). */
  argv?: string[];
}

const helpOption = { help: { type: "boolean", short: "h" } } as const;

export interface Cli<O extends Options> {
  values: ReturnType<typeof parseArgs<{ options: O & typeof helpOption; allowPositionals: true; strict: true }>>["values"];
  positionals: string[];
}

/** Parses the arguments by `spec`, or ends the process as the header says. */
export function parseCli<O extends Options>(spec: CliSpec<O>): Cli<O> {
  let parsed;
  try {
    parsed = parseArgs({ args: spec.argv ?? process.argv.slice(2), options: { ...spec.options, ...helpOption }, allowPositionals: true, strict: true });
  } catch (err) {
    return usageError(spec, parseProblem(err));
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${spec.usage}\n`);
    process.exit(0);
  }
  const extra = parsed.positionals[spec.maxArguments ?? 0];
  if (extra !== undefined) usageError(spec, `unexpected argument "${extra}"`);
  return { values: parsed.values, positionals: parsed.positionals };
}

/** A script's own refusal of its arguments: one line (after the script's name), then the usage, on stderr; exit 2. */
export function usageError(spec: Pick<CliSpec<Options>, "name" | "usage">, message: string): never {
  return fail(`${spec.name}: ${message}\n${spec.usage}`, 2);
}

/** The configuration, read as the server reads it (.env, then the environment); a wrong value: its message, exit 2. */
export function loadCliConfig(): Config {
  try {
    return loadProcessConfig();
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err), 2);
  }
}

/** Prints `message` on stderr and exits with `code`. */
export function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** parseArgs's complaint in one line, naming the option as it was typed. */
function parseProblem(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const named = /'([^']+)'/.exec(message)?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option ${named}`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    // "Option '--url <value>' argument missing", "Option '-h, --help' does not take an argument"
    const option = named.split(/[ ,]+/).find((p) => p.startsWith("--")) ?? named;
    return message.includes("argument missing") ? `option ${option} needs a value` : `option ${option} takes no value`;
  }
  return message.split("\n")[0] ?? message;
}
