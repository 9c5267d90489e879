// The fault-injection suite (npm run test:faults): its own throwaway PostgreSQL cluster,
// the app as real processes over HTTP, a nemesis that kills, freezes and partitions.
// Files run one after another: each owns a cluster and the machine has two cores.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: ".",
    include: ["e2e/faults/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    globalSetup: ["e2e/support/build-server.ts"],
    fileParallelism: false,
    // Tally and timings are printed as the suite goes.
    reporters: ["verbose"],
  },
});
