// The container suite (npm run test:container): builds the Dockerfile with buildah on a
// stand-in Node image and runs it against PostgreSQL. Needs root, buildah and debootstrap
// (CI's .ci/run installs them); several minutes, most of it the image's own npm ci and build.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: ".",
    include: ["e2e/container/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 1_500_000,
    fileParallelism: false,
    reporters: ["verbose"],
  },
});
