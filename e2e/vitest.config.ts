// End-to-end suites: the production build as real processes, over real HTTP and, for the
// UI, in Debian's Chromium. Run after `npm run build`.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: ".",
    include: ["e2e/**/*.test.ts"],
    exclude: ["e2e/faults/**", "node_modules/**"],
    globalSetup: ["test/support/global-setup.ts", "e2e/support/build-server.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
