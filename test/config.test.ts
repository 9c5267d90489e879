// Configuration is validated at start: safe defaults, and a clear refusal naming the
// variable on nonsense.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { configKeys, defaultPgliteDataDir, loadConfig } from "../src/server/config";

describe("configuration", () => {
  it("has safe defaults for a newcomer's machine (embedded database, port 3000)", () => {
    const c = loadConfig({});
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c).toMatchObject({ PORT: 3000, PGLITE_DATA_DIR: ".data/development", MAX_EVENT_BYTES: 65536, MAX_REQUEST_BYTES: 1048576, MAX_BATCH_EVENTS: 500 });
    expect(c.SIMULATION_ENABLED).toBe(true);
  });

  it("keeps each mode's embedded data in a folder of its own unless PGLITE_DATA_DIR names one", () => {
    expect(defaultPgliteDataDir("development")).toBe(".data/development");
    expect(defaultPgliteDataDir("production")).toBe(".data/production");
    expect(defaultPgliteDataDir("test")).toBe(".data/test");
    expect(loadConfig({ NODE_ENV: "production", AUTH_REQUIRED: "false" }).PGLITE_DATA_DIR).toBe(".data/production");
    expect(loadConfig({ NODE_ENV: "test" }).PGLITE_DATA_DIR).toBe(".data/test");
    expect(loadConfig({ NODE_ENV: "production", AUTH_REQUIRED: "false", PGLITE_DATA_DIR: "/srv/ingest" }).PGLITE_DATA_DIR).toBe("/srv/ingest");
    expect(loadConfig({ PGLITE_DATA_DIR: "" }).PGLITE_DATA_DIR).toBe(".data/development");
  });

  it("turns simulation off in production unless an operator enables it explicitly", () => {
    expect(loadConfig({ NODE_ENV: "production", AUTH_REQUIRED: "false" }).SIMULATION_ENABLED).toBe(false);
    expect(loadConfig({ NODE_ENV: "production", AUTH_REQUIRED: "false", SIMULATION_ENABLED: "true" }).SIMULATION_ENABLED).toBe(true);
    expect(loadConfig({ NODE_ENV: "development", SIMULATION_ENABLED: "false" }).SIMULATION_ENABLED).toBe(false);
  });

  it.each([
    [{ PORT: "eighty" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ DATABASE_URL: "mongodb://localhost/x" }, "DATABASE_URL"],
    [{ DB_POOL_SIZE: "0" }, "DB_POOL_SIZE"],
    [{ RECOVERY_MAX_ATTEMPTS: "-1" }, "RECOVERY_MAX_ATTEMPTS"],
    [{ SIMULATION_ENABLED: "maybe" }, "SIMULATION_ENABLED"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
  ])("refuses %j with a message naming %s", (env, name) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`Invalid configuration:[\\s\\S]*${name}`));
  });

  it("closes production by default: access control on, and no start without a strong ADMIN_TOKEN", () => {
    expect(loadConfig({}).AUTH_REQUIRED).toBe(false);
    expect(loadConfig({ NODE_ENV: "test" }).AUTH_REQUIRED).toBe(false);
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/Invalid configuration:\n {2}ADMIN_TOKEN: must be set to at least 32 characters/);
    expect(() => loadConfig({ NODE_ENV: "production", ADMIN_TOKEN: "short-but-not-32-characters" })).toThrow(/ADMIN_TOKEN: must be set to at least 32/);
    expect(() => loadConfig({ AUTH_REQUIRED: "true", ADMIN_TOKEN: "too-short" })).toThrow(/ADMIN_TOKEN/);
    const strong = "x".repeat(32);
    expect(loadConfig({ NODE_ENV: "production", ADMIN_TOKEN: strong })).toMatchObject({ AUTH_REQUIRED: true, ADMIN_TOKEN: strong });
    // Keys only (no operator) is allowed outside production.
    const keysOnly = loadConfig({ AUTH_REQUIRED: "true" });
    expect([keysOnly.AUTH_REQUIRED, keysOnly.ADMIN_TOKEN]).toEqual([true, undefined]);
    expect(() => loadConfig({ RATE_LIMIT_BURST: "100" })).toThrow(/RATE_LIMIT_BURST: must be at least MAX_BATCH_EVENTS \(500\)/);
  });

  it("gives load balancers a stop grace in production only, and keeps the metrics port apart from PORT", () => {
    expect(loadConfig({}).SHUTDOWN_GRACE_MS).toBe(0);
    expect(loadConfig({ NODE_ENV: "production", AUTH_REQUIRED: "false" }).SHUTDOWN_GRACE_MS).toBe(5000);
    expect(loadConfig({ NODE_ENV: "production", AUTH_REQUIRED: "false", SHUTDOWN_GRACE_MS: "0" }).SHUTDOWN_GRACE_MS).toBe(0);
    expect(loadConfig({}).SHUTDOWN_TIMEOUT_MS).toBe(10_000);
    expect(loadConfig({}).METRICS_PORT).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: "9464" }).METRICS_PORT).toBe(9464);
    expect(() => loadConfig({ PORT: "9464", METRICS_PORT: "9464" })).toThrow(/METRICS_PORT: must differ from PORT \(9464\)/);
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: "-1" })).toThrow(/SHUTDOWN_TIMEOUT_MS/);
  });

  it("treats empty variables as unset", () => {
    const c = loadConfig({ DATABASE_URL: "", PORT: "" });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.PORT).toBe(3000);
  });
});

describe("configuration documentation", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const example = readFileSync(new URL("../.env.example", import.meta.url), "utf8");
  it.each(configKeys)("%s is documented in the README table and in .env.example", (key) => {
    expect(readme).toContain(`| \`${key}\` |`);
    expect(example).toMatch(new RegExp(`^#? ?${key}=`, "m"));
  });
});
