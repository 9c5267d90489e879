// `npm run import` as an operator runs it: a real process replaying an NDJSON file through the
// batch API of a real server, here behind a small HTTP proxy the test steers (a refusal to
// retry, an answer lost, a request held while the import is killed). The tally and every
// rejected line number are exact; the stored aggregates show nothing counted twice, after a
// re-run and after a SIGKILL mid-run and a resume from the checkpoint.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../src/server/auth/api-keys";
import { startHttpApp, type HttpApp } from "../test/support/http-app";
import { runToExit, startScript } from "../test/support/run-script";
import { backends, testContext } from "../test/support/test-db";
import { useTestDatabase } from "../test/support/use-test-database";

const ADMIN = "operator-token-for-the-import-test-0123456789";
const root = mkdtempSync(join(tmpdir(), "ingest-import-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What the proxy does with request number n (from 1): pass it on, refuse it, or pass it on and keep the answer. */
type Policy = (n: number) => { refuse: number } | "forward" | "swallow";

/** An HTTP proxy in front of the app that counts requests and applies `policy`. */
async function startProxy(target: () => string) {
  let count = 0;
  let policy: Policy = () => "forward";
  let swallowed: () => void = () => {};
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const action = policy(++count);
      if (typeof action === "object") {
        res.writeHead(action.refuse, { "content-type": "application/json", "retry-after": "1" });
        res.end(JSON.stringify({ error: { code: action.refuse === 429 ? "RATE_LIMITED" : "DATABASE_UNAVAILABLE", message: "later", retryable: true } }));
        return;
      }
      const headers = { "content-type": req.headers["content-type"] ?? "", ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) };
      void fetch(`${target()}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) }).then(async (answer) => {
        const body = await answer.text();
        if (action === "swallow") return swallowed(); // committed by the server; the client never hears
        res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
        res.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => count,
    /** Applies `p` from now on; resolves when a request it swallows has been committed. */
    use(p: Policy): Promise<void> {
      count = 0;
      policy = p;
      return new Promise((resolve) => (swallowed = resolve));
    },
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

// The CLI runs against one database: PostgreSQL where configured (CI), else PGlite.
const kind = backends.at(-1)!;

describe(`npm run import (server on ${kind})`, { timeout: 180_000 }, () => {
  const t = useTestDatabase(kind);
  let app: HttpApp;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  beforeAll(async () => {
    app = await startHttpApp(testContext(t.db, { AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN }));
    proxy = await startProxy(() => app.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await app?.close();
  });

  const importFile = (args: string[], input?: string) => runToExit("scripts/import.ts", {}, { args: [...args, "--url", proxy.url], cwd: root, input });
  const aggregates = (source: string) =>
    t.db.prisma.$queryRaw<{ metric: string; count: bigint; sum: string }[]>`
      SELECT metric, count, trim_scale(sum)::text AS sum FROM metric_aggregate WHERE source = ${source} ORDER BY metric`;
  const summary = (stdout: string) => stdout.trimEnd().split("\n").slice(1);

  it("sends a file in chunks through refusals, reports every rejected line, and a re-run counts nothing twice", async () => {
    const { key } = await createApiKey(t.db, { scope: "write", source: "shop" });
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ payload: { metric: i % 2 ? "clicks" : "orders", value: i % 7, eventId: `s-${i + 1}` } }));
    lines[16] = '{"payload":{"metric":"orders",';
    lines[39] = "";
    lines[40] = "   ";
    lines[98] = JSON.stringify({ payload: { metric: "orders", value: "x", eventId: "s-99" } });
    lines[149] = lines[148]!; // the same event twice in the file
    const file = join(root, "shop.ndjson");
    writeFileSync(file, `${lines.join("\n")}\n`);

    void proxy.use((n) => (n === 1 ? { refuse: 503 } : n === 3 ? { refuse: 429 } : "forward"));
    const first = await importFile([file, "--key", key, "--batch", "50"]);
    expect(first.code).toBe(1);
    expect(first.stdout.split("\n")[0]).toMatch(new RegExp(`^${file} → ${proxy.url}/ingest/batch: done; 297 events sent and answered in \\d+\\.\\d s \\([\\d,]+ events/s\\)$`));
    expect(summary(first.stdout)).toEqual([
      "  counted       295",
      "  deduplicated  1",
      "  rejected      2 (lines 17, 99)",
      "  empty lines   2 (skipped)",
      expect.stringMatching(/^line 17: INVALID_JSON Line 17 is not valid JSON \(.+\)$/),
      "line 99: INVALID_EVENT payload.value: value must be a number, got a string",
    ]);
    expect(proxy.requests()).toBe(8); // 6 chunks of up to 50 lines to send, 2 of them refused once
    expect(first.stderr).toMatch(/100% \| 300 lines \| [\d,]+ events\/s \| ETA/);
    const expected = await aggregates("shop");
    expect(expected.map((r) => [r.metric, Number(r.count)])).toEqual([
      ["clicks", 148],
      ["orders", 147],
    ]);

    void proxy.use(() => "forward");
    const again = await importFile([file, "--key", key, "--batch", "50"]);
    expect(again.code).toBe(1);
    expect(summary(again.stdout).slice(0, 3)).toEqual(["  counted       0", "  deduplicated  296", "  rejected      2 (lines 17, 99)"]);
    expect(await aggregates("shop")).toEqual(expected);
    expect(readdirSync(join(root, ".data/imports"))).toEqual([]);
  });

  it("an import killed mid-run resumes after what the server acknowledged; the batch whose answer was lost comes back deduplicated", async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ source: "pos", payload: { metric: "sales", value: (i % 100) / 4, eventId: `p-${i + 1}` } }));
    lines[249] = JSON.stringify({ source: "pos", payload: { metric: "sales", value: "12.25", eventId: "p-250" } }); // rejected before the kill
    const file = join(root, "pos.ndjson");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const args = [file, "--key", ADMIN, "--batch", "100", "--parallel", "1", "--url", proxy.url];

    // The 6th request is committed by the server, but its answer never reaches the import.
    const sixthCommitted = proxy.use((n) => (n === 6 ? "swallow" : "forward"));
    const running = startScript("scripts/import.ts", {}, { args, cwd: root });
    await sixthCommitted;
    expect(await running.stop("SIGKILL")).toBeNull();
    const [checkpointFile, rejectedFile] = readdirSync(join(root, ".data/imports")).sort();
    expect(rejectedFile).toBe(`${checkpointFile}.rejected`);
    const checkpoint = JSON.parse(readFileSync(join(root, ".data/imports", checkpointFile!), "utf8")) as { lines: number; tally: { counted: number } };
    expect([checkpoint.lines, checkpoint.tally.counted]).toEqual([500, 499]);
    expect((await aggregates("pos"))[0]?.count).toBe(599n);

    void proxy.use(() => "forward");
    const resumed = await runToExit("scripts/import.ts", {}, { args, cwd: root });
    expect(resumed.stderr).toContain("Resuming after line 500, which the server acknowledged in an earlier run");
    expect(resumed.code).toBe(1); // line 250 was rejected (in the first run)
    expect(resumed.stdout.split("\n")[0]).toMatch(/: done; 1,500 events sent and answered in .* after 500 lines of an earlier run$/);
    expect(summary(resumed.stdout)).toEqual([
      "  counted       1,899",
      "  deduplicated  100",
      "  rejected      1 (line 250)",
      "line 250: INVALID_EVENT payload.value: value must be a number, got a string",
    ]);
    expect(proxy.requests()).toBe(15);
    const sum = lines.reduce((s, _, i) => s + (i === 249 ? 0 : (i % 100) / 4), 0);
    expect(await aggregates("pos")).toEqual([{ metric: "sales", count: 1999n, sum: String(sum) }]);
    expect(readdirSync(join(root, ".data/imports"))).toEqual([]); // the checkpoint and its rejected lines
  });

  it("reads standard input with -, and stops with exit 2 when the server refuses the key", async () => {
    void proxy.use(() => "forward");
    const input = `${JSON.stringify({ source: "kiosk", payload: { metric: "m", value: 1, eventId: "k-1" } })}\n`;
    const piped = await importFile(["-", "--key", ADMIN], input);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toMatch(/^stdin → .*: done; 1 event sent and answered/);
    expect(summary(piped.stdout)).toEqual(["  counted       1", "  deduplicated  0", "  rejected      0"]);

    const refused = await importFile(["-", "--key", "wk_unknown"], input);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain(
      "stopped after line 0 (the server answered 401 UNAUTHENTICATED: The key is unknown or revoked; pass --key <a write key>, or set ADMIN_TOKEN to the server's operator token)",
    );
    expect(refused.stdout).toContain("Send the same input again: lines already counted come back deduplicated.");
  });
});
