// What a person does on the console, as reusable steps for the journeys: fill the event
// form, set up a simulated failure, submit and wait for the result, read the aggregates.
import type { Page } from "playwright-core";
import type { FailurePoint } from "../../../src/lib/ingest-schema";

export type RunResult = "counted" | "deduplicated" | "rejected" | "stopped";

const pointLabel: Record<FailurePoint, string> = {
  "before-capture": "Before capture",
  "after-capture": "After capture",
  "after-commit": "After commit (lost acknowledgement)",
};

/** Opens a console page and waits until React has hydrated it (see SiteNav). */
export async function openConsole(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await page.locator("nav[data-hydrated]").waitFor();
}

export async function fillEvent(page: Page, event: { source: string; metric: string; value: string; eventId?: string }): Promise<void> {
  await page.getByLabel("Source (client)").fill(event.source);
  await page.getByLabel("Metric", { exact: true }).fill(event.metric);
  await page.getByLabel("Value", { exact: true }).fill(event.value);
  if (event.eventId !== undefined) await page.getByLabel("Event id (optional)").fill(event.eventId);
}

export async function simulateFailure(page: Page, point: FailurePoint, failures: number): Promise<void> {
  const toggle = page.getByRole("switch", { name: "Simulate DB failure" });
  if ((await toggle.getAttribute("aria-checked")) !== "true") await toggle.click();
  await page.getByRole("radio", { name: pointLabel[point] }).check();
  await page.getByLabel("Failing attempts").fill(String(failures));
}

export async function turnSimulationOff(page: Page): Promise<void> {
  const toggle = page.getByRole("switch", { name: "Simulate DB failure" });
  if ((await toggle.getAttribute("aria-checked")) === "true") await toggle.click();
}

/** Clicks `button` and waits for the submission it starts to end with `expected`. */
export async function submitAndExpect(page: Page, button: "Submit event" | "Send again", expected: RunResult, timeout = 30_000): Promise<void> {
  // Runs are numbered per page; the previous run's result must not be mistaken for this one's.
  const previous = page.getByTestId("submit-result");
  const run = (await previous.count()) > 0 ? Number(await previous.getAttribute("data-run")) + 1 : 1;
  await page.getByRole("button", { name: button, exact: true }).click();
  await page.locator(`[data-testid="submit-result"][data-run="${run}"]`).waitFor({ timeout });
  const result = await page.getByTestId("submit-result").getAttribute("data-result");
  if (result !== expected) throw new Error(`submission ${run} ended ${result}, expected ${expected}: ${await page.getByTestId("submit-result").innerText()}`);
}

export async function attemptStates(page: Page): Promise<string[]> {
  return page.getByTestId("attempt").evaluateAll((els) => els.map((e) => e.getAttribute("data-state") ?? ""));
}

/**
 * Searches the Aggregates page (the server's search: words in the source or the metric) and
 * waits until the rows shown answer that search.
 */
export async function searchAggregates(page: Page, text: string): Promise<void> {
  await page.getByLabel("Search source or metric").fill(text);
  await page.locator('[data-testid="aggregates-table-card"][data-state="current"]').waitFor();
}

/** Opens the Aggregates page searching for `source`. */
export async function openAggregatesFor(page: Page, source: string): Promise<void> {
  await openConsole(page, "/console/aggregates");
  await searchAggregates(page, source);
}

export function aggregateRow(page: Page, source: string, metric: string) {
  return page.locator(`[data-testid="aggregate-row"][data-source="${source}"][data-metric="${metric}"]`);
}
