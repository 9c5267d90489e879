// The console on a production start, as a new user gets it: `npm start` (scripts/start.mjs)
// with NODE_ENV, AUTH_REQUIRED and SIMULATION_ENABLED left to their production defaults, in
// Chromium, on the embedded database and on PostgreSQL when configured. The operator signs
// in, opens every console page and submits an event. The "Simulate DB failure" switch is
// disabled with the server's one-line reason, so no request ever asks for a failure: not one
// answer is a 4xx or 5xx, and the browser console stays empty. Every error or warning
// message and every page error fails the test; nothing is excused.
import { randomBytes } from "node:crypto";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { simulationOffReason } from "../../src/server/console/console-settings";
import { backends } from "../../test/support/test-db";
import { startAppOn, type AppOnDatabase } from "../support/app-process";
import { signInThrough } from "./support/access-page";
import { assertProductionBuild, launchChromium, screenshot } from "./support/browser";
import { aggregateRow, attemptStates, fillEvent, searchAggregates, submitAndExpect } from "./support/console-page";

const adminToken = `e2e-operator-${randomBytes(24).toString("base64url")}`;

describe.each(backends)("a production start (npm start) on %s", (kind) => {
  let app: AppOnDatabase;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every console message of type error or warning, every page error. */
  let messages: string[];
  /** Every request that got no answer, other than those the browser itself cancelled. */
  let failedRequests: string[];
  /** Every answer with a status of 400 or more. */
  let refused: string[];
  /** The body of every ingest call the page made. */
  let ingestBodies: string[];

  beforeAll(async () => {
    assertProductionBuild();
    // Unset (undefined): npm start's own defaults apply, as on a new user's machine.
    const productionDefaults = { NODE_ENV: undefined, AUTH_REQUIRED: undefined, SIMULATION_ENABLED: undefined, ADMIN_TOKEN: adminToken };
    [app, browser] = await Promise.all([startAppOn(kind, productionDefaults, { npmStart: true }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });

  beforeEach(async () => {
    messages = [];
    refused = [];
    failedRequests = [];
    ingestBodies = [];
    context = await browser.newContext({ baseURL: app.url, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") messages.push(`console.${m.type()}: ${m.text()} (${m.location().url})`);
    });
    page.on("pageerror", (e) => messages.push(`pageerror: ${e.message}`));
    // ERR_ABORTED is the browser dropping a request it no longer needs (Next's prefetch of a
    // link when the page navigates away first): nobody waits for that answer.
    page.on("requestfailed", (r) => {
      const why = r.failure()?.errorText ?? "";
      if (why !== "net::ERR_ABORTED") failedRequests.push(`${r.method()} ${r.url()} ${why}`);
    });
    page.on("response", (r) => {
      if (r.status() >= 400) refused.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    });
    page.on("request", (r) => {
      if (new URL(r.url()).pathname === "/api/trpc/ingest") ingestBodies.push(r.postData() ?? "");
    });
  });
  afterEach(async () => {
    await context.close();
    expect(messages, "browser console errors and warnings, page errors").toEqual([]);
    expect(refused, "answers of 400 or more").toEqual([]);
    expect(failedRequests, "requests without an answer").toEqual([]);
  });

  it("the server runs production's defaults: access control on, failure simulation off", async () => {
    const settings = await fetch(`${app.url}/api/trpc/console.settings`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(await settings.json()).toEqual({ result: { data: { simulation: { enabled: false, reason: simulationOffReason } } } });
    expect((await fetch(`${app.url}/api/trpc/console.settings`)).status).toBe(401);
  });

  it("the operator signs in, submits an event with simulation unavailable, and opens every page: no error anywhere", async () => {
    const source = `prod-${kind}-${Date.now().toString(36)}`;
    await signInThrough(page, adminToken, "/console/submit");

    const toggle = page.getByRole("switch", { name: "Simulate DB failure" });
    await page.getByTestId("simulation-off").waitFor();
    expect(await page.getByTestId("simulation-off").innerText()).toBe(simulationOffReason);
    expect(await toggle.isDisabled()).toBe(true);
    expect(await toggle.getAttribute("aria-describedby")).toBe("simulate-off simulate-hint");
    expect(await page.getByRole("radiogroup", { name: "Failure point" }).count()).toBe(0);
    await screenshot(page, `${kind}-production-submit-simulation-off`);

    await fillEvent(page, { source, metric: "orders", value: "3" });
    await submitAndExpect(page, "Submit event", "counted");
    expect(await attemptStates(page)).toEqual(["success"]);
    expect(ingestBodies).toHaveLength(1);
    expect(ingestBodies[0]).not.toContain("simulate");

    await page.getByRole("link", { name: "Aggregates", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Aggregates" }).waitFor();
    await searchAggregates(page, source);
    const row = aggregateRow(page, source, "orders");
    await row.waitFor();
    expect([await row.getAttribute("data-count"), await row.getAttribute("data-sum")]).toEqual(["1", "3"]);
    await screenshot(page, `${kind}-production-aggregates`);

    await page.getByRole("link", { name: "Events", exact: true }).click();
    await page.getByLabel("Source (exact)").fill(source);
    await page.locator('[data-testid="raw-event"][data-status="counted"]').waitFor();
    // The counts for the new filter read "—" until they arrive, then the one event.
    await page.locator('[data-testid="count-counted"]', { hasText: "counted 1" }).waitFor();

    await page.getByRole("link", { name: "Keys", exact: true }).click();
    await page.getByText("No keys yet: create one above.").waitFor();

    await page.getByRole("link", { name: "API", exact: true }).click();
    await page.locator('[data-testid="api-reference"][data-state="ready"]').waitFor({ timeout: 60_000 });

    // Back to Submit (every move above within the console, no reload): the record of the
    // submission is still there, and nothing more was sent.
    await page.getByRole("link", { name: "Submit", exact: true }).click();
    await page.locator('[data-testid="submit-result"][data-run="1"][data-result="counted"]').waitFor();
    expect(ingestBodies).toHaveLength(1);
  });
});
