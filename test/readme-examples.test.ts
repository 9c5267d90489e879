// The README's examples, run top to bottom on a fresh database over real HTTP, as a reader would
// type them, on PGlite and on PostgreSQL: what each command prints must be what the README
// shows under it.
//
// An example is a ```bash block right after an `<!-- example: NAME -->` comment. The comment
// may name the server's settings, `<!-- example: NAME (AUTH_REQUIRED=true, REQUIRE_EVENT_KEY=true) -->`:
// the test starts one server per distinct set of settings, all on the same database (without
// settings: the development defaults, access control off). Every block runs in README order in
// one bash process, so a variable one block exports is there for the next; `localhost:3000`
// is rewritten to the server the block names. `$ADMIN_TOKEN` is the servers' operator token,
// and `$WRITE_KEY` (a write key for source `shop`) and `$READ_KEY` (a read key for every
// source) are created before the first block with the function `npm run keys -- create` calls.
//
// The rule for output, which the README states once ("Examples"): in a block, every line that
// starts with `# ` is output, and the lines of output after a command are exactly what the
// commands above them printed, line for line (no trailing newline needed). An output line
// that starts with `#` and three or more spaces continues the line above (its leading spaces
// dropped), so long JSON can wrap. `…` stands for a value that varies between runs (a time,
// an id, a key, a cursor, the database's kind) and matches any text without a double quote,
// so it never hides a field. A command with no output lines under it may print anything, and
// must exit 0.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../src/server/auth/api-keys";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { checkInvariants } from "./support/invariants";
import { backends, createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

interface Step {
  /** The command text (one or more lines of bash). */
  command: string;
  /** The lines it must print, or null when a command has no output lines under it. */
  expected: string[] | null;
}

interface Example {
  name: string;
  settings: Record<string, string>;
  steps: Step[];
}

const EXAMPLE = /<!-- example: ([\w-]+)(?: \(([^)]*)\))? -->\n```bash\n([\s\S]*?)\n```/g;

/** The README's examples, in order. */
function readmeExamples(readme: string): Example[] {
  return [...readme.matchAll(EXAMPLE)].map(([, name, settings, body]) => ({
    name: name!,
    settings: Object.fromEntries(
      (settings ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => s.split("=") as [string, string]),
    ),
    steps: stepsOf(body!),
  }));
}

function stepsOf(body: string): Step[] {
  const steps: Step[] = [];
  let command: string[] = [];
  let expected: string[] = [];
  const flush = () => {
    if (command.length > 0) steps.push({ command: command.join("\n"), expected: expected.length > 0 ? expected : null });
    command = [];
    expected = [];
  };
  for (const line of body.split("\n")) {
    if (line.startsWith("#")) {
      const text = line.replace(/^# ?/, "");
      if (/^ {2,}/.test(text) && expected.length > 0) expected[expected.length - 1] += text.trimStart();
      else expected.push(text);
    } else {
      if (expected.length > 0) flush();
      command.push(line);
    }
  }
  flush();
  return steps;
}

/** True when `actual` is what the README shows: equal, each `…` standing for any text. */
function matchesLine(expected: string, actual: string): boolean {
  const pattern = expected
    .split("…")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join('[^"]*?');
  return new RegExp(`^${pattern}$`, "s").test(actual);
}

const SEPARATOR = "\x1e";
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const examples = readmeExamples(readme);
const ADMIN_TOKEN = "readme-examples-operator-token-0123456789";

function run(script: string, env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      "bash",
      ["-c", script],
      { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && err.killed) reject(err);
        else resolve({ stdout, stderr });
      },
    );
  });
}

describe("the README's examples", () => {
  it("are found, with output to check, including the quickstart's", () => {
    expect(examples.map((e) => e.name)).toContain("quickstart");
    expect(examples.length).toBeGreaterThanOrEqual(8);
    expect(new Set(examples.map((e) => e.name)).size).toBe(examples.length);
    for (const e of examples) expect(e.steps.length, e.name).toBeGreaterThan(0);
  });

  it("read the output rule as the header says", () => {
    const [example] = readmeExamples(
      '<!-- example: t (A=1) -->\n```bash\necho \'{"a":1,\' \\\n  \'"b":2}\'\n# {"a":1,\n#   "b":2}\ntrue\ndate\n# …\n```',
    );
    expect(example).toEqual({
      name: "t",
      settings: { A: "1" },
      steps: [
        { command: "echo '{\"a\":1,' \\\n  '\"b\":2}'", expected: ['{"a":1,"b":2}'] },
        { command: "true\ndate", expected: ["…"] },
      ],
    });
    expect(matchesLine('{"id":"…","n":1}', '{"id":"4f0c-9","n":1}')).toBe(true);
    expect(matchesLine('{"id":"…","n":1}', '{"id":"4f0c-9","n":2}')).toBe(false);
    expect(matchesLine('{"id":"…"}', '{"id":"4f0c-9","n":2}')).toBe(false);
  });
});

describe.each(backends)("the README's examples on %s", (kind) => {
  let t: TestDatabase;
  const apps = new Map<string, HttpApp>();
  const env: Record<string, string> = { ADMIN_TOKEN };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    for (const e of examples) {
      const id = JSON.stringify(e.settings);
      if (!apps.has(id)) apps.set(id, await startHttpApp(testContext(t.db, { ADMIN_TOKEN, ...e.settings })));
    }
    env.WRITE_KEY = (await createApiKey(t.db, { scope: "write", source: "shop" })).key;
    env.READ_KEY = (await createApiKey(t.db, { scope: "read" })).key;
  });
  afterAll(async () => {
    for (const app of apps.values()) await app.close();
    expect(await checkInvariants(t.db)).toEqual([]);
    await t?.drop();
  });

  it("each prints what the README shows, run in README order on a fresh database", async () => {
    const steps = examples.flatMap((e) => {
      const url = apps.get(JSON.stringify(e.settings))!.url;
      return e.steps.map((s) => ({
        example: e.name,
        ...s,
        script: s.command.replaceAll("http://localhost:3000", url).replaceAll("localhost:3000", url),
      }));
    });
    const script =
      `printf '${SEPARATOR}start${SEPARATOR}\\n'\n` +
      steps.map((s, i) => `${s.script}\n__rc=$?; printf '\\n${SEPARATOR}%s %s${SEPARATOR}\\n' ${i} "$__rc"`).join("\n");
    const { stdout, stderr } = await run(script, env);
    const parts = stdout.split(new RegExp(`\\n?${SEPARATOR}(start|\\d+ \\d+)${SEPARATOR}\\n`));
    const printed = new Map<number, { text: string; rc: number }>();
    for (let i = 3; i < parts.length; i += 2) {
      const [index, rc] = parts[i]!.split(" ").map(Number);
      printed.set(index!, { text: parts[i - 1]!.replace(/\n$/, ""), rc: rc! });
    }
    expect(printed.size, `every command ran; stderr:\n${stderr}`).toBe(steps.length);
    const mismatches = steps.flatMap((s, i) => {
      const { text, rc } = printed.get(i)!;
      const lines = text.split("\n");
      const ok =
        s.expected === null ? rc === 0 : lines.length === s.expected.length && s.expected.every((e, j) => matchesLine(e, lines[j]!));
      return ok ? [] : [{ example: s.example, command: s.command, expected: s.expected ?? "(exit 0)", printed: lines, exit: rc }];
    });
    expect(mismatches).toEqual([]);
  });
});
