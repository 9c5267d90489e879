// Holds a page's requests in the browser until the test lets them go, so a journey can look
// at a page exactly while it waits for the server (its loading state), without sleeping and
// without faking the answer: each request, once released, goes to the real server unchanged.
import type { Page, Route } from "playwright-core";

export interface RequestGate {
  /** How many requests are being held. */
  held(): number;
  /** Resolves once at least `n` requests are held. */
  waitForHeld(n?: number): Promise<void>;
  /** Lets every held request (and every later one) through, and stops holding. */
  release(): Promise<void>;
}

export async function holdRequests(page: Page, matches: (url: URL) => boolean): Promise<RequestGate> {
  let held = 0;
  let open = false;
  let letThrough!: () => void;
  const released = new Promise<void>((resolve) => (letThrough = resolve));
  const watchers: { n: number; resolve: () => void }[] = [];
  await page.route(matches, async (route: Route) => {
    if (!open) {
      held++;
      for (const w of watchers.filter((w) => held >= w.n)) w.resolve();
      await released;
    }
    await route.continue();
  });
  return {
    held: () => held,
    waitForHeld: (n = 1) => (held >= n ? Promise.resolve() : new Promise<void>((resolve) => watchers.push({ n, resolve }))),
    release() {
      open = true;
      letThrough();
      return Promise.resolve();
    },
  };
}

/** The console's tRPC calls (queries and mutations), by URL. */
export const trpcCalls = (url: URL) => url.pathname.startsWith("/api/trpc/");
