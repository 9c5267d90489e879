// Debian's Chromium driven by playwright-core for the console's browser journeys, plus
// the watch every journey keeps on the browser console: any error logged by the page, or
// any uncaught exception, fails the test (see expectNoBrowserErrors).
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from "playwright-core";
import { projectRoot } from "../../support/app-process";

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const artifactsDir = join(projectRoot, "e2e", "artifacts");

/** `proxy`: an HTTP proxy for every destination but loopback (support/loopback-proxy.ts). */
export async function launchChromium(opts: { proxy?: string } = {}): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}: apt-get install chromium (CI's .ci/run does)`);
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    ...(opts.proxy ? { proxy: { server: opts.proxy } } : {}),
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** The built app must exist: these journeys run against the production build. */
export function assertProductionBuild(): void {
  if (!existsSync(join(projectRoot, ".next", "BUILD_ID"))) throw new Error("No production build: run `npm run build` before `npm run test:e2e`");
}

/**
 * The one kind of console error a journey may see: Chromium's own network log line for an
 * ingest call the test made fail on purpose (a simulated 503, or a 422 for an event the
 * test meant to be rejected). It is the browser reporting the HTTP status, not the app
 * misbehaving; anything else, from any URL, fails the test.
 */
function isDeliberateIngestFailure(msg: ConsoleMessage): boolean {
  return (
    /^Failed to load resource: the server responded with a status of (503|422)\b/.test(msg.text()) &&
    new URL(msg.location().url || "http://x/").pathname === "/api/trpc/ingest"
  );
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Every console error and uncaught page error seen so far, on every page of the context. */
  errors: string[];
  /** Opens another page in the same context, watched the same way. */
  newPage(): Promise<Page>;
}

export async function openWatchedPage(
  browser: Browser,
  baseURL: string,
  opts: { colorScheme?: "light" | "dark"; timezoneId?: string; locale?: string } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1280, height: 900 },
    colorScheme: opts.colorScheme ?? "light",
    ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
    ...(opts.locale ? { locale: opts.locale } : {}),
  });
  const errors: string[] = [];
  const watch = (page: Page) => {
    page.on("console", (msg) => {
      if (msg.type() === "error" && !isDeliberateIngestFailure(msg)) errors.push(`console.error: ${msg.text()} (${msg.location().url})`);
    });
    page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
    return page;
  };
  const page = watch(await context.newPage());
  return { context, page, errors, newPage: async () => watch(await context.newPage()) };
}

/** Waits until no CSS/WAAPI animation is running, so a screenshot shows the settled page. */
export async function waitForAnimations(page: Page): Promise<void> {
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running"), undefined, { timeout: 5_000 }).catch(() => {});
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  await waitForAnimations(page);
  // A full-page capture of a scrolled page draws the sticky header mid-page; start at the top.
  await page.evaluate(() => window.scrollTo(0, 0));
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Makes the page's `Date` say `iso` is now (Date.now() and new Date() without arguments), and
 * nothing else: timers, animation frames and performance.now() run as usual. (Playwright's
 * page.clock also stops performance.now() and animation frames, so animations never end.)
 */
export async function fixDateNow(page: Page, iso: string): Promise<void> {
  await page.addInitScript((fixed: number) => {
    const RealDate = Date;
    class FixedDate extends RealDate {
      constructor(...args: unknown[]) {
        if (args.length === 0) super(fixed);
        else super(...(args as [number]));
      }
      static override now(): number {
        return fixed;
      }
    }
    window.Date = FixedDate as DateConstructor;
  }, Date.parse(iso));
}
