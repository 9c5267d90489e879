// End-to-end suites: the production build as real processes, over real HTTP and, for the
// UI, in Debian's Chromium. Run after `npm run build`.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: ".",
    include: ["e2e/**/*.test.ts"],
    exclude: ["e2e/faults/**", "e2e/container/**", "node_modules/**"],
    globalSetup: ["test/support/global-setup.ts", "e2e/support/build-server.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    // A condition the page reaches (rows of a new page, a label) may take longer than
    // vitest's default 1 s on two busy cores; waiting longer only delays a real failure.
    expect: { poll: { timeout: 10_000 } },
  },
});
