// Access control in the console, in a real browser (Debian's Chromium) against the production
// build with AUTH_REQUIRED=true, on the embedded database and on PostgreSQL when configured:
// every console page sends a signed-out browser to sign in and back; the session cookie is
// out of scripts' reach; keys created on the Keys page work over REST, show their last use,
// and stop working within seconds of being revoked; every page carries the security headers.
// Any browser console error fails the test, except the one a test provokes and names.
import { randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backends } from "../../test/support/test-db";
import { startAppOn, type AppOnDatabase } from "../support/app-process";
import { expectSentToSignIn, sessionCookie, sessionCookieName, signInThrough, submitToken, tokenField } from "./support/access-page";
import { assertProductionBuild, launchChromium, openWatchedPage, screenshot, type WatchedPage } from "./support/browser";

const consolePages = ["/console/submit", "/console/aggregates", "/console/events", "/console/keys"];
const adminToken = `e2e-operator-${randomBytes(24).toString("base64url")}`;
/** Chromium's own log line for the refused sign-in (the server answers a wrong token 401). */
const refusedSignIn =
  /^console\.error: Failed to load resource: the server responded with a status of 401 \(Unauthorized\) \(http:\/\/[^/]+\/api\/session\)$/;

describe.each(backends)("console access control on %s", (kind) => {
  let app: AppOnDatabase;
  let browser: Browser;
  let w: WatchedPage;
  /** Browser console errors the running test provokes on purpose, each expected at least once. */
  let provoked: RegExp[] = [];
  let n = 0;
  const uniqueSource = (label: string) => `access-${label}-${kind}-${Date.now().toString(36)}-${++n}`;
  const ingestWith = (key: string | undefined, source: string, value: number) =>
    fetch(`${app.url}/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ source, payload: { metric: "orders", value } }),
    });

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
    w = await openWatchedPage(browser, app.url);
  });
  afterEach(async () => {
    await w.context.close();
    const unexpected = w.errors.filter((e) => !provoked.some((p) => p.test(e)));
    expect(unexpected, "browser console errors / page errors").toEqual([]);
    const missing = provoked.filter((p) => !w.errors.some((e) => p.test(e)));
    expect(missing, "errors provoked on purpose but not seen").toEqual([]);
  });

  it("signed out, every console page leads to sign-in and back; a wrong token is refused inline", async () => {
    const { page, context } = w;
    for (const path of consolePages) await expectSentToSignIn(page, path);
    await page.locator("nav[data-hydrated]").waitFor();
    expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);
    await screenshot(page, `${kind}-sign-in`);

    provoked = [refusedSignIn];
    await submitToken(page, `${adminToken}-not`);
    // Next keeps an empty role="alert" of its own (the route announcer): find ours by its text.
    const alert = page.getByRole("alert").filter({ hasText: "operator token" });
    await alert.waitFor();
    expect(await alert.innerText()).toBe("That is not the operator token (ADMIN_TOKEN)");
    expect(await tokenField(page).getAttribute("aria-invalid")).toBe("true");
    expect(await tokenField(page).getAttribute("aria-describedby")).toContain(await alert.getAttribute("id"));
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    expect(await sessionCookie(context)).toBeUndefined();
    await screenshot(page, `${kind}-sign-in-refused`);

    // The right token: back on the page asked for, query string included.
    const path = "/console/events?source=checkout";
    await expectSentToSignIn(page, path);
    await submitToken(page, adminToken);
    await page.waitForURL((u) => `${u.pathname}${u.search}` === path);
    await page.getByRole("heading", { level: 1, name: "Events" }).waitFor();
    expect(await page.getByLabel("Source (exact)").inputValue()).toBe("checkout");
    expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link").allInnerTexts()).toEqual([
      "Submit",
      "Aggregates",
      "Meters",
      "Events",
      "Keys",
      "API",
    ]);

    // Signed in, the sign-in page offers the way back, and only ever to a console page.
    for (const [next, href] of [
      ["/console/keys", "/console/keys"],
      ["//evil.example/console", "/console/submit"],
      ["https://evil.example/console/keys", "/console/submit"],
      ["/api/session", "/console/submit"],
    ] as const) {
      await page.goto(`/console/sign-in?next=${encodeURIComponent(next)}`);
      expect(await page.getByRole("link", { name: "Continue to the console" }).getAttribute("href"), next).toBe(href);
    }
  });

  it("the session cookie is httpOnly and SameSite=Strict; signing out sends console pages back to sign-in", async () => {
    const { page, context } = w;
    const before = Date.now();
    await signInThrough(page, adminToken, "/console/aggregates");
    const cookie = await sessionCookie(context);
    expect(cookie).toMatchObject({ name: sessionCookieName, path: "/", httpOnly: true, sameSite: "Strict", secure: false });
    // 12 hours, give or take the test's own duration.
    expect(cookie!.expires * 1000).toBeGreaterThanOrEqual(before + 12 * 3600_000 - 60_000);
    expect(cookie!.expires * 1000).toBeLessThanOrEqual(Date.now() + 12 * 3600_000 + 60_000);
    expect(await page.evaluate(() => document.cookie)).not.toContain(sessionCookieName);

    // Signing out from a page that polls every second: no poll may go out without the
    // cookie (it would be refused, and logged), even while the sign-in page is slow to come.
    await page.getByRole("heading", { level: 1, name: "Aggregates" }).waitFor();
    await page.route("**/console/sign-in", async (route) => {
      await new Promise((r) => setTimeout(r, 1_500));
      await route.continue();
    });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((u) => u.pathname === "/console/sign-in" && u.search === "");
    await tokenField(page).waitFor();
    await page.unrouteAll();
    expect(await sessionCookie(context)).toBeUndefined();
    expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);
    for (const path of consolePages) await expectSentToSignIn(page, path);
    expect(await page.evaluate(() => fetch("/api/session").then((r) => r.json()))).toEqual({ authRequired: true, signedIn: false });
  });

  it("a session that ends while a page is open sends the browser to sign in, and back afterwards", async () => {
    const { page, context } = w;
    const path = "/console/events?source=expired";
    await signInThrough(page, adminToken, path);
    // As if its 12 hours had passed: the browser drops the cookie; the next poll is refused.
    provoked = [
      /^console\.error: Failed to load resource: the server responded with a status of 401 \(Unauthorized\) \(http:\/\/[^/]+\/api\/trpc\/events\./,
    ];
    await context.clearCookies({ name: sessionCookieName });
    await page.waitForURL((u) => u.pathname === "/console/sign-in" && u.searchParams.get("next") === path);
    await submitToken(page, adminToken);
    await page.waitForURL((u) => `${u.pathname}${u.search}` === path);
    await page.getByRole("heading", { level: 1, name: "Events" }).waitFor();
  });

  it("a write key made on the Keys page is shown once, ingests over REST, shows its last use, and is refused within 5 s of revoking it", async () => {
    const { page, context } = w;
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.url });
    const source = uniqueSource("write");
    await signInThrough(page, adminToken, "/console/keys");
    await page.getByRole("heading", { level: 1, name: "Keys" }).waitFor();
    expect(await page.locator('nav a[aria-current="page"]').innerText()).toBe("Keys");

    expect(await page.getByRole("radio", { name: "Write key" }).getAttribute("aria-checked")).toBe("true");
    await page.getByLabel("Source", { exact: true }).fill(source);
    await page.getByLabel("Label (optional)").fill("checkout service");
    await page.getByRole("button", { name: "Create write key" }).click();
    const keyField = page.getByLabel("New key");
    await keyField.waitFor();
    const key = await keyField.inputValue();
    expect(key).toMatch(/^wk_[A-Za-z0-9_-]{43}$/);
    const prefix = key.slice(0, 11);
    await page.getByText("Shown once: copy it now.").waitFor();
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("New key");
    await page.getByRole("button", { name: "Copy", exact: true }).click();
    await page.getByTestId("copy-status").getByText("Copied to the clipboard.").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);

    const row = page.locator(`[data-testid="key-row"][data-prefix="${prefix}"]`);
    await row.waitFor();
    expect(await row.getAttribute("data-status")).toBe("active");
    expect(await row.locator("td").allInnerTexts()).toEqual([
      "write",
      source,
      "checkout service",
      expect.any(String),
      "never",
      "active",
      "Revoke",
    ]);
    await screenshot(page, `${kind}-keys-created`);

    // The key over REST: it is what lets the event in.
    expect((await ingestWith(undefined, source, 1)).status).toBe(401);
    const sent = await ingestWith(key, source, 3);
    expect(sent.status).toBe(200);
    expect(await sent.json()).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
    const aggregates = (await (
      await fetch(`${app.url}/aggregates?source=${encodeURIComponent(source)}`, { headers: { authorization: `Bearer ${adminToken}` } })
    ).json()) as unknown[];
    expect(aggregates).toEqual([expect.objectContaining({ source, metric: "orders", count: 1, sum: 3 })]);
    // The list refreshes by itself and shows the use.
    await expect.poll(() => row.getAttribute("data-last-used"), { timeout: 10_000 }).not.toBe("");
    expect(await row.locator('[data-col="last-used"]').innerText()).not.toBe("never");

    // Once acknowledged, the key's text is gone from the page, and no reload brings it back.
    await page.getByRole("button", { name: "Done, I have copied it" }).click();
    await page.getByRole("button", { name: "Create write key" }).waitFor();
    expect(await page.content()).not.toContain(key);
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(key);

    // Revoke: a confirmation first (Escape backs out), then refused over REST within 5 s.
    const revokeButton = row.getByRole("button", { name: `Revoke key ${prefix}` });
    await revokeButton.click();
    const dialog = page.getByRole("alertdialog", { name: `Revoke key ${prefix}…?` });
    await dialog.waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Cancel");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await row.getAttribute("data-status")).toBe("active");
    await revokeButton.click();
    await dialog.getByRole("button", { name: "Revoke key" }).click();
    const revokedAt = Date.now();
    await page.locator(`[data-testid="key-row"][data-prefix="${prefix}"][data-status="revoked"]`).waitFor();
    expect(await revokeButton.count()).toBe(0);
    await expect.poll(async () => (await ingestWith(key, source, 4)).status, { timeout: 5_000, interval: 100 }).toBe(401);
    const refusedAfterMs = Date.now() - revokedAt;
    const refused = await ingestWith(key, source, 5);
    expect(await refused.json()).toMatchObject({ error: { code: "UNAUTHENTICATED", field: "authorization" } });
    console.info(`[access ${kind}] a revoked key was refused over REST ${refusedAfterMs} ms after the confirm click`);
    expect(refusedAfterMs).toBeLessThan(5_000);
  });

  it("the create form checks with the server's schema; a read key covers every source; dark mode", async () => {
    await w.context.close();
    w = await openWatchedPage(browser, app.url, { colorScheme: "dark" });
    const { page } = w;
    await expectSentToSignIn(page, "/console/keys");
    await page.locator("nav[data-hydrated]").waitFor();
    expect(await page.evaluate(() => getComputedStyle(document.body).colorScheme)).toBe("dark");
    await screenshot(page, `${kind}-dark-sign-in`);
    await submitToken(page, adminToken);
    await page.waitForURL("**/console/keys");
    await page.getByRole("heading", { level: 1, name: "Keys" }).waitFor();

    // The messages are the zod schema's own (src/lib/keys-schema.ts), not UI copies.
    await page.getByRole("button", { name: "Create write key" }).click();
    await page.getByText("a write key needs the source it writes").waitFor();
    // Its label says "(optional)" once the scope is read.
    const sourceField = page.locator("#key-source");
    expect(await sourceField.getAttribute("aria-invalid")).toBe("true");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("key-source");
    await page.getByLabel("Label (optional)").fill("x".repeat(201));
    await page.getByText("label must be at most 200 characters").waitFor();
    await screenshot(page, `${kind}-dark-keys-invalid`);

    // A read key needs no source; keyboard only: arrows move within the scope group.
    await page.getByRole("radio", { name: "Write key" }).focus();
    await page.keyboard.press("ArrowRight", { delay: 80 });
    await expect.poll(() => page.getByRole("radio", { name: "Read key" }).getAttribute("aria-checked")).toBe("true");
    expect(await sourceField.getAttribute("aria-invalid")).toBeNull();
    await page.getByLabel("Label (optional)").fill("dashboards");
    await page.getByRole("button", { name: "Create read key" }).click();
    const key = await page.getByLabel("New key").inputValue();
    expect(key).toMatch(/^rk_[A-Za-z0-9_-]{43}$/);
    await page.getByText("New read key for every source").waitFor();
    await page.getByRole("button", { name: "Done, I have copied it" }).click();
    const row = page.locator(`[data-testid="key-row"][data-prefix="${key.slice(0, 11)}"]`);
    expect(await row.locator("td").nth(1).innerText()).toBe("all sources");
    const read = await fetch(`${app.url}/aggregates`, { headers: { authorization: `Bearer ${key}` } });
    expect(read.status).toBe(200);
    await screenshot(page, `${kind}-dark-keys`);
    await row.getByRole("button", { name: /^Revoke key / }).click();
    await page.getByRole("alertdialog").waitFor();
    await screenshot(page, `${kind}-dark-keys-revoke`);
  });

  it("page answers carry a per-answer nonce CSP that Next's scripts use, frame-ancestors 'none' and nosniff", async () => {
    const pageAnswer = async (path: string) => {
      const res = await fetch(`${app.url}${path}`, { redirect: "manual" });
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain("unsafe-eval");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/]+=*)' 'strict-dynamic'/.exec(csp)?.[1];
      expect(nonce, csp).toBeDefined();
      return { res, nonce: nonce!, html: await res.text() };
    };
    const signIn = await pageAnswer("/console/sign-in");
    expect(signIn.res.status).toBe(200);
    const scripts = [...signIn.html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${signIn.nonce}"`);
    expect((await pageAnswer("/console/sign-in")).nonce).not.toBe(signIn.nonce);

    const redirected = await pageAnswer("/console/keys");
    expect(redirected.res.status).toBe(303);
    expect(redirected.res.headers.get("location")).toBe("/console/sign-in?next=%2Fconsole%2Fkeys");

    // Signed in, in the browser: the page ran under its policy (no violation was logged).
    const { page } = w;
    await signInThrough(page, adminToken, "/console/submit");
    const answer = await page.goto("/console/keys");
    expect(answer?.status()).toBe(200);
    const headers = answer!.headers();
    expect(headers["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
    expect(headers["x-content-type-options"]).toBe("nosniff");
    await page.getByRole("heading", { level: 1, name: "Keys" }).waitFor();
  });
});
