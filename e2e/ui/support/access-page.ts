// Access-control steps for the browser journeys: land on the sign-in page, sign in with a
// token, read the session cookie as the browser holds it.
import type { BrowserContext, Cookie, Page } from "playwright-core";
import { expect } from "vitest";

export const signInPathname = "/console/sign-in";
export const sessionCookieName = "ingest_session";

/** Goes to `path` signed out and checks the server sent the browser to sign in, asking to come back. */
export async function expectSentToSignIn(page: Page, path: string): Promise<void> {
  const answer = await page.goto(path);
  const url = new URL(page.url());
  expect(url.pathname, `${path} while signed out`).toBe(signInPathname);
  expect(url.searchParams.get("next")).toBe(path);
  expect(
    await answer
      ?.request()
      .redirectedFrom()
      ?.response()
      .then((r) => r?.status()),
  ).toBe(303);
  await tokenField(page).waitFor();
}

export const tokenField = (page: Page) => page.getByLabel("Operator token");

/** Types the token on the (hydrated) sign-in page and presses Sign in. */
export async function submitToken(page: Page, token: string): Promise<void> {
  await page.locator("nav[data-hydrated]").waitFor();
  await tokenField(page).fill(token);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** Opens `path` signed out, signs in on the page it is sent to, and waits to be back on `path`. */
export async function signInThrough(page: Page, token: string, path: string): Promise<void> {
  await expectSentToSignIn(page, path);
  await submitToken(page, token);
  await page.waitForURL((u) => `${u.pathname}${u.search}` === path);
  await page.locator("nav[data-hydrated]").waitFor();
}

export async function sessionCookie(context: BrowserContext): Promise<Cookie | undefined> {
  return (await context.cookies()).find((c) => c.name === sessionCookieName);
}
