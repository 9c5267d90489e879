// `npm run keys` as an operator runs it, as a real process: create prints the key alone on
// the last line (wk_ + 32 random bytes, base64url) and the key works; list shows prefix,
// scope, source, label, dates and status; revoke by prefix stops the key. On the embedded
// database while the server holds its folder, the CLI asks that server instead (with the
// operator token), so it works while the server runs, without a word about the lock.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, startApp } from "./support/app-process";
import { runToExit } from "../test/support/run-script";

const root = mkdtempSync(join(tmpdir(), "ingest-keys-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ADMIN = "operator-token-for-the-cli-test-0123456789";
const lastLine = (out: string) => out.trimEnd().split("\n").at(-1)!;
const keys = (args: string[], env: Record<string, string>) => runToExit("scripts/keys.ts", env, { args });

// Real processes each open the embedded database (seconds each on a busy 2-core machine).
describe("npm run keys", { timeout: 180_000 }, () => {
  it("creates, lists and revokes keys on the database, and a created key writes its source over HTTP", async () => {
    const env = { PGLITE_DATA_DIR: join(root, "offline"), AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN };
    const created = await keys(["create", "--source", "shop", "--label", "web store"], env);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const key = lastLine(created.stdout);
    expect(key).toMatch(/^wk_[A-Za-z0-9_-]{43}$/);
    expect(created.stdout).toContain("source:    shop");
    const list = await keys(["list"], env);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^prefix\s+scope\s+source\s+label\s+created\s+last used\s+status$/);
    expect(lines.find((l) => l.startsWith(key.slice(0, 11)))).toMatch(/^wk_\S{8}\s+write\s+shop\s+web store\s+\S+\s+never\s+active$/);
    expect(list.stdout).not.toContain(key.slice(11)); // the secret part is never shown again

    // The key works against a server on the same folder, then is revoked through it.
    const port = await freePort();
    const app = await startApp({ ...env, SERVE_PAGES: "false", RECOVERY_ENABLED: "false" }, { port });
    try {
      const post = (k: string) =>
        fetch(`${app.url}/ingest`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${k}` }, body: JSON.stringify({ payload: { metric: "orders", value: 1 } }) });
      expect((await post(key)).status).toBe(200);

      // While the server holds the folder, the CLI goes through it, and has nothing to warn about.
      const busy = { ...env, PORT: String(port) };
      const second = await keys(["create", "--source", "pos"], busy);
      expect([second.code, second.stderr]).toEqual([0, ""]);
      expect((await post(lastLine(second.stdout))).status).toBe(200);
      const read = await keys(["create", "--read"], busy);
      const aggregates = await fetch(`${app.url}/aggregates`, { headers: { authorization: `Bearer ${lastLine(read.stdout)}` } });
      expect(((await aggregates.json()) as { source: string }[]).map((a) => a.source)).toEqual(["pos", "shop"]);

      const revoked = await keys(["revoke", key.slice(0, 11)], busy);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toMatch(new RegExp(`^Revoked ${key.slice(0, 11)} \\(write, source shop\\) at \\S+\\n$`));
      const deadline = Date.now() + 5000;
      let status = 200;
      while (status !== 401 && Date.now() < deadline) {
        status = (await post(key)).status;
        if (status !== 401) await new Promise((r) => setTimeout(r, 100)); // the key cache expires on a clock
      }
      expect(status).toBe(401);
      const after = await keys(["list"], busy);
      expect(after.stdout.split("\n").find((l) => l.startsWith(key.slice(0, 11)))).toMatch(/revoked \S+$/);
    } finally {
      await app.stop();
    }
  });

  it("refuses a write key without a source and an unknown command with a usage message, exit 2, before opening the database", async () => {
    const env = { PGLITE_DATA_DIR: join(root, "usage") };
    const noSource = await keys(["create"], env);
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toContain("source: a write key needs the source it writes");
    expect(noSource.stderr).toContain("usage:");
    const unknown = await keys(["rotate"], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "rotate"');
    expect(existsSync(join(root, "usage"))).toBe(false);
  });
});
