// The Events page in a real browser (Debian's Chromium) against the production build, on the
// embedded database and on PostgreSQL when configured: each row's own time and how it was
// identified, the metric filter, and the detail view of a deduplicated event with its raw
// payload and processed record side by side, the event it repeats, and copy buttons. Any
// browser console error fails the test.
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backends } from "../../test/support/test-db";
import { startAppOn, type AppOnDatabase } from "../support/app-process";
import { assertProductionBuild, launchChromium, openWatchedPage, screenshot, type WatchedPage } from "./support/browser";
import { openConsole } from "./support/console-page";

interface Listed {
  items: { id: string; status: string; processed: { id: string } | null; repeats: { rawEventId: string | null } | null }[];
}

describe.each(backends)("the Events page on %s", (kind) => {
  let app: AppOnDatabase;
  let browser: Browser;
  let w: WatchedPage;

  beforeAll(async () => {
    assertProductionBuild();
    [app, browser] = await Promise.all([startAppOn(kind), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });
  beforeEach(async () => {
    w = await openWatchedPage(browser, app.url, { timezoneId: "UTC", locale: "en-GB" });
  });
  afterEach(async () => {
    await w.context.close();
    expect(w.errors, "browser console errors / page errors").toEqual([]);
  });

  it("filters by metric, shows own time and identity, and opens a deduplicated event with raw and processed side by side", async () => {
    const { page } = w;
    const source = `ui-events-${kind}-${Date.now().toString(36)}`;
    const send = (payload: Record<string, unknown>, key?: string) =>
      fetch(`${app.url}/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(key ? { "idempotency-key": key } : {}) },
        body: JSON.stringify({ source, payload }),
      });
    const order = { metric: "orders", value: 42.5, timestamp: "2026-11-24T10:00:00Z", currency: "EUR" };
    await send(order, "order-1001");
    await send(order, "order-1001");
    await send({ metric: "visits", value: 1, timestamp: "2026-11-23T08:30:00Z" });
    const listed = (await (await fetch(`${app.url}/events?source=${source}`)).json()) as Listed;
    const copy = listed.items.find((i) => i.status === "deduplicated")!;
    const visit = listed.items.find((i) => i.repeats === null && i.processed && !listed.items.some((o) => o.repeats?.rawEventId === i.id))!;

    await w.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.url });
    await openConsole(page, `/console/events?source=${encodeURIComponent(source)}`);
    const rows = page.getByTestId("raw-event");
    await expect.poll(() => rows.count()).toBe(3);
    // Own time (the payload's timestamp) and identity on each row.
    const row = (id: string) => page.locator(`[data-testid="raw-event"][data-raw-id="${id}"]`);
    expect(await row(visit.id).getByTestId("own-time").locator("time").getAttribute("datetime")).toBe("2026-11-23T08:30:00.000Z");
    expect(await row(visit.id).getByTestId("identified-by").innerText()).toBe("by content");
    expect(await row(copy.id).getByTestId("identified-by").innerText()).toBe("by key");

    // The metric filter: only the orders (counted and deduplicated) remain.
    await page.getByLabel("Metric (exact)").fill("orders");
    await expect.poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-raw-id")).sort())).toEqual(
      listed.items.filter((i) => i.id !== visit.id).map((i) => i.id).sort(),
    );
    await page.getByText("A metric filter shows only events with a processed record").waitFor();

    // The detail of the deduplicated copy: raw and processed side by side, what it repeats.
    await row(copy.id).getByRole("button", { name: `Details of event ${copy.id}` }).click();
    const detail = page.getByTestId("event-detail");
    await detail.getByTestId("detail-processed").waitFor();
    expect(await detail.getAttribute("data-raw-id")).toBe(copy.id);
    expect(JSON.parse(await detail.getByTestId("detail-payload").innerText())).toEqual(order);
    expect(await detail.getByTestId("processed-metric").innerText()).toBe("orders");
    expect(await detail.getByTestId("processed-value").innerText()).toBe("42.5");
    expect(await detail.getByTestId("processed-own-time").locator("time").getAttribute("datetime")).toBe("2026-11-24T10:00:00.000Z");
    expect(JSON.parse(await detail.getByTestId("processed-attributes").innerText())).toEqual({ currency: "EUR" });
    expect(await detail.getByTestId("detail-repeats").innerText()).toContain(`Repeats processed event #${copy.processed!.id}`);
    expect(await detail.getByTestId("detail-repeats").innerText()).toContain("matched by its explicit key");
    // Side by side: the processed column starts to the right of the raw one, at the same height.
    const raw = (await detail.getByTestId("detail-payload").boundingBox())!;
    const processed = (await detail.getByTestId("detail-processed").boundingBox())!;
    expect(processed.x).toBeGreaterThan(raw.x + raw.width - 1);
    await screenshot(page, `${kind}-events-detail`);

    // Copy buttons: the id, the key, the payload.
    await detail.getByRole("button", { name: "Copy event id" }).click();
    await detail.getByRole("button", { name: "Copy event id" }).getByText("Copied").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(copy.id);
    await detail.getByRole("button", { name: "Copy key" }).click();
    await detail.getByRole("button", { name: "Copy key" }).getByText("Copied").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe("order-1001");
    await detail.getByRole("button", { name: "Copy payload" }).click();
    await detail.getByRole("button", { name: "Copy payload" }).getByText("Copied").waitFor();
    expect(JSON.parse(await page.evaluate(() => navigator.clipboard.readText()))).toEqual(order);

    // The first copy opens from the repeats line.
    await detail.getByRole("button", { name: `raw ${copy.repeats!.rawEventId}` }).click();
    await page.locator(`[data-testid="event-detail"][data-raw-id="${copy.repeats!.rawEventId}"]`).waitFor();
    await detail.getByTestId("detail-processed").waitFor();
    expect(await detail.getByTestId("detail-repeats").count()).toBe(0);
    await detail.getByRole("button", { name: "Close" }).click();
    expect(await page.getByTestId("event-detail").count()).toBe(0);
  });
});
