// `npm test`: two projects, run side by side on the machine's two cores.
// - unit: pure functions (no database, no server, no process), in threads.
// - storage: everything on a real database (PGlite always; PostgreSQL too when
//   TEST_DATABASE_URL is set). Its global setup makes the migrated PGlite template every
//   PGlite test database is cloned from (test/support/pglite-setup.ts). Files share
//   their worker process (isolate: false): the module graph (Prisma, PGlite's WASM) is
//   loaded and compiled once per worker instead of once per file. Nothing in the server
//   is per process (state is kept per database handle or per context), and every file
//   opens, closes and drops its own databases and servers.
// Suites that run the product as real processes (the CLIs, a PGlite folder's owner, the
// typed client's package) are end-to-end suites: `npm run test:e2e` (e2e/vitest.config.ts).
import { defineConfig } from "vitest/config";

const unit = [
  "test/aggregate-table.test.ts",
  "test/canonical-json.test.ts",
  "test/config.test.ts",
  "test/console-session.test.ts",
  "test/dedup-key.test.ts",
  "test/event-pages.test.ts",
  "test/group-queue.test.ts",
  "test/key-form.test.ts",
  "test/meter-windows.test.ts",
  "test/meters-schema.test.ts",
  "test/node-version.test.ts",
  "test/normalize.test.ts",
  "test/outcome.test.ts",
  "test/read-event.test.ts",
  "test/served-hosts.test.ts",
  "test/time-range.test.ts",
  "test/window-rows-sql.test.ts",
];

export default defineConfig({
  test: {
    // Two cores: PGlite is CPU-bound WASM; more workers only thrash.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          include: unit,
          pool: "threads",
        },
      },
      {
        test: {
          name: "storage",
          include: ["test/**/*.test.ts"],
          exclude: unit,
          globalSetup: ["test/support/global-setup.ts", "test/support/pglite-setup.ts"],
          isolate: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
