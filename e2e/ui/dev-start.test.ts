// `npm run dev` (tsx src/server/main.ts, development) as a person starts it, opened in Chromium
// from the addresses it binds: with HOST=127.0.0.1 at http://127.0.0.1:<port>, and with
// HOST=0.0.0.0 at a non-loopback address of this machine. Next's dev server refuses its
// hot-reload socket to an origin it does not know, and the console then never leaves
// "Loading…"; here the Aggregates page must go Live and show the row of an event sent first,
// with no browser console error. The LAN half reaches the server through a proxy on loopback
// (support/loopback-proxy.ts), so the page's origin is the LAN address while every packet stays
// on 127.0.0.1. The start banner names the PGlite folder: each mode's default, and the earlier
// one folder while it holds a database.
// Development compiles each page on its first request (tens of seconds on two cores): every
// step awaits a condition.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/app-process";
import { startScript, type RunningScript, type ScriptEnv } from "../../test/support/run-script";
import { launchChromium, openWatchedPage, screenshot } from "./support/browser";
import { startLoopbackProxy } from "./support/loopback-proxy";

const root = mkdtempSync(join(tmpdir(), "ingest-dev-start-"));
const started: RunningScript[] = [];
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

const development: ScriptEnv = { NODE_ENV: "development", AUTH_REQUIRED: undefined, LOG_LEVEL: "warn", RECOVERY_ENABLED: "false", DATABASE_URL: undefined };

/** Starts the server as `npm run dev` does; resolves once the banner is printed, with the banner's lines. */
async function startDev(env: ScriptEnv, cwd?: string): Promise<{ server: RunningScript; banner: string }> {
  const server = startScript("src/server/main.ts", { ...development, ...env }, cwd ? { cwd } : {});
  started.push(server);
  await server.waitFor(/Ingest service ready on [\s\S]*?\n\n/, 120_000);
  return { server, banner: server.stdout().slice(server.stdout().indexOf("  Ingest service ready")).trimEnd() };
}

/** The Aggregates page at `origin` goes Live and shows the row of an event sent to `api`. */
async function expectConsoleLoads(origin: string, api: string, source: string, proxy?: string): Promise<void> {
  const sent = await fetch(`${api}/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ source, payload: { metric: "visits", value: 2 } }) });
  expect(sent.status).toBe(200);
  const context = proxy ? await launchChromium({ proxy }) : browser;
  const watched = await openWatchedPage(context, origin);
  try {
    const { page } = watched;
    await page.goto("/console/aggregates", { timeout: 180_000 });
    await page.locator('[data-testid="live-indicator"][data-state="live"]').first().waitFor({ timeout: 180_000 });
    await page.getByRole("cell", { name: source, exact: true }).first().waitFor({ timeout: 30_000 });
    expect(await page.getByText("Loading…", { exact: true }).count()).toBe(0);
    await screenshot(page, `dev-start-${new URL(origin).hostname.replace(/[^a-z0-9]+/gi, "-")}`);
    expect(watched.errors).toEqual([]);
  } finally {
    await watched.context.close();
    if (context !== browser) await context.close();
  }
}

/** A non-loopback IPv4 address of this machine, if it has one. */
const lanAddress = Object.values(networkInterfaces())
  .flatMap((list) => list ?? [])
  .find((a) => a.family === "IPv4" && !a.internal)?.address;

describe("npm run dev, opened from the addresses it binds", { timeout: 400_000 }, () => {
  it("HOST=127.0.0.1: the console loads at http://127.0.0.1:<port>, and the banner says so and names the folder", async () => {
    const port = await freePort();
    const folder = join(root, "loopback");
    const { server, banner } = await startDev({ HOST: "127.0.0.1", PORT: String(port), PGLITE_DATA_DIR: folder });
    expect(banner).toBe(`  Ingest service ready on http://127.0.0.1:${port}  (database: embedded PGlite at ${folder})`);
    const url = `http://127.0.0.1:${port}`;
    await expectConsoleLoads(url, url, "dev-loopback");
    expect(server.stderr()).not.toContain("Blocked cross-origin request");
    await server.stop();
  });

  it.skipIf(!lanAddress)(`HOST=0.0.0.0: the console loads at this machine's LAN address (${lanAddress ?? "none"})`, async () => {
    const port = await freePort();
    const { server, banner } = await startDev({ HOST: "0.0.0.0", PORT: String(port), PGLITE_DATA_DIR: join(root, "lan") });
    expect(banner.split("\n")[0]).toBe(`  Ingest service ready on http://localhost:${port}  (database: embedded PGlite at ${join(root, "lan")})`);
    expect(banner).toContain(`also on http://${lanAddress}:${port}`);
    const origin = `http://${lanAddress}:${port}`;
    const proxy = await startLoopbackProxy(origin);
    try {
      await expectConsoleLoads(origin, `http://127.0.0.1:${port}`, "dev-lan", proxy.url);
    } finally {
      await proxy.close();
    }
    expect(server.stderr()).not.toContain("Blocked cross-origin request");
    await server.stop();
  });
  if (!lanAddress) console.warn("SKIPPED: this machine has no non-loopback IPv4 address; the console was not opened from a LAN address");
});

describe("the PGlite folder a start uses by default, named in its banner", { timeout: 180_000 }, () => {
  it("development and production each have their own; the earlier one folder is pointed at while it holds a database", async () => {
    const cwd = join(root, "defaults");
    mkdirSync(join(cwd, ".data", "pglite"), { recursive: true });
    writeFileSync(join(cwd, ".data", "pglite", "PG_VERSION"), "17\n");
    const api: ScriptEnv = { PGLITE_DATA_DIR: undefined, HOST: "127.0.0.1", SERVE_PAGES: "false" };

    const dev = await startDev({ ...api, PORT: String(await freePort()) }, cwd);
    expect(dev.banner).toMatch(/^ {2}Ingest service ready on http:\/\/127\.0\.0\.1:\d+ {2}\(database: embedded PGlite at \.data\/development\)\n\n/);
    expect(dev.banner).toContain(
      [
        "  Earlier versions kept every mode's data in .data/pglite; NODE_ENV=development now has .data/development of its own.",
        "  To go on with that data: set PGLITE_DATA_DIR=.data/pglite, or stop the app and replace .data/development with it",
        "  (rm -r .data/development && mv .data/pglite .data/development). Remove .data/pglite once you no longer need it.",
      ].join("\n"),
    );
    await dev.server.stop();

    rmSync(join(cwd, ".data", "pglite"), { recursive: true });
    const prod = await startDev({ ...api, NODE_ENV: "production", AUTH_REQUIRED: "false", PORT: String(await freePort()) }, cwd);
    expect(prod.banner).toMatch(/^ {2}Ingest service ready on http:\/\/127\.0\.0\.1:\d+ {2}\(database: embedded PGlite at \.data\/production\)$/);
    await prod.server.stop();
  });
});
