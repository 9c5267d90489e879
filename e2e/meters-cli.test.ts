// `npm run meters` as an operator runs it, as a real process against the built server, on
// PGlite and (with TEST_DATABASE_URL) PostgreSQL. On PGlite the server holds the folder, so
// the CLI asks it (tRPC meters.*, with the operator token); on PostgreSQL the CLI works on the
// database and the server's recovery worker backfills what it creates. Either way: a meter
// created after some events counts them (backfill) and every later one (the write path);
// list, show and query print exact values (windows in a zone, by subject, by group-by key,
// filtered, raw JSON); a SUM meter without --value is refused with the server's own message;
// what only the server can decide (a slug in use, a key the meter lacks, an unknown meter) is
// its message and code, exit 2; delete frees the slug and keeps the meter readable by its id.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startApp, startAppOn, type AppProcess } from "./support/app-process";
import { runToExit, type ScriptEnv } from "../test/support/run-script";
import { backends, type BackendKind } from "../test/support/test-db";

const root = mkdtempSync(join(tmpdir(), "ingest-meters-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ADMIN = "operator-token-for-the-meters-test-0123456789";
const meters = (args: string[], env: ScriptEnv) => runToExit("scripts/meters.ts", env, { args });
const lines = (out: string) => out.trimEnd().split("\n");

/** The built app on a fresh database of `kind`, with access control on; `cli`: what the CLI is given to find it. */
async function appOn(kind: BackendKind): Promise<{ app: AppProcess; cli: ScriptEnv; dispose(): Promise<void> }> {
  const settings = { AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN, SERVE_PAGES: "false", RECOVERY_INTERVAL_MS: "100" };
  if (kind === "postgresql") {
    const app = await startAppOn("postgresql", settings);
    return { app, cli: { ...app.databaseEnv, AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN, PORT: String(app.port) }, dispose: () => app.dispose() };
  }
  // A fresh folder, migrated by the app's first start: meter queries must work at once (PGlite
  // learns array types when it opens, before the migration creates "MeterTier").
  const folder = join(root, "pglite");
  const app = await startApp({ ...settings, PGLITE_DATA_DIR: folder });
  return { app, cli: { PGLITE_DATA_DIR: folder, DATABASE_URL: undefined, AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN, PORT: String(app.port) }, dispose: () => app.stop() };
}

describe.each(backends)("npm run meters on %s", (kind) => {
  it("creates a meter that backfills and counts events, lists, shows and queries it exactly, refuses what the server refuses, and deletes it", { timeout: 300_000 }, async () => {
    const { app, cli, dispose } = await appOn(kind);
    const operator = { authorization: `Bearer ${ADMIN}` };
    const ingest = async (payload: Record<string, unknown>) => {
      const res = await fetch(`${app.url}/ingest`, { method: "POST", headers: { ...operator, "content-type": "application/json" }, body: JSON.stringify({ source: "app", payload }) });
      expect(await res.json()).toMatchObject({ success: true, deduplicated: false });
    };
    try {
      // Counted before the meter exists: the meter's backfill adds it.
      await ingest({ metric: "prompt", value: 5, subject: "c1", model: "gpt-4", timestamp: "2026-11-24T09:30:00Z" });
      expect(lines((await meters(["list"], cli)).stdout)).toEqual(["No meters yet. Create one: npm run meters -- create <slug> --aggregation COUNT --event-type <metric>"]);

      // SUM without --value: the API's own rule and message (the server's problem detail), exit 2, nothing created.
      const noValue = await meters(["create", "prompt_tokens", "--aggregation", "SUM", "--event-type", "prompt"], cli);
      const problem = await fetch(`${app.url}/api/v1/meters`, {
        method: "POST",
        headers: { ...operator, "content-type": "application/json" },
        body: JSON.stringify({ slug: "prompt_tokens", aggregation: "SUM", eventType: "prompt" }),
      });
      expect(problem.status).toBe(400);
      const { detail } = (await problem.json()) as { detail: string };
      expect(detail).toBe("valueProperty is required when aggregation is SUM (a JSONPath into the event's data, e.g. $.tokens)");
      expect([noValue.code, noValue.stdout]).toEqual([2, ""]);
      expect(noValue.stderr).toMatch(/^npm run meters: create: --value: (.+)\nusage:\n/);
      expect(lines(noValue.stderr)[0]).toBe(`npm run meters: create: --value: ${detail}`);

      const created = await meters(
        ["create", "prompt_tokens", "--aggregation", "sum", "--event-type", "prompt", "--value", "$.value", "--group-by", "model=$.model", "--name", "Prompt tokens"],
        cli,
      );
      expect([created.code, created.stderr]).toEqual([0, ""]);
      const out = lines(created.stdout);
      const id = /^id: +([0-9A-Z]{26})$/.exec(out[1] ?? "")?.[1];
      expect(id).toBeDefined();
      const stamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
      expect(out[10]).toMatch(/^created: +\S+$/);
      expect(out[10]!.split(/ +/)[1]).toMatch(stamp);
      expect(out).toEqual([
        "Created meter prompt_tokens.",
        `id:          ${id}`,
        "slug:        prompt_tokens",
        "name:        Prompt tokens",
        "description:",
        "aggregation: SUM",
        "event type:  prompt",
        "value:       $.value",
        "group-by:    model=$.model",
        "events from: (all)",
        out[10],
        out[10]!.replace("created:", "updated:"),
        // The event before it is not counted yet when the create answers.
        "backfill:    0%",
        ...(kind === "postgresql"
          ? ["", "The events counted before it are added by the app's recovery worker on its next pass (now, if the app runs; else when it starts)."]
          : []),
      ]);

      // The backfill ends on its own (the server's run, or its worker's next pass).
      await expect
        .poll(async () => ((await (await fetch(`${app.url}/api/v1/meters/prompt_tokens`, { headers: operator })).json()) as { backfill: { done: boolean } }).backfill.done)
        .toBe(true);

      // Counted after: by the write path, from /ingest payloads and CloudEvents (one without a value: skipped).
      await ingest({ metric: "prompt", value: 1, subject: "c1", model: "gpt-4", timestamp: "2026-11-24T10:00:00Z" });
      await ingest({ metric: "prompt", value: 3, subject: "c2", model: "gpt-3.5", timestamp: "2026-11-24T20:00:00Z" });
      const cloudEvents = await fetch(`${app.url}/api/v1/events`, {
        method: "POST",
        headers: { ...operator, "content-type": "application/cloudevents-batch+json" },
        body: JSON.stringify([
          { specversion: "1.0", id: "ce-1", source: "cli-test", type: "prompt", subject: "c2", time: "2026-11-25T01:00:00Z", data: { value: 4, model: "gpt-4" } },
          { specversion: "1.0", id: "ce-2", source: "cli-test", type: "prompt", subject: "c3", time: "2026-11-25T01:30:00Z", data: { model: "gpt-4" } },
        ]),
      });
      expect(await cloudEvents.json()).toMatchObject({ counted: 2 });

      const list = await meters(["list"], cli);
      expect([list.code, list.stderr]).toEqual([0, ""]);
      expect(lines(list.stdout)).toEqual([
        "slug           aggregation  event type  value property  group-by       backfill  skipped",
        "prompt_tokens  SUM          prompt      $.value         model=$.model  done      1",
      ]);
      // Through the server, given by --url, the same.
      const viaUrl = await meters(["list", "--url", app.url], cli);
      expect([viaUrl.code, viaUrl.stdout]).toEqual([0, list.stdout]);

      const shown = await meters(["show", "prompt_tokens"], cli);
      expect([shown.code, shown.stderr]).toEqual([0, ""]);
      expect(lines(shown.stdout)).toEqual([...out.slice(1, 12), "backfill:    done", "skipped:     1"]);

      // No bounds: from the first event's minute to the last one's end; one row per model.
      const byModel = await meters(["query", "prompt_tokens", "--group-by", "model"], cli);
      expect([byModel.code, byModel.stderr]).toEqual([0, ""]);
      expect(lines(byModel.stdout)).toEqual([
        "windowStart               windowEnd                 subject  model    value",
        "2026-11-24T09:30:00.000Z  2026-11-25T01:31:00.000Z  (all)    gpt-3.5  3",
        "2026-11-24T09:30:00.000Z  2026-11-25T01:31:00.000Z  (all)    gpt-4    10",
      ]);

      // Days of Asia/Kolkata (UTC+05:30), per subject: c3's event had no value, so c3 has no row.
      const daily = await meters(
        ["query", "prompt_tokens", "--from", "2026-11-24T00:00:00Z", "--to", "2026-11-26T00:00:00Z", "--window", "DAY", "--zone", "Asia/Kolkata", "--group-by", "subject"],
        cli,
      );
      expect([daily.code, daily.stderr]).toEqual([0, ""]);
      expect(lines(daily.stdout)).toEqual([
        "windowStart               windowEnd                 subject  value",
        "2026-11-23T18:30:00.000Z  2026-11-24T18:30:00.000Z  c1       6",
        "2026-11-24T18:30:00.000Z  2026-11-25T18:30:00.000Z  c2       7",
      ]);

      const json = await meters(["query", "prompt_tokens", "--subject", "c1", "--filter", "model=gpt-4", "--json"], cli);
      expect([json.code, json.stderr]).toEqual([0, ""]);
      expect(lines(json.stdout)).toHaveLength(1);
      expect(JSON.parse(json.stdout)).toEqual({
        data: [{ value: 6, windowStart: "2026-11-24T09:30:00.000Z", windowEnd: "2026-11-25T01:31:00.000Z", subject: "c1", groupBy: {} }],
      });

      const none = await meters(["query", "prompt_tokens", "--filter", "model=gpt-5"], cli);
      expect([none.code, none.stdout]).toEqual([0, "No data: no counted event of prompt_tokens matches this query.\n"]);

      // What only the server (the meter, the database) can decide: its message and its code, exit 2, no usage, no stack.
      const region = await meters(["query", "prompt_tokens", "--group-by", "region"], cli);
      expect([region.code, region.stdout, region.stderr]).toEqual([2, "", 'meters query: groupBy "region" is not a groupBy key of this meter (subject, or the meter\'s: model) (INVALID_QUERY)\n']);
      const notOnAMinute = await meters(["query", "prompt_tokens", "--from", "2026-11-24T00:00:30Z"], cli);
      expect([notOnAMinute.code, notOnAMinute.stderr]).toEqual([2, "meters query: from must be a whole minute (meters are kept per minute), e.g. 2026-11-24T00:00:00.000Z (INVALID_QUERY)\n"]);
      const again = await meters(["create", "prompt_tokens", "--aggregation", "COUNT", "--event-type", "prompt"], cli);
      expect([again.code, again.stdout, again.stderr]).toEqual([2, "", "meters create: meter with the same slug already exists: prompt_tokens (METER_EXISTS)\n"]);

      const deleted = await meters(["delete", "prompt_tokens"], cli);
      expect([deleted.code, deleted.stderr]).toEqual([0, ""]);
      expect(deleted.stdout).toBe(`Deleted meter prompt_tokens (${id}): its slug is free again; the meter stays readable by its id.\n`);
      expect(lines((await meters(["list"], cli)).stdout)).toEqual(["No meters yet. Create one: npm run meters -- create <slug> --aggregation COUNT --event-type <metric>"]);
      const gone = await meters(["show", "prompt_tokens"], cli);
      expect([gone.code, gone.stdout, gone.stderr]).toEqual([2, "", "meters show: meter not found: prompt_tokens (NOT_FOUND)\n"]);
      const byId = await meters(["show", id!], cli);
      expect(byId.code).toBe(0);
      expect(lines(byId.stdout)).toContainEqual(expect.stringMatching(/^deleted: +\d{4}-\d\d-\d\dT\S+Z$/));
      const twice = await meters(["delete", id!], cli);
      expect(twice.stdout).toMatch(new RegExp(`^Meter prompt_tokens \\(${id}\\) was already deleted at \\S+\\.\\n$`));
    } finally {
      await dispose();
    }
  });
});

describe("npm run meters usage", { timeout: 120_000 }, () => {
  it("refuses an unknown command, a misplaced option and a malformed --group-by with a usage message, exit 2, before opening the database", async () => {
    const env = { PGLITE_DATA_DIR: join(root, "usage") };
    const unknown = await meters(["rename"], env);
    expect([unknown.code, unknown.stdout]).toEqual([2, ""]);
    expect(unknown.stderr).toMatch(/^npm run meters: unknown command "rename": list, create, show, delete or query\nusage:\n/);
    const misplaced = await meters(["list", "--window", "DAY"], env);
    expect([misplaced.code, lines(misplaced.stderr)[0]]).toEqual([2, "npm run meters: list: --window is not an option of list"]);
    const groupBy = await meters(["create", "tokens", "--aggregation", "COUNT", "--event-type", "prompt", "--group-by", "model"], env);
    expect([groupBy.code, lines(groupBy.stderr)[0]]).toEqual([2, `npm run meters: create: --group-by "model" must be <key>=<JSONPath>, e.g. --group-by model='$.model'`]);
    const zone = await meters(["query", "tokens", "--zone", "+05:30"], env);
    expect([zone.code, lines(zone.stderr)[0]]).toEqual([2, "npm run meters: query: --zone: windowTimeZone must be an IANA time zone name, e.g. UTC or Europe/Budapest"]);
    const help = await meters(["--help"], env);
    expect([help.code, help.stderr]).toEqual([0, ""]);
    expect(help.stdout).toMatch(/^usage:\n {2}npm run meters -- list\n/);
    expect(existsSync(join(root, "usage"))).toBe(false);
  });
});
