// One line of setup for a suite: a fresh migrated database before the first test (plus
// extra connection pools on it, standing in for more app instances), the invariants checked
// and the database dropped after the last. The returned object is filled in by beforeAll.
import { afterAll, beforeAll, expect } from "vitest";
import type { Database } from "../../src/server/db/database";
import { checkInvariants } from "./invariants";
import { createTestDatabase, openTestDatabase, type BackendKind, type TestDatabase } from "./test-db";

export type SuiteDatabase = TestDatabase & { instances: Database[] };

export function useTestDatabase(kind: BackendKind, opts: { instances?: number; poolSize?: number } = {}): SuiteDatabase {
  const suite = { instances: [] } as unknown as SuiteDatabase;
  beforeAll(async () => {
    Object.assign(suite, await createTestDatabase(kind));
    for (let i = 0; i < (opts.instances ?? 0); i++) {
      suite.instances.push(openTestDatabase(suite.url, { poolSize: opts.poolSize ?? 8 }));
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
