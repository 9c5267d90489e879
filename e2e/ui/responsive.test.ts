// The console on a phone and in dark mode, in a real browser (Debian's Chromium) against the
// production build on the embedded database: at 390×844 and 1280×900, in the light and the
// dark theme (chosen with the header's theme toggle, as a person does), no console page is
// wider than the viewport; on a phone the header's links fold behind the Menu button, which
// opens them and they navigate, while on a desktop they show with no Menu button; a table
// wider than a phone (a long source name) scrolls inside its card while the page does not;
// Swagger UI on the API page takes the console's theme (dark ground and light text in dark,
// the reverse in light) and gives each tag's description a readable width; the Keys page
// shows, as the key's text, exactly the prefix `keys.create` answered, and
// `npm run keys -- revoke` takes that text. Any browser console error fails the test.
// Screenshots of every page in every combination land in e2e/artifacts/.
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runToExit } from "../../test/support/run-script";
import { startAppOn, type AppOnDatabase } from "../support/app-process";
import { assertProductionBuild, launchChromium, openWatchedPage, screenshot, type WatchedPage } from "./support/browser";
import { openConsole } from "./support/console-page";

const viewports = [
  { width: 390, height: 844 },
  { width: 1280, height: 900 },
] as const;
const themes = ["light", "dark"] as const;
type Viewport = (typeof viewports)[number];
type Theme = (typeof themes)[number];
const combinations = viewports.flatMap((viewport) => themes.map((theme) => ({ viewport, theme })));

/** Tailwind's `md`: below it tables scroll inside their card. */
const md = 768;
/** Tailwind's `lg`: below it the header's six links fold behind the Menu button. */
const lg = 1024;
/** A source name with no break opportunity in it: a table cell holding it is wider than a phone. */
const longSource = "checkout_service_payments_gateway_eu_west_1_production_canary";
const navLabels = ["Submit", "Aggregates", "Meters", "Events", "Keys", "API"];

interface CreatedKey {
  key: string;
  info: { prefix: string; scope: string; source: string | null };
}

interface ConsolePage {
  path: string;
  /** The header link that leads to it. */
  link: (typeof navLabels)[number];
  heading: string;
  /** Waits until the page shows what it is about (its data loaded). */
  ready(page: Page): Promise<void>;
}

const tableWith = (page: Page, rows: Locator) => page.locator('[data-slot="table-container"]').filter({ has: rows });

describe("the console on a phone and in dark mode", () => {
  let app: AppOnDatabase;
  let browser: Browser;
  let w: WatchedPage | undefined;
  let created: CreatedKey;

  const pages: ConsolePage[] = [
    { path: "/console/submit", link: "Submit", heading: "Submit an event", ready: (page) => page.getByRole("button", { name: "Submit event" }).waitFor() },
    {
      path: "/console/aggregates",
      link: "Aggregates",
      heading: "Aggregates",
      ready: async (page) => {
        await page.locator('[data-testid="aggregates-table-card"][data-state="current"]').waitFor();
        await page.locator(`[data-testid="aggregate-row"][data-source="${longSource}"]`).first().waitFor();
      },
    },
    { path: "/console/events", link: "Events", heading: "Events", ready: (page) => page.locator(`[data-testid="raw-event"][data-source="${longSource}"]`).first().waitFor() },
    { path: "/console/keys", link: "Keys", heading: "Keys", ready: (page) => page.locator(`[data-testid="key-row"][data-prefix="${created.info.prefix}"]`).waitFor() },
    { path: "/console/api", link: "API", heading: "API reference", ready: (page) => page.locator('[data-testid="api-reference"][data-state="ready"]').waitFor({ timeout: 60_000 }) },
  ];

  beforeAll(async () => {
    assertProductionBuild();
    [app, browser] = await Promise.all([startAppOn("pglite"), launchChromium()]);
    const post = (source: string, metric: string, value: number) =>
      fetch(`${app.url}/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ source, payload: { metric, value } }) });
    for (const [source, metric, value] of [
      [longSource, "checkout_latency_ms", 182.5],
      [longSource, "orders", 3],
      ["web", "orders", 1],
    ] as const) {
      expect((await post(source, metric, value)).status, `POST /ingest ${source} ${metric}`).toBe(200);
    }
    // The key, as the Keys page creates it: tRPC keys.create (access control is off here).
    const res = await fetch(`${app.url}/api/trpc/keys.create`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ scope: "write", source: longSource, label: "checkout service, canary" }),
    });
    expect(res.status, "keys.create").toBe(200);
    created = ((await res.json()) as { result: { data: CreatedKey } }).result.data;
    expect(created.key.startsWith(created.info.prefix), `the prefix ${created.info.prefix} begins the key`).toBe(true);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });
  afterEach(async () => {
    await w?.context.close();
    expect(w?.errors, "browser console errors / page errors").toEqual([]);
    w = undefined;
  });

  async function openAt(viewport: Viewport, theme: Theme): Promise<Page> {
    w = await openWatchedPage(browser, app.url, { colorScheme: theme });
    await w.page.setViewportSize(viewport);
    return w.page;
  }

  async function expectNotWiderThanViewport(page: Page, where: string): Promise<void> {
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    expect(scrollWidth, `${where}: document.documentElement.scrollWidth ${scrollWidth} > window.innerWidth ${innerWidth}`).toBeLessThanOrEqual(innerWidth);
  }

  /** The header on one row (h-14 and its border), whatever the width. */
  async function expectOneRowHeader(page: Page, where: string): Promise<void> {
    const height = (await page.locator("body > header").boundingBox())?.height ?? 0;
    expect(height, `${where}: the header is ${height}px tall, more than one row`).toBeLessThanOrEqual(57);
  }

  /** Chooses the theme with the header's toggle (system → light → dark) and checks <html> has it, and the cookie. */
  async function chooseTheme(page: Page, theme: Theme): Promise<void> {
    const toggle = page.getByRole("button", { name: /theme \(click to change\)/ });
    for (let i = 0; i < 3 && (await toggle.getAttribute("data-theme-choice")) !== theme; i++) await toggle.click();
    expect(await toggle.getAttribute("data-theme-choice")).toBe(theme);
    await expectThemeApplied(page, theme);
    const cookie = (await page.context().cookies(app.url)).find((c) => c.name === "theme");
    expect(cookie?.value, "the theme cookie").toBe(theme);
  }

  async function expectThemeApplied(page: Page, theme: Theme): Promise<void> {
    const applied = await page.evaluate(() => ({
      classes: [...document.documentElement.classList].filter((c) => ["system", "light", "dark"].includes(c)),
      colorScheme: getComputedStyle(document.body).colorScheme,
    }));
    expect(applied, `the ${theme} theme on <html>`).toEqual({ classes: [theme], colorScheme: theme });
  }

  /** Goes to `target` through the header, as a person on this screen does: the Menu below lg, the links above. */
  async function navigate(page: Page, viewport: Viewport, from: string, target: ConsolePage): Promise<void> {
    const nav = page.getByRole("navigation", { name: "Main" });
    const menu = nav.getByRole("button", { name: "Menu" });
    const links = nav.getByRole("link");
    if (viewport.width < lg) {
      expect(await links.count(), `${from}: at ${viewport.width}px the links are folded`).toBe(0);
      expect(await menu.getAttribute("aria-expanded")).toBe("false");
      await menu.click();
      expect(await menu.getAttribute("aria-expanded")).toBe("true");
      expect(await links.allInnerTexts()).toEqual(navLabels);
      await expectNotWiderThanViewport(page, `${from} with the menu open`);
      await nav.getByRole("link", { name: target.link, exact: true }).click();
      await page.waitForURL(`**${target.path}`);
      // Following a link folds the menu again.
      await expect.poll(() => links.count(), { timeout: 5_000 }).toBe(0);
      expect(await menu.getAttribute("aria-expanded")).toBe("false");
    } else {
      expect(await menu.count(), `${from}: at ${viewport.width}px there is no Menu button`).toBe(0);
      expect(await links.allInnerTexts()).toEqual(navLabels);
      await nav.getByRole("link", { name: target.link, exact: true }).click();
      await page.waitForURL(`**${target.path}`);
    }
    // The current page is marked in the header (read whatever the menu's state).
    expect(await nav.locator('a[aria-current="page"]').textContent()).toBe(target.link);
  }

  /** At phone width the page's wide table scrolls inside its card: the container is wider inside than out, and scrolls. */
  async function expectTableScrollsInside(page: Page, rows: Locator, where: string): Promise<void> {
    const container = tableWith(page, rows);
    expect(await container.count(), `${where}: one table container`).toBe(1);
    const box = await container.evaluate((el) => {
      const before = el.scrollLeft;
      el.scrollLeft = 80;
      const scrolled = el.scrollLeft;
      el.scrollLeft = before;
      return { scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, overflowX: getComputedStyle(el).overflowX, scrolled };
    });
    expect(box.scrollWidth, `${where}: the table (${box.scrollWidth}px) is wider than its container (${box.clientWidth}px)`).toBeGreaterThan(box.clientWidth);
    expect(box.overflowX, `${where}: the table container scrolls sideways`).toBe("auto");
    expect(box.scrolled, `${where}: the table container scrolled by 80px`).toBe(80);
  }

  /** Swagger UI's ground and text, composed over everything under them, as the screen shows them. */
  async function swaggerColors(page: Page): Promise<Record<string, { background: number; text: number }>> {
    return page.evaluate(() => {
      // Any CSS colour (oklch included) drawn on a canvas and read back as sRGB.
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 1;
      const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
      const rgbOf = (layers: string[]): [number, number, number] => {
        ctx.globalCompositeOperation = "copy";
        ctx.fillStyle = "#fff";
        ctx.fillRect(0, 0, 1, 1);
        ctx.globalCompositeOperation = "source-over";
        for (const c of layers) {
          ctx.fillStyle = c;
          ctx.fillRect(0, 0, 1, 1);
        }
        const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
        return [r!, g!, b!];
      };
      // WCAG relative luminance.
      const luminance = ([r, g, b]: [number, number, number]) => {
        const lin = (v: number) => (v / 255 <= 0.04045 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
      };
      const backgrounds = (el: Element) => {
        const layers: string[] = [];
        for (let e: Element | null = el; e; e = e.parentElement) layers.unshift(getComputedStyle(e).backgroundColor);
        return layers;
      };
      const out: Record<string, { background: number; text: number }> = {};
      for (const selector of [".swagger-ui", ".swagger-ui .scheme-container", ".swagger-ui .opblock-tag", ".swagger-ui .info .title"]) {
        const el = document.querySelector(selector);
        if (!el) continue;
        const layers = backgrounds(el);
        out[selector] = { background: luminance(rgbOf(layers)), text: luminance(rgbOf([...layers, getComputedStyle(el).color])) };
      }
      return out;
    });
  }

  async function expectSwaggerFollowsTheme(page: Page, theme: Theme, where: string): Promise<void> {
    const colors = await swaggerColors(page);
    expect(Object.keys(colors), `${where}: Swagger UI's parts`).toEqual(expect.arrayContaining([".swagger-ui", ".swagger-ui .opblock-tag"]));
    for (const [selector, { background, text }] of Object.entries(colors)) {
      const what = `${where}: ${selector} (luminance: ground ${background.toFixed(3)}, text ${text.toFixed(3)})`;
      if (theme === "dark") {
        expect(background, `${what}: a dark ground`).toBeLessThan(0.1);
        expect(text, `${what}: light text`).toBeGreaterThan(0.4);
      } else {
        expect(background, `${what}: a light ground`).toBeGreaterThan(0.8);
        expect(text, `${what}: dark text`).toBeLessThan(0.2);
      }
      // Readable: WCAG AA contrast between the two.
      const contrast = (Math.max(background, text) + 0.05) / (Math.min(background, text) + 0.05);
      expect(contrast, `${what}: contrast`).toBeGreaterThanOrEqual(4.5);
    }
    expect(await page.evaluate(() => document.documentElement.classList.contains("dark-mode")), `${where}: Swagger UI's dark theme on <html>`).toBe(theme === "dark");
  }

  /** Each tag's description gets a readable width (beside a long tag name on a phone it was once a letter a line). */
  async function expectSwaggerTagsReadable(page: Page, where: string): Promise<void> {
    const widths = await page.locator(".swagger-ui .opblock-tag").evaluateAll((tags) =>
      tags.map((t) => ({ tag: t.querySelector("a.nostyle")?.textContent ?? "", description: Math.round(t.querySelector("small")?.getBoundingClientRect().width ?? 0) })),
    );
    expect(widths.length, `${where}: Swagger UI's tags`).toBeGreaterThan(0);
    const squeezed = widths.filter((t) => t.description < 150).map((t) => `${t.tag}: ${t.description}px`);
    expect(squeezed, `${where}: tag descriptions narrower than 150px: ${squeezed.join(", ")}`).toEqual([]);
  }

  async function expectKeyPrefixShownWhole(page: Page, viewport: Viewport, where: string): Promise<string> {
    const shown = page.locator(`[data-testid="key-row"][data-prefix="${created.info.prefix}"]`).getByTestId("key-prefix");
    const text = await shown.innerText();
    expect(text, `${where}: the key's text is the prefix keys.create answered`).toBe(created.info.prefix);
    // All of it on screen: not cut by its cell, and inside the table's visible part.
    const fit = await shown.evaluate((el) => {
      const container = el.closest('[data-slot="table-container"]')!.getBoundingClientRect();
      const own = el.getBoundingClientRect();
      return { clipped: el.scrollWidth > el.clientWidth, inside: own.left >= container.left && own.right <= container.right };
    });
    expect(fit, `${where} at ${viewport.width}px: the whole prefix is visible`).toEqual({ clipped: false, inside: true });
    return text;
  }

  it.each(combinations)("$viewport.width×$viewport.height, $theme: every page fits the screen, the header folds below lg, tables scroll in their card, Swagger and Keys right", async ({ viewport, theme }) => {
    const page = await openAt(viewport, theme);
    const combo = `${viewport.width}x${viewport.height}-${theme}`;
    const [first, ...rest] = pages;
    await openConsole(page, first!.path);
    await chooseTheme(page, theme);

    let from = first!;
    for (const target of [first!, ...rest]) {
      const where = `${target.path} at ${viewport.width}×${viewport.height} (${theme})`;
      if (target !== first) await navigate(page, viewport, from.path, target);
      from = target;
      await target.ready(page);
      await page.getByRole("heading", { level: 1, name: target.heading, exact: true }).waitFor();
      await expectThemeApplied(page, theme);
      await expectOneRowHeader(page, where);
      await expectNotWiderThanViewport(page, where);

      if (viewport.width < md && target.link === "Aggregates") await expectTableScrollsInside(page, page.getByTestId("aggregate-row").first(), where);
      if (viewport.width < md && target.link === "Events") await expectTableScrollsInside(page, page.getByTestId("raw-event").first(), where);
      if (viewport.width < md && target.link === "Keys") await expectTableScrollsInside(page, page.getByTestId("key-row").first(), where);
      if (target.link === "Keys") await expectKeyPrefixShownWhole(page, viewport, where);
      if (target.link === "API") {
        await expectSwaggerFollowsTheme(page, theme, where);
        await expectSwaggerTagsReadable(page, where);
      }

      await screenshot(page, `responsive-${combo}-${target.link.toLowerCase()}`);
      // Scrolling the page must not reveal anything wider either (the screenshot scrolled to the top).
      await expectNotWiderThanViewport(page, `${where}, after the screenshot`);
    }

    // The theme was remembered for the server: a page loaded afresh (here the sign-in page,
    // the one console page outside the header's links) is rendered in it, and fits too.
    await openConsole(page, "/console/sign-in");
    await page.getByTestId("access-control-off").waitFor();
    await expectThemeApplied(page, theme);
    await expectNotWiderThanViewport(page, `/console/sign-in at ${viewport.width}×${viewport.height} (${theme})`);
    await screenshot(page, `responsive-${combo}-sign-in`);
  });

  it("the key's text on the Keys page is what `npm run keys -- revoke` takes", async () => {
    const page = await openAt(viewports[0], "light");
    await openConsole(page, "/console/keys");
    const row = page.locator(`[data-testid="key-row"][data-prefix="${created.info.prefix}"]`);
    await row.waitFor();
    const text = await expectKeyPrefixShownWhole(page, viewports[0], "/console/keys");
    // What a person does with it: paste it after `revoke`. While the server holds the
    // embedded database the CLI asks that server (at HOST:PORT).
    const revoked = await runToExit("scripts/keys.ts", { ...app.databaseEnv, PORT: String(app.port) }, { args: ["revoke", text] });
    expect({ code: revoked.code, stderr: revoked.stderr }).toEqual({ code: 0, stderr: "" });
    expect(revoked.stdout).toMatch(new RegExp(`^Revoked ${created.info.prefix} \\(write, source ${longSource}\\) at \\S+\\n$`));
    await expect.poll(() => row.getAttribute("data-status"), { timeout: 10_000 }).toBe("revoked");
  });
});
