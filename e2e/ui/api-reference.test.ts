// The console's API reference in a real browser (Debian's Chromium) against the production
// build with access control on: the page is the operator's (signed-out browsers are sent to
// sign in) while GET /openapi.json stays public; Swagger UI, served by the app itself under
// the pages' strict CSP, renders every operation of the document, and "Try it out" reaches
// this server. Any browser console error, and any request to another origin, fails the test.
// The document does not depend on the database, so the embedded one is enough here.
import { randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startAppOn, type AppOnDatabase } from "../support/app-process";
import { signInThrough } from "./support/access-page";
import { assertProductionBuild, launchChromium, openWatchedPage, screenshot, type WatchedPage } from "./support/browser";

const adminToken = `e2e-operator-${randomBytes(24).toString("base64url")}`;
const referencePath = "/console/api";

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

describe("API reference page", () => {
  let app: AppOnDatabase;
  let browser: Browser;
  let w: WatchedPage;
  /** Requests the page made to any origin but the app's. */
  let elsewhere: string[] = [];

  beforeAll(async () => {
    assertProductionBuild();
    [app, browser] = await Promise.all([startAppOn("pglite", { AUTH_REQUIRED: "true", ADMIN_TOKEN: adminToken }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });

  beforeEach(async () => {
    w = await openWatchedPage(browser, app.url);
    elsewhere = [];
    await w.context.route("**/*", (route) => {
      const url = route.request().url();
      if (new URL(url).origin === app.url) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
  });
  afterEach(async () => {
    await w.context.close();
    expect(w.errors, "browser console errors / page errors").toEqual([]);
    expect(elsewhere, "requests to other origins").toEqual([]);
  });

  it("the document is public, the page is the operator's", async () => {
    const res = await fetch(`${app.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { openapi: string }).openapi).toBe("3.1.0");
    const page = await fetch(`${app.url}${referencePath}`, { redirect: "manual" });
    expect({ status: page.status, location: page.headers.get("location") }).toEqual({
      status: 303,
      location: `/console/sign-in?next=${encodeURIComponent(referencePath)}`,
    });
  });

  it("renders every operation of the document, and Try it out reaches this server", async () => {
    const { page } = w;
    const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as OpenApiDocument;
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();

    await signInThrough(page, adminToken, referencePath);
    expect(await page.getByRole("link", { name: "API", exact: true }).getAttribute("aria-current")).toBe("page");
    await page.locator('[data-testid="api-reference"][data-state="ready"]').waitFor({ timeout: 60_000 });
    const shown = await page.locator(".opblock-summary").evaluateAll((blocks) =>
      blocks.map((b) => `${b.querySelector(".opblock-summary-method")?.textContent ?? ""} ${b.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? ""}`),
    );
    expect(shown.sort()).toEqual(documented);
    expect(shown).toEqual(expect.arrayContaining(["POST /ingest", "POST /v1/batch", "POST /capture", "POST /api/trpc/ingest"]));
    await screenshot(page, "api-reference");

    // An SDK route opened: its request body and its refusals, as documented.
    const operation = (method: string, path: string) => page.locator(`.opblock-${method}:has(.opblock-summary-path[data-path="${path}"])`);
    const batch = operation("post", "/v1/batch");
    await batch.locator(".opblock-summary").click();
    await batch.locator('tr.response[data-code="200"]').waitFor();
    await screenshot(page, "api-reference-v1-batch");
    for (const status of ["200", "400", "401", "403", "413", "415", "429", "503"]) {
      expect(await batch.locator(`tr.response[data-code="${status}"]`).count(), `response ${status}`).toBe(1);
    }

    // Try it out: the page's request goes to this server, under the page's CSP.
    const health = operation("get", "/api/health");
    await health.locator(".opblock-summary").click();
    await health.getByRole("button", { name: "Try it out" }).click();
    await health.getByRole("button", { name: "Execute" }).click();
    const answer = health.locator(".live-responses-table tr.response");
    await answer.waitFor();
    expect(await answer.locator(".response-col_status").innerText()).toBe("200");
    expect(await answer.locator(".response-col_description .microlight").first().innerText()).toContain('"status": "ok"');
  });
});
