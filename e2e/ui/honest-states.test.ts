// The console tells the truth while it waits and when it fails, in a real browser (Debian's
// Chromium) against the production build, on the embedded database and on PostgreSQL when
// configured:
// - while data loads, every page shows skeletons or "—", never a 0 or "no data" (the server's
//   answers are held in the browser, then let through unchanged);
// - when refreshes fail (the server gone; on PostgreSQL, the database gone), the page says so
//   and keeps the last data, and recovers by itself; a page opened during a database outage
//   shows the error, not an empty state;
// - leaving the Submit page stops its retry loop: no attempt after the one already sent, and
//   coming back shows that it stopped and why.
// Any browser console error fails the test, except the ones a test provokes and names.
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TcpProxy } from "../faults/support/tcp-proxy";
import { backends, createEmptyDatabase, type TestDatabase } from "../../test/support/test-db";
import { startApp, startAppOn, type AppProcess } from "../support/app-process";
import { assertProductionBuild, launchChromium, openWatchedPage, screenshot, type WatchedPage } from "./support/browser";
import { aggregateRow, attemptStates, fillEvent, openAggregatesFor, openConsole, simulateFailure, submitAndExpect, turnSimulationOff } from "./support/console-page";
import { holdRequests, trpcCalls } from "./support/request-gate";

interface RestAggregate {
  source: string;
  metric: string;
  count: number;
}

/** Chromium's own log line for a request the server did not answer (the test stopped it). */
const connectionRefused = /^console\.error: Failed to load resource: net::ERR_CONNECTION_REFUSED /;
/** Chromium's own log line for a console query answered 503 (the test took the database away). */
/**
 * Chromium's own log line for a request (a console query, or Next's prefetch of a console
 * page) that the test's stopping server answered 503 SHUTTING_DOWN: it refuses new requests
 * while it drains, and timing decides whether one falls in that moment.
 */
const answeredWhileStopping = /^console\.error: Failed to load resource: the server responded with a status of 503 \(Service Unavailable\) \(http:\/\/[^/]+\/(console\/[a-z-]+\?_rsc=|api\/trpc\/)/;
const unavailable = /^console\.error: Failed to load resource: the server responded with a status of 503 \(Service Unavailable\) \(http:\/\/[^/]+\/api\/trpc\//;

describe.each(backends)("honest states in the console on %s", (kind) => {
  let app: AppProcess;
  /** What the app was started with, to start it again on the same port and database. */
  let appEnv: Record<string, string>;
  /** On PostgreSQL the app reaches its database through this proxy, so a test can take it away. */
  let proxy: TcpProxy | undefined;
  let database: TestDatabase | undefined;
  let disposeApp: () => Promise<void>;
  let browser: Browser;
  let w: WatchedPage;
  /** Errors the running test provokes on purpose, each expected at least once. */
  let provoked: RegExp[] = [];
  /** Errors the running test may provoke, depending on timing. */
  let excused: RegExp[] = [];
  let n = 0;
  const uniqueSource = (label: string) => `honest-${label}-${kind}-${Date.now().toString(36)}-${++n}`;
  const post = (source: string, metric: string, value: number) =>
    fetch(`${app.url}/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ source, payload: { metric, value } }) });
  const restAggregates = async (source: string): Promise<RestAggregate[]> =>
    ((await (await fetch(`${app.url}/aggregates`)).json()) as RestAggregate[]).filter((a) => a.source === source);

  beforeAll(async () => {
    assertProductionBuild();
    browser = await launchChromium();
    appEnv = { SIMULATION_ENABLED: "true", RECOVERY_INTERVAL_MS: "200" };
    if (kind === "pglite") {
      const started = await startAppOn(kind, appEnv);
      appEnv = { ...appEnv, ...started.databaseEnv };
      app = started;
      // A test may have restarted the app: stop the one running, then remove the folder.
      disposeApp = async () => {
        await app.stop();
        await started.dispose();
      };
    } else {
      database = await createEmptyDatabase("postgresql");
      await database.db.close();
      const url = new URL(database.url ?? "");
      proxy = await TcpProxy.start(Number(url.port || 5432));
      url.hostname = "127.0.0.1";
      url.port = String(proxy.port);
      appEnv = { ...appEnv, DATABASE_URL: url.toString() };
      app = await startApp(appEnv);
      disposeApp = async () => {
        await app.stop();
        await proxy?.close();
        await database?.drop();
      };
    }
  });
  afterAll(async () => {
    await browser?.close();
    await disposeApp?.();
  });

  beforeEach(async () => {
    provoked = [];
    excused = [];
    w = await openWatchedPage(browser, app.url);
  });
  afterEach(async () => {
    await w.context.close();
    const unexpected = w.errors.filter((e) => ![...provoked, ...excused].some((p) => p.test(e)));
    expect(unexpected, "browser console errors / page errors").toEqual([]);
    const missing = provoked.filter((p) => !w.errors.some((e) => p.test(e)));
    expect(missing, "errors provoked on purpose but not seen").toEqual([]);
  });

  /** The text of every summary number on the Aggregates page. */
  const statTexts = (page: Page) => page.locator('[data-testid^="stat-"]').evaluateAll((els) => els.map((e) => `${e.getAttribute("data-state")}:${e.textContent}`));

  it("while the aggregates load: every number is —, every panel a skeleton, never a 0 or 'no data'", async () => {
    const { page } = w;
    const source = uniqueSource("loading");
    expect((await post(source, "orders", 4)).status).toBe(200);
    const gate = await holdRequests(page, trpcCalls);
    await openConsole(page, "/console/aggregates");
    await gate.waitForHeld();
    await page.getByLabel("Search source or metric").fill(source);

    expect(await statTexts(page)).toEqual(["loading:—not loaded yet", "loading:—not loaded yet", "loading:—not loaded yet", "loading:—not loaded yet"]);
    for (const what of ["the aggregates", "the totals per metric", "the events over time"]) {
      expect(await page.locator(`[data-loading="${what}"]`).isVisible(), what).toBe(true);
    }
    expect(await page.getByTestId("live-indicator").getAttribute("data-state")).toBe("loading");
    for (const lie of [/No events counted yet/, /No data yet/, /No group matches/]) expect(await page.getByText(lie).count(), String(lie)).toBe(0);
    expect(await page.getByTestId("aggregate-row").count()).toBe(0);
    await screenshot(page, `${kind}-loading-aggregates`);

    await gate.release();
    await aggregateRow(page, source, "orders").waitFor();
    await expect.poll(() => page.getByTestId("stat-events").textContent()).toBe("1");
    expect(await page.getByTestId("stat-groups").textContent()).toBe("1");
    expect(await page.getByTestId("stat-sources").textContent()).toBe("1");
    expect(await page.getByTestId("live-indicator").getAttribute("data-state")).toBe("live");
    expect(await page.getByTestId("loading").count()).toBe(0);
  });

  it("while the events load: the counts are —, the table a skeleton, and no 'Showing 0 events'", async () => {
    const { page } = w;
    const source = uniqueSource("loading-events");
    expect((await post(source, "orders", 4)).status).toBe(200);
    const gate = await holdRequests(page, trpcCalls);
    await openConsole(page, `/console/events?source=${encodeURIComponent(source)}`);
    await gate.waitForHeld();

    const counts = () => page.locator('[data-testid^="count-"]').evaluateAll((els) => els.map((e) => e.textContent));
    expect(await counts()).toEqual(["received —", "counted —", "deduplicated —", "rejected —", "failed —", "not_counted —"]);
    expect(await page.locator('[data-loading="the raw events"]').isVisible()).toBe(true);
    expect(await page.getByText("No raw events match.").count()).toBe(0);
    expect(await page.getByText(/^Showing \d+ events?$/).isVisible()).toBe(false);
    expect(await page.getByRole("button", { name: /older events/ }).isVisible()).toBe(false);
    await screenshot(page, `${kind}-loading-events`);

    await gate.release();
    await page.locator('[data-testid="raw-event"][data-status="counted"]').waitFor();
    expect(await counts()).toEqual(["received 0", "counted 1", "deduplicated 0", "rejected 0", "failed 0", "not_counted 0"]);
    expect(await page.getByText("Showing 1 event", { exact: true }).isVisible()).toBe(true);
  });

  it("while the keys load: a skeleton, not 'No keys yet'; the Submit page's simulation switch waits for the server's word", async () => {
    const { page } = w;
    const gate = await holdRequests(page, trpcCalls);
    await openConsole(page, "/console/keys");
    await gate.waitForHeld();
    expect(await page.locator('[data-loading="the keys"]').isVisible()).toBe(true);
    expect(await page.getByText(/No keys yet/).count()).toBe(0);
    await screenshot(page, `${kind}-loading-keys`);
    await gate.release();
    await page.getByText("No keys yet: create one above.").waitFor();

    const submitGate = await holdRequests(page, trpcCalls);
    await openConsole(page, "/console/submit");
    await submitGate.waitForHeld();
    const toggle = page.getByRole("switch", { name: "Simulate DB failure" });
    expect(await toggle.isDisabled()).toBe(true);
    expect(await page.getByTestId("simulation-checking").isVisible()).toBe(true);
    expect(await page.getByTestId("simulation-off").count()).toBe(0);
    await screenshot(page, `${kind}-loading-submit`);
    await submitGate.release();
    await expect.poll(() => toggle.isEnabled()).toBe(true);
    expect(await page.getByTestId("simulation-checking").count()).toBe(0);
    expect(await page.getByTestId("simulation-off").count()).toBe(0);
  });

  it("when the server goes away, the pages say so and keep the last data; they recover by themselves when it is back", async () => {
    const source = uniqueSource("server-gone");
    for (const value of [2, 3]) expect((await post(source, "orders", value)).status).toBe(200);
    const aggregates = w.page;
    await openAggregatesFor(aggregates, source);
    const row = aggregateRow(aggregates, source, "orders");
    await row.locator("[data-col=count]", { hasText: "2" }).waitFor();
    const events = await w.newPage();
    await openConsole(events, `/console/events?source=${encodeURIComponent(source)}`);
    await events.locator('[data-testid="count-counted"]', { hasText: "counted 2" }).waitFor();

    provoked = [connectionRefused];
    excused = [answeredWhileStopping];
    await app.stop();
    for (const page of [aggregates, events]) {
      const indicator = page.getByTestId("live-indicator");
      await expect.poll(() => indicator.getAttribute("data-state"), { timeout: 10_000 }).toBe("error");
      expect(await indicator.innerText()).toMatch(/^Refresh failed: No answer from the server \(Failed to fetch\) — showing data from \d/);
    }
    // The last data stays on screen, unchanged.
    expect(await row.getAttribute("data-count")).toBe("2");
    expect(await aggregates.getByTestId("stat-events").textContent()).toBe("2");
    expect(await events.locator('[data-testid="raw-event"]').count()).toBe(2);
    expect(await events.getByTestId("count-counted").textContent()).toBe("counted 2");
    await screenshot(aggregates, `${kind}-server-gone-aggregates`);
    await screenshot(events, `${kind}-server-gone-events`);

    app = await startApp(appEnv, { port: app.port });
    expect((await post(source, "orders", 5)).status).toBe(200);
    await row.locator("[data-col=count]", { hasText: "3" }).waitFor({ timeout: 10_000 });
    await events.locator('[data-testid="count-counted"]', { hasText: "counted 3" }).waitFor({ timeout: 10_000 });
    for (const page of [aggregates, events]) await expect.poll(() => page.getByTestId("live-indicator").getAttribute("data-state")).toBe("live");
  });

  it.runIf(kind === "postgresql")("when the database goes away, the pages show its error and keep the last data; a page opened meanwhile shows the error, not an empty state", async () => {
    const source = uniqueSource("db-gone");
    expect((await post(source, "orders", 7)).status).toBe(200);
    const aggregates = w.page;
    await openAggregatesFor(aggregates, source);
    const row = aggregateRow(aggregates, source, "orders");
    await row.waitFor();

    provoked = [unavailable];
    proxy?.setRefusing(true);
    proxy?.cutAll();
    const indicator = aggregates.getByTestId("live-indicator");
    await expect.poll(() => indicator.getAttribute("data-state"), { timeout: 10_000 }).toBe("error");
    expect(await indicator.innerText()).toMatch(/^Refresh failed: .+ — showing data from \d/);
    expect(await row.getAttribute("data-count")).toBe("1");
    expect(await aggregates.getByTestId("stat-events").textContent()).toBe("1");
    await screenshot(aggregates, `${kind}-db-gone-aggregates`);

    // Opened during the outage: the error where the data would be, never "No raw events match" or 0s.
    const events = await w.newPage();
    await openConsole(events, `/console/events?source=${encodeURIComponent(source)}`);
    const error = events.getByTestId("load-error");
    await error.waitFor({ timeout: 15_000 });
    expect(await error.innerText()).toMatch(/^Could not load the raw events: .+/);
    expect(await events.getByText("No raw events match.").count()).toBe(0);
    expect(await events.getByTestId("count-counted").textContent()).toBe("counted —");
    expect(await events.getByText(/^Showing \d+ events?$/).isVisible()).toBe(false);
    await screenshot(events, `${kind}-db-gone-events`);
    // The Submit page's settings need no database: simulation is still offered.
    const submit = await w.newPage();
    await openConsole(submit, "/console/submit");
    await expect.poll(() => submit.getByRole("switch", { name: "Simulate DB failure" }).isEnabled()).toBe(true);

    proxy?.setRefusing(false);
    await events.locator('[data-testid="raw-event"][data-status="counted"]').waitFor({ timeout: 15_000 });
    // The status counts are their own query: they follow the list within a poll or two.
    await expect.poll(() => events.getByTestId("count-counted").textContent()).toBe("counted 1");
    await expect.poll(() => indicator.getAttribute("data-state"), { timeout: 10_000 }).toBe("live");
    expect(await row.getAttribute("data-count")).toBe("1");
  });

  it("leaving the Submit page stops its retry loop after the attempt in flight; coming back shows it stopped and why", async () => {
    const { page } = w;
    const source = uniqueSource("left");
    // Every ingest call the page makes; the second one is held until the person has left.
    let ingestCalls = 0;
    let releaseSecond!: () => void;
    const secondReleased = new Promise<void>((r) => (releaseSecond = r));
    let secondHeld!: () => void;
    const secondArrived = new Promise<void>((r) => (secondHeld = r));
    await page.route(
      (u) => u.pathname === "/api/trpc/ingest",
      async (route) => {
        if (++ingestCalls === 2) {
          secondHeld();
          await secondReleased;
        }
        await route.continue();
      },
    );

    await openConsole(page, "/console/submit");
    await fillEvent(page, { source, metric: "orders", value: "1" });
    await simulateFailure(page, "before-capture", 7);
    await page.getByRole("button", { name: "Submit event", exact: true }).click();
    await secondArrived;
    await page.locator('[data-testid="attempt"][data-attempt="2"][data-state="in-flight"]').waitFor();
    expect(await page.getByTestId("retry-note").innerText()).toBe("Retries until the server answers. Leaving this page stops retrying.");
    expect(await page.getByRole("button", { name: "Stop retrying" }).isVisible()).toBe(true);

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Aggregates" }).click();
    await page.getByRole("heading", { level: 1, name: "Aggregates" }).waitFor();
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/trpc/ingest");
    releaseSecond();
    expect((await answered).status()).toBe(503);

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Submit" }).click();
    const result = page.locator('[data-testid="submit-result"][data-run="1"]');
    await result.waitFor();
    expect(await result.getAttribute("data-result")).toBe("stopped");
    expect(await result.getAttribute("data-stop-reason")).toBe("left-page");
    expect(await result.innerText()).toContain("Retrying stopped when you left the Submit page after 2 attempts: ");
    expect(await attemptStates(page)).toEqual(["retryable-error", "retryable-error"]);
    expect(await page.locator('[data-testid="attempt"][data-attempt="2"]').innerText()).toContain("failed, retrying stopped");
    // The wait after the first attempt was real; none is announced after the last.
    expect(await page.getByTestId("wait").count()).toBe(1);
    // The loop has ended (the result above is written when it returns): nothing more was sent.
    expect(ingestCalls).toBe(2);
    expect(await page.getByRole("button", { name: "Stop retrying" }).count()).toBe(0);
    await screenshot(page, `${kind}-submit-left-page`);
    expect(await restAggregates(source)).toEqual([]);

    // Sending again is safe, under the same key.
    await turnSimulationOff(page);
    await submitAndExpect(page, "Send again", "counted");
    expect(await restAggregates(source)).toEqual([expect.objectContaining({ metric: "orders", count: 1 })]);
  });
});
