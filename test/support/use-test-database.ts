// One line of setup for a suite: a fresh migrated database before the first test (plus
// extra connection pools on it, standing in for more app instances), the invariants checked
// and the database dropped after the last. The returned object is filled in by beforeAll.
import { afterAll, beforeAll, expect } from "vitest";
import { openDatabase, type Database } from "../../src/server/db/database";
import { checkInvariants } from "./invariants";
import { createTestDatabase, type BackendKind, type TestDatabase } from "./test-db";

export type SuiteDatabase = TestDatabase & { instances: Database[] };

export function useTestDatabase(kind: BackendKind, opts: { instances?: number; poolSize?: number } = {}): SuiteDatabase {
  const suite = { instances: [] } as unknown as SuiteDatabase;
  beforeAll(async () => {
    Object.assign(suite, await createTestDatabase(kind));
    for (let i = 0; i < (opts.instances ?? 0); i++) {
      suite.instances.push(
        openDatabase({ url: suite.url, pgliteDataDir: "memory://", poolSize: opts.poolSize ?? 8, connectTimeoutMs: 5000, queryTimeoutMs: 10_000, transactionTimeoutMs: 10_000 }),
      );
    }
  });
  afterAll(async () => {
    if (!suite.db) return;
    await Promise.all(suite.instances.map((db) => db.close()));
    try {
      expect(await checkInvariants(suite.db)).toEqual([]);
    } finally {
      await suite.drop();
    }
  });
  return suite;
}
