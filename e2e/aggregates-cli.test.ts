// `npm run aggregates:check` and `aggregates:rebuild` as an operator runs them, real processes
// on an embedded PGlite folder: the check prints each corrupted rollup row with exact values and
// exits 1; while the app holds the folder, both go through it (tRPC rollups.*, with the operator
// token) and the rebuild repairs the rows; no token, or a wrong command, exits 2.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, startApp } from "./support/app-process";
import { createCaller } from "../src/server/api/root";
import { openDatabase } from "../src/server/db/database";
import { migrate } from "../src/server/db/migrate";
import { runToExit } from "../test/support/run-script";
import { testContext } from "../test/support/test-db";

const root = mkdtempSync(join(tmpdir(), "ingest-aggregates-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const ADMIN = "operator-token-for-the-aggregates-test-0123";

describe("npm run aggregates:check / aggregates:rebuild", { timeout: 240_000 }, () => {
  it("reports corrupted rollup rows exactly (exit 1), and through the server holding the folder rebuilds them (exit 0)", async () => {
    const folder = join(root, "data");
    const db = openDatabase({ pgliteDataDir: folder, poolSize: 1, connectTimeoutMs: 5000, queryTimeoutMs: 10_000, transactionTimeoutMs: 10_000 });
    await migrate(db);
    await createCaller(testContext(db)).ingestBatch({
      events: [
        { source: "shop", payload: { metric: "orders", value: 0.1, eventId: "o-1", timestamp: "2026-11-24T10:00:00Z" } },
        { source: "shop", payload: { metric: "orders", value: 0.2, eventId: "o-2", timestamp: "2026-11-24T11:00:00Z" } },
        { source: "shop", payload: { metric: "clicks", value: 1, eventId: "c-1", timestamp: "2026-11-24T12:00:00Z" } },
      ],
    });
    await db.execScript(`
      UPDATE metric_aggregate SET count = 3, sum = 0.4 WHERE metric = 'orders';
      DELETE FROM metric_aggregate WHERE metric = 'clicks';
      DELETE FROM metric_aggregate_hour WHERE metric = 'clicks';
      UPDATE metric_aggregate_day SET sum = 0.5 WHERE metric = 'orders';`);
    await db.close();

    const settings = { PGLITE_DATA_DIR: folder, AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN };
    const env = { ...settings, DATABASE_URL: undefined };
    const differences = [
      "2 of 2 aggregates (source/metric), 1 of 2 daily rows and 1 of 3 hourly rows differ from the processed events:",
      "  shop/clicks: rollup row missing; recomputed count=1 sum=1 min=1 max=1 firstSeenAt=2026-11-24T12:00:00.000Z lastSeenAt=2026-11-24T12:00:00.000Z",
      "  shop/clicks, hour 2026-11-24T12:00:00.000Z: rollup row missing; recomputed count=1 sum=1 min=1 max=1 firstSeenAt=2026-11-24T12:00:00.000Z lastSeenAt=2026-11-24T12:00:00.000Z",
      "  shop/orders: count stored 3, recomputed 2; sum stored 0.4, recomputed 0.3",
      "  shop/orders, day 2026-11-24T00:00:00.000Z: sum stored 0.5, recomputed 0.3",
    ];
    const direct = await runToExit("scripts/aggregates.ts", env, { args: ["check"] });
    expect([direct.code, direct.stderr]).toEqual([1, ""]);
    expect(direct.stdout).toBe(`${[...differences, "Repair them with: npm run aggregates:rebuild"].join("\n")}\n`);

    const port = await freePort();
    const app = await startApp({ ...settings, SERVE_PAGES: "false", RECOVERY_ENABLED: "false" }, { port });
    try {
      const busy = { ...env, PORT: String(port) };
      const check = await runToExit("scripts/aggregates.ts", busy, { args: ["check"] });
      expect([check.code, check.stderr]).toEqual([1, ""]);
      expect(check.stdout).toBe(direct.stdout);

      const rebuild = await runToExit("scripts/aggregates.ts", busy, { args: ["rebuild"] });
      expect(rebuild.code).toBe(0);
      expect(rebuild.stdout).toBe(`${["Repaired 2 of 2 aggregates (source/metric), 1 of 2 daily rows and 1 of 3 hourly rows; what was wrong:", ...differences.slice(1)].join("\n")}\n`);
      const rows = (await (await fetch(`${app.url}/aggregates?source=shop`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { metric: string; count: number; sum: number }[];
      expect(rows.map((r) => [r.metric, r.count, r.sum])).toEqual([
        ["clicks", 1, 1],
        ["orders", 2, 0.3],
      ]);

      // Outside production a CLI may run without the operator token; the server then refuses it.
      const anonymous = await runToExit("scripts/aggregates.ts", { ...busy, ADMIN_TOKEN: undefined, NODE_ENV: "development" }, { args: ["check"] });
      expect(anonymous.code).toBe(2);
      expect(anonymous.stderr).toBe(`aggregates check: the server at http://127.0.0.1:${port} needs the operator's token (401 UNAUTHENTICATED): set ADMIN_TOKEN to the token the server runs with\n`);
    } finally {
      await app.stop();
    }

    const usage = await runToExit("scripts/aggregates.ts", env, { args: ["repair"] });
    expect([usage.code, usage.stdout]).toEqual([2, ""]);
    expect(usage.stderr).toMatch(/^npm run aggregates:check: unknown command "repair": check or rebuild\nusage:\n.*npm run aggregates:rebuild/s);
  });
});
