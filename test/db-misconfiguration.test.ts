// A database the service may not use as it needs — a role without write grants, a missing
// table, a database that does not exist — is not an outage: writes answer
// 500 DATABASE_MISCONFIGURED (not retryable) with a fixed message, /api/ready answers 503
// "misconfigured" with a reason an operator can act on, the log has the SQLSTATE and the
// database's words. Unrecognised failures answer 500 INTERNAL, outages 503
// DATABASE_UNAVAILABLE, both with fixed messages. Real roles, real HTTP, both databases.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/server/db/database";
import { migrate } from "../src/server/db/migrate";
import { writePathPrivileges } from "../src/server/db/readiness";
import { recoverStuckEvents } from "../src/server/ingest/recover-stuck-events";
import { captureLog } from "./support/capture-log";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { backends, createTestDatabase, openTestDatabase, postgresUrl, testConfig, testContext, withDatabase, type BackendKind, type TestDatabase } from "./support/test-db";

const misconfiguredBody = {
  error: { code: "DATABASE_MISCONFIGURED", message: "The service cannot use its database as configured; an operator must fix it (see the server log)", retryable: false, requestId: expect.any(String) },
};
const unavailableBody = { error: { code: "DATABASE_UNAVAILABLE", message: "The database is unavailable or timed out; retry later with the same request", retryable: true, requestId: expect.any(String) } };

const event = (source: string) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ source, payload: { metric: "m", value: 1 } }) });

/** GET /api/ready answers 503 with this body (and `status: "not-ready"`). */
async function expectNotReady(app: HttpApp, body: Record<string, unknown>): Promise<void> {
  const ready = await fetch(`${app.url}/api/ready`);
  expect(ready.status).toBe(503);
  expect(ready.headers.get("retry-after")).toBe("1");
  expect(await ready.json()).toEqual({ status: "not-ready", ...body });
}

/** An app over `db` whose log is kept. */
async function appOn(db: Database) {
  const log = captureLog();
  const app = await startHttpApp({ db, config: testConfig({ RECOVERY_DELAY_MS: "60000" }), log });
  return { app, log };
}

/**
 * A database handle that acts as a new role granted SELECT only: on PostgreSQL a LOGIN role
 * and its own connection URL; on PGlite (one connection, superuser) the session takes that
 * role (SET ROLE) until `close`. `grant` runs as the superuser.
 */
async function asReadOnlyRole(kind: BackendKind, t: TestDatabase): Promise<{ db: Database; role: string; grant(sql: string): Promise<void>; close(): Promise<void> }> {
  const role = `ingest_ro_${randomBytes(4).toString("hex")}`;
  await t.db.execScript(`CREATE ROLE ${role} LOGIN; GRANT USAGE ON SCHEMA public TO ${role}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role};`);
  if (kind === "pglite") {
    await t.db.execScript(`SET ROLE ${role}`);
    return {
      db: t.db,
      role,
      // Back to the superuser for the grant, then to the role again.
      grant: (sql) => t.db.execScript(`RESET ROLE; ${sql}; SET ROLE ${role}`),
      close: () => t.db.execScript("RESET ROLE"),
    };
  }
  const u = new URL(t.url!);
  u.username = role;
  const db = openTestDatabase(u.toString());
  return {
    db,
    role,
    grant: (sql) => t.db.execScript(sql),
    async close() {
      await db.close();
      // The database goes first (dropped by t.drop()); the role's grants go with it.
    },
  };
}

describe.each(backends)("a misconfigured database on %s", (kind) => {
  let t: TestDatabase;
  const roles: string[] = [];
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.drop();
    if (kind === "postgresql") for (const role of roles) await dropRole(role);
  });

  it("a role that may only read: writes answer 500 DATABASE_MISCONFIGURED without names, readiness says why, nothing is stored", async () => {
    const ro = await asReadOnlyRole(kind, t);
    roles.push(ro.role);
    const { app, log } = await appOn(ro.db);
    try {
      const res = await fetch(`${app.url}/ingest`, event("ro"));
      expect(res.status).toBe(500);
      expect(res.headers.get("retry-after")).toBeNull();
      const text = await res.text();
      expect(JSON.parse(text)).toEqual(misconfiguredBody);
      for (const leak of [ro.role, "raw_event", "42501", "permission", "SQLSTATE"]) expect(text).not.toContain(leak);

      const batch = await fetch(`${app.url}/ingest/batch`, { ...event("ro"), body: JSON.stringify({ events: [{ source: "ro", payload: { metric: "m", value: 1 } }] }) });
      expect(batch.status).toBe(500);
      expect(await batch.json()).toEqual(misconfiguredBody);

      const trpc = await fetch(`${app.url}/api/trpc/ingest`, { ...event("ro"), body: JSON.stringify({ source: "ro", payload: { metric: "m", value: 1 } }) });
      expect(trpc.status).toBe(500);
      const trpcText = await trpc.text();
      expect(JSON.parse(trpcText)).toMatchObject({ error: { data: { appError: misconfiguredBody.error } } });
      for (const leak of [ro.role, "raw_event", "42501", "permission denied", "stack", ".ts:"]) expect(trpcText).not.toContain(leak);

      await expectNotReady(app, {
        database: "misconfigured",
        reason:
          "the database role lacks INSERT on raw_event; INSERT, UPDATE, DELETE on raw_event_pending; INSERT on raw_event_outcome; INSERT on processed_event; USAGE on processed_event_id_seq; " +
          "INSERT, UPDATE on metric_aggregate; INSERT, UPDATE on metric_aggregate_hour; INSERT, UPDATE on metric_aggregate_day; INSERT, UPDATE on meter_rollup; " +
          "INSERT on meter_distinct; INSERT, UPDATE on api_key (permission denied): grant them or use another role",
      });

      // The operator's detail is in the log, at error: the SQLSTATE and the database's words.
      const failures = log.records.filter((r) => r.msg === "request failed" || r.msg === "trpc request failed");
      expect(failures).toHaveLength(3);
      for (const f of failures) expect(f).toMatchObject({ level: "error", fields: { code: "DATABASE_MISCONFIGURED", sqlstate: "42501", detail: expect.stringContaining("permission denied for table raw_event") } });
      expect(log.records.filter((r) => r.msg === "not ready")).toMatchObject([{ level: "error", fields: { database: "misconfigured", role: ro.role } }]);

      expect(await t.db.prisma.rawEventState.count()).toBe(0);
    } finally {
      await app.close();
      await ro.close();
    }
  });

  it("once granted the privileges readiness checks, the same process is ready and ingests; the role migrates without DDL", async () => {
    const ro = await asReadOnlyRole(kind, t);
    roles.push(ro.role);
    const { app } = await appOn(ro.db);
    try {
      expect((await fetch(`${app.url}/ingest`, event("granted"))).status).toBe(500);
      await ro.grant(writePathPrivileges.map(([relation, privilege]) => `GRANT ${privilege} ON ${relation} TO ${ro.role}`).join("; "));
      expect((await fetch(`${app.url}/api/ready`)).status).toBe(200);
      const res = await fetch(`${app.url}/ingest`, event("granted"));
      expect(await res.json()).toEqual({ success: true, deduplicated: false, identifiedBy: "content" });
      expect(await migrate(ro.db)).toEqual([]);
    } finally {
      await app.close();
      await ro.close();
    }
  });

  it("a missing table: writes answer 500 DATABASE_MISCONFIGURED, readiness names the table, the worker keeps the event", async () => {
    const { app, log } = await appOn(t.db);
    const worker = testContext(t.db, { RECOVERY_MAX_ATTEMPTS: "1", RECOVERY_DELAY_MS: "60000" });
    await t.db.execScript("ALTER TABLE metric_aggregate RENAME TO metric_aggregate_gone");
    try {
      const res = await fetch(`${app.url}/ingest`, event("missing"));
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual(misconfiguredBody);
      expect(log.records.find((r) => r.msg === "request failed")).toMatchObject({ level: "error", fields: { sqlstate: "42P01" } });
      await expectNotReady(app, { database: "misconfigured", reason: "missing from the database: metric_aggregate" });
      // The raw event captured before processing failed stays `received`: a misconfiguration
      // says nothing about the event, so the worker does not use up its attempts on it.
      await t.db.prisma.rawEventPending.updateMany({ where: { rawEvent: { source: "missing" } }, data: { nextAttemptAt: new Date(0) } });
      expect(await recoverStuckEvents(worker)).toEqual({ recovered: 0, failed: 0, retrying: 1 });
      expect(await t.db.prisma.rawEventState.findFirst({ where: { source: "missing" } })).toMatchObject({ status: "received", attempts: 1 });
    } finally {
      await t.db.execScript("ALTER TABLE metric_aggregate_gone RENAME TO metric_aggregate");
      await app.close();
    }
    // Fixed, the worker counts it.
    await t.db.prisma.rawEventPending.updateMany({ where: { rawEvent: { source: "missing" } }, data: { nextAttemptAt: new Date(0) } });
    expect(await recoverStuckEvents(worker)).toEqual({ recovered: 1, failed: 0, retrying: 0 });
  });

  it("an event the database refuses (a trigger raising an error) answers 500 EVENT_FAILED, not retryable, with a fixed message; the words go to the log and the stored reason", async () => {
    await t.db.execScript(`
      CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'secret trigger text'; END $$;
      CREATE TRIGGER test_refuse BEFORE INSERT ON processed_event FOR EACH ROW EXECUTE FUNCTION test_refuse();`);
    const { app, log } = await appOn(t.db);
    try {
      const res = await fetch(`${app.url}/ingest`, event("refused"));
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({
        error: { code: "EVENT_FAILED", message: "The database refused to store this event; it is kept as failed with the reason (see the Events page)", retryable: false, requestId: expect.any(String) },
      });
      expect(text).not.toContain("secret");
      expect(log.records.find((r) => r.msg === "request failed")).toMatchObject({ level: "error", fields: { code: "EVENT_FAILED", sqlstate: "P0001", detail: "secret trigger text (SQLSTATE P0001)" } });
      expect(await t.db.prisma.rawEventState.findMany({ where: { source: "refused" }, select: { status: true, reasonCode: true, reason: true } })).toEqual([
        { status: "failed", reasonCode: "EVENT_FAILED", reason: "the database refused this event: secret trigger text (SQLSTATE P0001)" },
      ]);
    } finally {
      await t.db.execScript("DROP TRIGGER test_refuse ON processed_event; DROP FUNCTION test_refuse();");
      await app.close();
    }
  });
});

describe("a database server that cannot be used", () => {
  it("connection refused: 503 DATABASE_UNAVAILABLE with Retry-After and a fixed message; readiness says down", async () => {
    const db = openTestDatabase("postgresql://postgres@127.0.0.1:9/none", { connectTimeoutMs: 1000, queryTimeoutMs: 1000 });
    const { app, log } = await appOn(db);
    try {
      const res = await fetch(`${app.url}/ingest`, event("refused"));
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      const text = await res.text();
      expect(JSON.parse(text)).toEqual(unavailableBody);
      for (const leak of ["127.0.0.1", "reach", "Raw query", "ECONNREFUSED"]) expect(text).not.toContain(leak);
      expect(log.records.find((r) => r.msg === "request failed")).toMatchObject({ level: "warn", fields: { code: "DATABASE_UNAVAILABLE", detail: expect.stringContaining("127.0.0.1:9") } });
      await expectNotReady(app, { database: "down", reason: "the database cannot be reached or failed the check (details in the server log)" });
    } finally {
      await app.close();
      await db.close();
    }
  });

  it.runIf(postgresUrl)("a database that does not exist: 500 DATABASE_MISCONFIGURED; readiness names the problem", async () => {
    const db = openTestDatabase(withDatabase(postgresUrl!, `ingest_missing_${randomBytes(4).toString("hex")}`));
    const { app } = await appOn(db);
    try {
      const res = await fetch(`${app.url}/ingest`, event("nodb"));
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual(misconfiguredBody);
      await expectNotReady(app, { database: "misconfigured", reason: "the database named in DATABASE_URL does not exist (SQLSTATE 3D000)" });
    } finally {
      await app.close();
      await db.close();
    }
  });
});

async function dropRole(role: string): Promise<void> {
  const admin = openTestDatabase(postgresUrl);
  try {
    await admin.execScript(`DROP ROLE IF EXISTS ${role}`);
  } finally {
    await admin.close();
  }
}
