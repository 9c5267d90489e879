// tRPC `console.settings` over real HTTP: the console learns whether this server allows
// failure simulation before it offers the switch, so it never provokes a 403. The operator
// only, like the console; answered from the config, so it holds during a database outage.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../src/server/auth/api-keys";
import { simulationOffReason } from "../src/server/console/console-settings";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { createTestDatabase, testContext, type TestDatabase } from "./support/test-db";

const ADMIN = "operator-token-for-tests-0123456789abcdef";

describe("console.settings", () => {
  let t: TestDatabase;
  const apps: HttpApp[] = [];
  const start = async (env: Record<string, string>) => {
    const app = await startHttpApp(testContext(t.db, env));
    apps.push(app);
    return app;
  };
  const settings = async (app: HttpApp, headers: Record<string, string> = {}) => {
    const res = await fetch(`${app.url}/api/trpc/console.settings`, { headers });
    return { status: res.status, body: (await res.json()) as { result?: { data: unknown }; error?: { data: { appError: { code: string } } } } };
  };

  beforeAll(async () => {
    t = await createTestDatabase("pglite");
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await t.drop();
  });

  it("says simulation is on where SIMULATION_ENABLED is (the default outside production)", async () => {
    const app = await start({});
    expect(await settings(app)).toEqual({ status: 200, body: { result: { data: { simulation: { enabled: true } } } } });
  });

  it("says simulation is off, with the one-line reason the Submit page shows, where SIMULATION_ENABLED=false", async () => {
    const app = await start({ SIMULATION_ENABLED: "false" });
    expect(await settings(app)).toEqual({ status: 200, body: { result: { data: { simulation: { enabled: false, reason: simulationOffReason } } } } });
    expect(simulationOffReason).toBe("Failure simulation is off on this server (SIMULATION_ENABLED=false; the default in production).");
  });

  it("with access control on, answers the operator only: 401 without credentials, 403 for a write or read key", async () => {
    const app = await start({ AUTH_REQUIRED: "true", ADMIN_TOKEN: ADMIN, SIMULATION_ENABLED: "false" });
    const write = (await createApiKey(t.db, { scope: "write", source: "settings-src" })).key;
    const read = (await createApiKey(t.db, { scope: "read" })).key;
    const anonymous = await settings(app);
    expect([anonymous.status, anonymous.body.error?.data.appError.code]).toEqual([401, "UNAUTHENTICATED"]);
    for (const key of [write, read]) {
      const refused = await settings(app, { authorization: `Bearer ${key}` });
      expect([refused.status, refused.body.error?.data.appError.code]).toEqual([403, "FORBIDDEN"]);
    }
    expect(await settings(app, { authorization: `Bearer ${ADMIN}` })).toEqual({
      status: 200,
      body: { result: { data: { simulation: { enabled: false, reason: simulationOffReason } } } },
    });
  });
});
