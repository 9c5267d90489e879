// Meters in the console, in a real browser (Debian's Chromium) against the production build with
// access control on, on the embedded database and on PostgreSQL when configured: the operator
// signs in, a SUM meter without a value property is refused with the server's own message at its
// field, a SUM meter on $.tokens grouped by model is created, CloudEvents are sent from the Submit
// page (one twice: the second answer says deduplicated; one the server rejects, with the
// problem's detail), and the Meters page shows the exact values per window, subject and group:
// DAY windows in Asia/Kolkata and in UTC, HOUR windows of a custom range in Kolkata (which start
// at :30 UTC), grouped by model only; the same rows the REST API answers. Any browser console
// error fails the test, except the refusals a test provokes and names. Screenshots land in
// e2e/artifacts/.
import { randomBytes } from "node:crypto";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backends } from "../../test/support/test-db";
import { startAppOn, type AppOnDatabase } from "../support/app-process";
import { signInThrough } from "./support/access-page";
import { assertProductionBuild, launchChromium, openWatchedPage, screenshot, type WatchedPage } from "./support/browser";
import { openConsole } from "./support/console-page";

const adminToken = `e2e-operator-${randomBytes(24).toString("base64url")}`;
/** The browser's own zone in these journeys: the Meters page starts in it. */
const browserZone = "America/New_York";

/** Chromium's log line for a refusal the test provokes on purpose, by status and path. */
const refusal = (status: string, path: string) =>
  new RegExp(
    `^console\\.error: Failed to load resource: the server responded with a status of ${status} \\(http://[^/]+${path.replace(/[.?]/g, "\\$&")}\\)$`,
  );
const refusedMeter = refusal("400 \\(Bad Request\\)", "/api/trpc/meters.create?batch=1");
const rejectedEvent = refusal("422 \\(Unprocessable Entity\\)", "/api/v1/events");

const serverMessage = "valueProperty is required when aggregation is SUM (a JSONPath into the event's data, e.g. $.tokens)";

interface TableRow {
  start: string | null;
  end: string | null;
  subject: string | null;
  group: Record<string, string | null>;
  value: number;
  shownStart: string;
}

interface CloudEventFields {
  type: string;
  subject: string;
  id: string;
  source: string;
  time: string;
  data: string;
}

describe.each(backends)("meters in the console on %s", (kind) => {
  let app: AppOnDatabase;
  let browser: Browser;
  let w: WatchedPage;
  /** Browser console errors the running test provokes on purpose, each expected at least once. */
  let provoked: RegExp[] = [];

  beforeAll(async () => {
    assertProductionBuild();
    [app, browser] = await Promise.all([startAppOn(kind, { AUTH_REQUIRED: "true", ADMIN_TOKEN: adminToken }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });

  beforeEach(async () => {
    provoked = [];
    w = await openWatchedPage(browser, app.url, { timezoneId: browserZone });
  });
  afterEach(async () => {
    await w.context.close();
    const unexpected = w.errors.filter((e) => !provoked.some((p) => p.test(e)));
    expect(unexpected, "browser console errors / page errors").toEqual([]);
    const missing = provoked.filter((p) => !w.errors.some((e) => p.test(e)));
    expect(missing, "errors provoked on purpose but not seen").toEqual([]);
  });

  const createForm = (page: Page) => page.getByRole("form", { name: "Create a meter" });
  const meterRow = (page: Page, slug: string) => page.locator(`[data-testid="meter-row"][data-slug="${slug}"]`);
  const queryCard = (page: Page) => page.getByTestId("meter-query");

  /** The rows of the meter's table as shown: each row's window, subject, group and value, and its start as the zone's wall time. */
  const tableRows = (page: Page): Promise<TableRow[]> =>
    page.getByTestId("meter-value-row").evaluateAll((rows) =>
      rows.map((r) => ({
        start: r.getAttribute("data-window-start"),
        end: r.getAttribute("data-window-end"),
        subject: r.getAttribute("data-subject"),
        group: JSON.parse(r.getAttribute("data-group") ?? "{}") as Record<string, string | null>,
        value: Number(r.getAttribute("data-value")),
        shownStart: (r.querySelector('[data-col="window-start"]') as HTMLElement | null)?.innerText ?? "",
      })),
    );

  /** Waits until the query card shows the answer to exactly these choices (not an earlier answer kept while it loads). */
  async function waitForAnswer(
    page: Page,
    want: { windowSize: string; timeZone: string; from?: string; to?: string; groupBy: string },
  ): Promise<void> {
    const card = queryCard(page);
    const attrs = [
      `[data-state="current"]`,
      `[data-window-size="${want.windowSize}"]`,
      `[data-time-zone="${want.timeZone}"]`,
      `[data-from="${want.from ?? ""}"]`,
      `[data-to="${want.to ?? ""}"]`,
      `[data-group-by="${want.groupBy}"]`,
    ].join("");
    await page.locator(`[data-testid="meter-query"]${attrs}`).waitFor();
    expect(await card.count()).toBe(1);
  }

  /** What the REST API answers for the same query (the operator's token). */
  async function restQuery(slug: string, body: Record<string, unknown>): Promise<unknown[]> {
    const res = await fetch(`${app.url}/api/v1/meters/${slug}/query`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: unknown[] }).data;
  }

  it("a SUM meter without a value property is refused with the server's message at its field", async () => {
    const { page } = w;
    await signInThrough(page, adminToken, "/console/meters");
    await page.getByRole("heading", { level: 1, name: "Meters" }).waitFor();
    await page.getByTestId("no-meters").waitFor();
    expect(await page.locator('nav a[aria-current="page"]').innerText()).toBe("Meters");

    const form = createForm(page);
    await form.getByLabel("Slug", { exact: true }).fill("tokens_without_value");
    await form.getByLabel("Event type", { exact: true }).fill("prompt");
    expect(await form.getByLabel("Aggregation", { exact: true }).inputValue()).toBe("SUM");
    provoked = [refusedMeter];
    await form.getByRole("button", { name: "Create meter" }).click();

    // The server's message (src/lib/meters-schema.ts), at the field it names, and focus there.
    const fieldError = page.locator("#meter-value-property-error");
    await fieldError.waitFor();
    expect(await fieldError.innerText()).toBe(serverMessage);
    const valueProperty = form.getByLabel("Value property", { exact: true });
    expect(await valueProperty.getAttribute("aria-invalid")).toBe("true");
    expect(await valueProperty.getAttribute("aria-describedby")).toContain("meter-value-property-error");
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("meter-value-property");
    const summary = page.getByTestId("create-meter-error");
    expect(await summary.innerText()).toBe(`The meter was not created: ${serverMessage}`);
    expect(await summary.getAttribute("data-field")).toBe("valueProperty");
    expect(await summary.getAttribute("role")).toBe("alert");
    await screenshot(page, `${kind}-meters-refused`);

    // Nothing was created; correcting the field clears its error.
    expect(await page.getByTestId("meter-row").count()).toBe(0);
    await valueProperty.fill("$");
    await expect.poll(() => fieldError.count()).toBe(0);
    expect(await valueProperty.getAttribute("aria-invalid")).toBeNull();
    const listed = await fetch(`${app.url}/api/v1/meters`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(await listed.json()).toEqual([]);
  });

  it("a SUM meter on $.tokens by model counts the CloudEvents sent from the Submit page: exact values per window, subject and group, in a named zone", async () => {
    const { page } = w;
    const run = `${kind}_${Date.now().toString(36)}`;
    const slug = `tokens_${run}`;
    const eventType = `prompt.${run}`;
    const source = `console-e2e-${run}`;

    // ---- Create the meter.
    await signInThrough(page, adminToken, "/console/meters");
    const form = createForm(page);
    await form.getByLabel("Slug", { exact: true }).fill(slug);
    await form.getByLabel("Name (optional)", { exact: true }).fill("Tokens by model");
    await form.getByLabel("Event type", { exact: true }).fill(eventType);
    await form.getByLabel("Value property", { exact: true }).fill("$.tokens");
    await form.getByLabel("Group-by 1 name").fill("model");
    await form.getByLabel("Group-by 1 JSONPath").fill("$.model");
    await form.getByRole("button", { name: "Create meter" }).click();
    const row = meterRow(page, slug);
    await row.waitFor();
    // The form is empty again, ready for another meter.
    expect(await form.getByLabel("Slug", { exact: true }).inputValue()).toBe("");
    const cell = (col: string) => row.locator(`[data-col="${col}"]`).innerText();
    expect(await row.getByRole("button", { name: `Show meter ${slug}` }).innerText()).toBe(slug);
    expect([await cell("aggregation"), await cell("event-type"), await cell("value-property"), await cell("group-by")]).toEqual([
      "SUM",
      eventType,
      "$.tokens",
      "model $.model",
    ]);
    // Nothing to count yet: the backfill is done at once.
    await page.locator(`[data-testid="meter-row"][data-slug="${slug}"][data-backfill="done"]`).waitFor();
    expect(await cell("backfill")).toBe("up to date");
    expect(await cell("skipped")).toBe("0");
    // The new meter is the one shown, in the browser's zone by default.
    await page.locator(`[data-testid="meter-query"][data-meter="${slug}"]`).waitFor();
    expect(await page.getByLabel("Time zone", { exact: true }).inputValue()).toBe(browserZone);
    await page.getByTestId("no-meter-rows").waitFor();
    await screenshot(page, `${kind}-meters-created`);

    // ---- Send CloudEvents from the Submit page.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Submit", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Submit an event" }).waitFor();
    await page.getByRole("tab", { name: "CloudEvent (OpenMeter)" }).click();
    const ce = page.getByRole("form", { name: "Send a CloudEvent" });
    await ce.waitFor();
    // The id comes prefilled with a random UUID, a new one on request.
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const idField = ce.getByLabel("Id", { exact: true });
    await expect.poll(() => idField.inputValue()).toMatch(uuid);
    const prefilled = await idField.inputValue();
    await ce.getByRole("button", { name: "New id" }).click();
    expect(await idField.inputValue()).toMatch(uuid);
    expect(await idField.inputValue()).not.toBe(prefilled);
    // Data that is not JSON cannot be sent.
    await ce.getByLabel("Data (JSON)", { exact: true }).fill("{ not json");
    await page
      .locator("#ce-data-error")
      .getByText(/^Data is not valid JSON/)
      .waitFor();

    let sent = 0;
    async function sendCloudEvent(fields: CloudEventFields, expected: string): Promise<Locator> {
      await ce.getByLabel("Type", { exact: true }).fill(fields.type);
      await ce.getByLabel("Subject", { exact: true }).fill(fields.subject);
      await ce.getByLabel("Id", { exact: true }).fill(fields.id);
      await ce.getByLabel("Source", { exact: true }).fill(fields.source);
      await ce.getByLabel("Time (optional)", { exact: true }).fill(fields.time);
      await ce.getByLabel("Data (JSON)", { exact: true }).fill(fields.data);
      return sendAgain(expected);
    }
    /** Sends what the form holds, and waits for this send's own answer. */
    async function sendAgain(expected: string): Promise<Locator> {
      const n = ++sent;
      await ce.getByRole("button", { name: "Send CloudEvent" }).click();
      const result = page.locator(`[data-testid="cloudevent-result"][data-run="${n}"]`);
      await result.waitFor();
      const got = await result.getAttribute("data-result");
      if (got !== expected) throw new Error(`CloudEvent ${n} ended ${got}, expected ${expected}: ${await result.innerText()}`);
      return result;
    }
    const event = (id: string, subject: string, time: string, data: Record<string, unknown>, type = eventType): CloudEventFields => ({
      type,
      subject,
      id: `${run}-${id}`,
      source,
      time,
      data: JSON.stringify(data),
    });

    // Asia/Kolkata is UTC+05:30: 20:00Z on 9 March is 01:30 on the 10th there; 18:29Z on the 10th is 23:59, 19:00Z is 00:30 on the 11th.
    const first = await sendCloudEvent(event("1", "alice", "2025-03-09T20:00:00Z", { tokens: 10, model: "gpt-4" }), "counted");
    expect(await first.getByTestId("cloudevent-counts").innerText()).toBe(
      "counted 1 · deduplicated 0 · not counted 0 · rejected 0 · failed 0 · identified by key",
    );
    expect(await first.getAttribute("data-http-status")).toBe("200");
    await sendCloudEvent(event("2", "alice", "2025-03-10T17:00:00Z", { tokens: 5, model: "gpt-4" }), "counted");
    // The same source and id again: deduplicated, not counted twice.
    const again = await sendAgain("deduplicated");
    expect(await again.getByTestId("cloudevent-counts").innerText()).toBe(
      "counted 0 · deduplicated 1 · not counted 0 · rejected 0 · failed 0 · identified by key",
    );
    expect(await again.getByTestId("cloudevent-detail").innerText()).toBe(
      "The server already had an event with this source and id: it was not counted again.",
    );
    await screenshot(page, `${kind}-submit-cloudevent-deduplicated`);
    await sendCloudEvent(event("3", "alice", "2025-03-10T19:00:00Z", { tokens: 7, model: "claude" }), "counted");
    await sendCloudEvent(event("4", "bob", "2025-03-10T18:29:00Z", { tokens: 3, model: "gpt-4" }), "counted");
    // Not the meter's type: counted by the service, not by the meter.
    await sendCloudEvent(event("5", "alice", "2025-03-10T12:00:00Z", { tokens: 1000, model: "gpt-4" }, `other.${run}`), "counted");
    // The meter's type without a value: counted by the service, skipped by the meter (and carol has no row).
    await sendCloudEvent(event("6", "carol", "2025-03-10T12:00:00Z", { model: "gpt-4" }), "counted");
    // A time that is not RFC 3339: the form warns with the server's schema, the server rejects it with the problem's detail.
    const badTime = "time must be an RFC 3339 date-time with a time zone, e.g. 2024-01-01T00:00:00Z";
    await ce.getByLabel("Id", { exact: true }).fill(`${run}-7`);
    await ce.getByLabel("Time (optional)", { exact: true }).fill("yesterday");
    await page.getByTestId("cloudevent-warnings").getByText(`time: ${badTime} — the server will refuse this event.`).waitFor();
    provoked = [rejectedEvent];
    const rejected = await sendAgain("rejected");
    expect(await rejected.getAttribute("data-http-status")).toBe("422");
    expect(await rejected.getByTestId("cloudevent-detail").innerText()).toBe(
      `INVALID_EVENT: ${badTime} (field time) The event is kept as rejected; a corrected one needs a new id.`,
    );
    await screenshot(page, `${kind}-submit-cloudevent-rejected`);

    // ---- The Meters page: the meter has counted, and skipped the event without a value.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Meters", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Meters" }).waitFor();
    await page.locator(`[data-testid="meter-row"][data-slug="${slug}"][data-skipped="1"]`).waitFor();
    await row.getByRole("button", { name: `Show meter ${slug}` }).click();
    expect(await row.getByRole("button", { name: `Show meter ${slug}` }).getAttribute("aria-pressed")).toBe("true");

    // DAY windows of all time, in Asia/Kolkata, by subject and model.
    await page.getByRole("group", { name: "Range" }).getByRole("button", { name: "All time" }).click();
    await page.getByRole("group", { name: "Window size" }).getByRole("button", { name: "Day" }).click();
    const zone = page.getByLabel("Time zone", { exact: true });
    await zone.fill("Asia/Kolkata");
    await waitForAnswer(page, { windowSize: "DAY", timeZone: "Asia/Kolkata", groupBy: "subject,model" });
    const kolkataDays = [
      {
        start: "2025-03-09T18:30:00.000Z",
        end: "2025-03-10T18:30:00.000Z",
        subject: "alice",
        group: { model: "gpt-4" },
        value: 15,
        shownStart: "2025-03-10 00:00",
      },
      {
        start: "2025-03-09T18:30:00.000Z",
        end: "2025-03-10T18:30:00.000Z",
        subject: "bob",
        group: { model: "gpt-4" },
        value: 3,
        shownStart: "2025-03-10 00:00",
      },
      {
        start: "2025-03-10T18:30:00.000Z",
        end: "2025-03-11T18:30:00.000Z",
        subject: "alice",
        group: { model: "claude" },
        value: 7,
        shownStart: "2025-03-11 00:00",
      },
    ];
    await expect.poll(() => tableRows(page)).toEqual(kolkataDays);
    expect(await page.getByRole("columnheader").allInnerTexts()).toEqual(
      expect.arrayContaining(["Window start", "Window end", "Subject", "model", "Value"]),
    );
    expect(await page.getByTestId("meter-range-hint").innerText()).toBe(
      "Every event the meter counted, in day windows aligned in Asia/Kolkata.",
    );
    // The chart: one column per Kolkata day, stacked per group; the totals per group over the range.
    const columns = () =>
      page
        .getByTestId("meter-chart-column")
        .evaluateAll((cols) => cols.map((c) => [c.getAttribute("data-start"), Number(c.getAttribute("data-total"))]));
    expect(await columns()).toEqual([
      ["2025-03-09T18:30:00.000Z", 18],
      ["2025-03-10T18:30:00.000Z", 7],
    ]);
    expect(await page.getByTestId("meter-totals").getByRole("img").getAttribute("aria-label")).toBe(
      "SUM of $.tokens per group over the range. alice · gpt-4: 15; alice · claude: 7; bob · gpt-4: 3",
    );
    await screenshot(page, `${kind}-meters-kolkata-days`);
    // The REST API answers the same rows.
    expect(await restQuery(slug, { windowSize: "DAY", windowTimeZone: "Asia/Kolkata", groupBy: ["subject", "model"] })).toEqual(
      kolkataDays.map((r) => ({ value: r.value, windowStart: r.start, windowEnd: r.end, subject: r.subject, groupBy: r.group })),
    );

    // The same events in UTC days: 20:00Z on the 9th is its own day there.
    await zone.fill("UTC");
    await waitForAnswer(page, { windowSize: "DAY", timeZone: "UTC", groupBy: "subject,model" });
    await expect
      .poll(() => tableRows(page))
      .toEqual([
        {
          start: "2025-03-09T00:00:00.000Z",
          end: "2025-03-10T00:00:00.000Z",
          subject: "alice",
          group: { model: "gpt-4" },
          value: 10,
          shownStart: "2025-03-09 00:00",
        },
        {
          start: "2025-03-10T00:00:00.000Z",
          end: "2025-03-11T00:00:00.000Z",
          subject: "alice",
          group: { model: "claude" },
          value: 7,
          shownStart: "2025-03-10 00:00",
        },
        {
          start: "2025-03-10T00:00:00.000Z",
          end: "2025-03-11T00:00:00.000Z",
          subject: "alice",
          group: { model: "gpt-4" },
          value: 5,
          shownStart: "2025-03-10 00:00",
        },
        {
          start: "2025-03-10T00:00:00.000Z",
          end: "2025-03-11T00:00:00.000Z",
          subject: "bob",
          group: { model: "gpt-4" },
          value: 3,
          shownStart: "2025-03-10 00:00",
        },
      ]);

    // Grouped by model only: no subject column, the subjects added up.
    await page.getByRole("checkbox", { name: "subject" }).uncheck();
    await waitForAnswer(page, { windowSize: "DAY", timeZone: "UTC", groupBy: "model" });
    await expect
      .poll(() => tableRows(page))
      .toEqual([
        {
          start: "2025-03-09T00:00:00.000Z",
          end: "2025-03-10T00:00:00.000Z",
          subject: "",
          group: { model: "gpt-4" },
          value: 10,
          shownStart: "2025-03-09 00:00",
        },
        {
          start: "2025-03-10T00:00:00.000Z",
          end: "2025-03-11T00:00:00.000Z",
          subject: "",
          group: { model: "claude" },
          value: 7,
          shownStart: "2025-03-10 00:00",
        },
        {
          start: "2025-03-10T00:00:00.000Z",
          end: "2025-03-11T00:00:00.000Z",
          subject: "",
          group: { model: "gpt-4" },
          value: 8,
          shownStart: "2025-03-10 00:00",
        },
      ]);
    expect(await page.getByRole("columnheader", { name: "Subject" }).count()).toBe(0);

    // HOUR windows of a custom range read in Kolkata, by subject: Kolkata's hours start at :30 UTC.
    await page.getByRole("checkbox", { name: "subject" }).check();
    await page.getByRole("checkbox", { name: "model" }).uncheck();
    await zone.fill("Asia/Kolkata");
    await page.getByRole("group", { name: "Range" }).getByRole("button", { name: "Custom" }).click();
    await page.getByLabel("From", { exact: true }).fill("2025-03-10T22:00");
    await page.getByLabel("To", { exact: true }).fill("2025-03-11T01:00");
    await page.getByRole("group", { name: "Window size" }).getByRole("button", { name: "Hour" }).click();
    // A name that is no zone is refused at the field (and asks nothing); the range stays as typed.
    await zone.fill("Mars/Olympus_Mons");
    await page
      .locator("#meter-time-zone-error")
      .getByText("Not a time zone name: use an IANA name, e.g. UTC, Europe/Budapest or Asia/Kolkata")
      .waitFor();
    expect(await zone.getAttribute("aria-invalid")).toBe("true");
    await zone.fill("Asia/Kolkata");
    const range = { from: "2025-03-10T16:30:00.000Z", to: "2025-03-10T19:30:00.000Z" };
    await waitForAnswer(page, { windowSize: "HOUR", timeZone: "Asia/Kolkata", ...range, groupBy: "subject" });
    const kolkataHours = [
      {
        start: "2025-03-10T16:30:00.000Z",
        end: "2025-03-10T17:30:00.000Z",
        subject: "alice",
        group: {},
        value: 5,
        shownStart: "2025-03-10 22:00",
      },
      {
        start: "2025-03-10T17:30:00.000Z",
        end: "2025-03-10T18:30:00.000Z",
        subject: "bob",
        group: {},
        value: 3,
        shownStart: "2025-03-10 23:00",
      },
      {
        start: "2025-03-10T18:30:00.000Z",
        end: "2025-03-10T19:30:00.000Z",
        subject: "alice",
        group: {},
        value: 7,
        shownStart: "2025-03-11 00:00",
      },
    ];
    await expect.poll(() => tableRows(page)).toEqual(kolkataHours);
    expect(await page.getByTestId("meter-range-hint").innerText()).toBe(
      "From 2025-03-10 22:00 (inclusive) to 2025-03-11 01:00 (exclusive), Asia/Kolkata; hour windows.",
    );
    expect(await columns()).toEqual([
      ["2025-03-10T16:30:00.000Z", 5],
      ["2025-03-10T17:30:00.000Z", 3],
      ["2025-03-10T18:30:00.000Z", 7],
    ]);
    await screenshot(page, `${kind}-meters-kolkata-hours`);
    expect(await restQuery(slug, { ...range, windowSize: "HOUR", windowTimeZone: "Asia/Kolkata", groupBy: ["subject"] })).toEqual(
      kolkataHours.map((r) => ({ value: r.value, windowStart: r.start, windowEnd: r.end, subject: r.subject, groupBy: r.group })),
    );

    // ---- Delete the meter: it leaves the list, and its values with it.
    await page.getByRole("button", { name: `Delete meter ${slug}` }).click();
    const dialog = page.getByRole("alertdialog");
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Delete meter" }).click();
    await page.getByTestId("no-meters").waitFor();
    expect(await meterRow(page, slug).count()).toBe(0);
    expect(await queryCard(page).count()).toBe(0);
    const listed = await fetch(`${app.url}/api/v1/meters`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(await listed.json()).toEqual([]);

    // A reload of the Submit page opens the CloudEvent form from a link.
    await openConsole(page, "/console/submit?format=cloudevents");
    expect(await page.getByRole("tab", { name: "CloudEvent (OpenMeter)" }).getAttribute("aria-selected")).toBe("true");
  });
});
