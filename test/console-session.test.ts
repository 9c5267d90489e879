// Where the console's sign-in page may send the browser afterwards (safeNextPath): only to a
// console page of this site, never another origin, the API or back to sign-in.
import { describe, expect, it } from "vitest";
import { safeNextPath, signInUrl } from "../src/lib/console-session";

describe("safeNextPath", () => {
  it.each([
    ["/console/keys", "/console/keys"],
    ["/console/events?source=a%20b&status=received", "/console/events?source=a%20b&status=received"],
    ["/console", "/console"],
    ["/console/aggregates#chart", "/console/aggregates#chart"],
    // Next's marker on a redirected client-side navigation is not part of the page.
    ["/console/events?_rsc=1x2y&source=s", "/console/events?source=s"],
  ])("keeps the console page %s", (next, expected) => {
    expect(safeNextPath(next)).toBe(expected);
  });

  it.each([
    [undefined],
    [null],
    [""],
    ["//evil.example/console/keys"],
    ["/\\evil.example/console"],
    ["https://evil.example/console/keys"],
    ["javascript:alert(1)"],
    ["console/keys"],
    ["/consoles"],
    ["/api/session"],
    ["/ingest"],
    ["/console/sign-in"],
    ["/console/sign-in?next=/console/keys"],
    ["/console/../api/session"],
  ])("sends %s to the default page", (next) => {
    expect(safeNextPath(next)).toBe("/console/submit");
  });

  it("builds the sign-in address that comes back to a page", () => {
    expect(signInUrl("/console/events?source=a&b")).toBe("/console/sign-in?next=%2Fconsole%2Fevents%3Fsource%3Da%26b");
    expect(signInUrl()).toBe("/console/sign-in");
  });
});
