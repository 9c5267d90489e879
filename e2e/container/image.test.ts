// The container image, built and run as a user of compose.yaml would, on a machine with no
// container engine and no registry: buildah builds the Dockerfile (`--isolation chroot`) on a
// stand-in for the official Node image (Debian bookworm minbase from debootstrap plus this
// machine's node and npm, passed as NODE_IMAGE, the build argument compose.yaml sets), then
// runs the image's own command with compose.yaml's environment against a real PostgreSQL (the
// compose file's `db` service is this machine's server). It checks what the image promises —
// an unprivileged user, node itself as the process, HEALTHCHECK on /api/ready, production's
// closed defaults, only production dependencies — ingests and reads over HTTP, and stops the
// server with SIGTERM, as `docker stop` does, to see a clean exit 0.
// `podman run` and `docker compose up` cannot start a container on this machine kind (no
// engine; crun refuses cgroups in hybrid mode), so the compose file is read, not run.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { freePort, projectRoot } from "../support/app-process";
import { createEmptyDatabase, postgresUrl, type TestDatabase } from "../../test/support/test-db";
import { buildStandInBase, descendants, imageConfig, imageExists, missingTools, run, runInContainer, type ImageConfig, type RunningContainer } from "./buildah";

interface ComposeService {
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> };
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition?: string }>;
  stop_grace_period?: string;
}
const compose = parse(readFileSync(join(projectRoot, "compose.yaml"), "utf8")) as { services: Record<string, ComposeService> };
const appService = compose.services.app!;

/** `${NAME:-default}` and `${NAME:?message}` as compose reads them, from `vars`. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, op: string | undefined, rest: string) => {
    if (vars[name]) return vars[name];
    if (op === "-") return rest;
    throw new Error(`compose.yaml needs ${name}: ${rest}`);
  });
}

const missing = missingTools() ?? (postgresUrl ? undefined : "the container suite runs the image against PostgreSQL: set TEST_DATABASE_URL (CI does)");
if (missing) {
  console.warn(`\n${"!".repeat(78)}\n[container] FAILING: ${missing}\n${"!".repeat(78)}\n`);
}

const nodeMajor = process.versions.node.split(".")[0];
const standIn = `localhost/ingest-node-standin:${process.versions.node}`;
/** CONTAINER_IMAGE: test an image built already (by this suite's build command) instead of building one. */
const prebuilt = process.env.CONTAINER_IMAGE;
const image = prebuilt ?? "localhost/ingest-service:container-test";

describe("the container image (Dockerfile and compose.yaml)", () => {
  let work: string;
  let config: ImageConfig;
  let database: TestDatabase;
  let ctr: string | undefined;
  const log = (line: string) => console.log(`[container] ${line}`);

  beforeAll(async () => {
    if (missing) throw new Error(missing);
    work = mkdtempSync(join(tmpdir(), "ingest-container-"));
    database = await createEmptyDatabase("postgresql");
    if (prebuilt) {
      log(`CONTAINER_IMAGE=${prebuilt}: testing it, nothing built`);
      config = await imageConfig(image);
      ctr = (await run("buildah", ["from", image])).stdout.trim();
      return;
    }
    if (await imageExists(standIn)) log(`stand-in base ${standIn} already built on this machine: reused`);
    else await buildStandInBase(standIn, work, log);

    const started = Date.now();
    const caBundle = "/etc/ssl/certs/ca-certificates.crt";
    const build = appService.build ?? {};
    await run("buildah", [
      "bud",
      "--isolation",
      "chroot",
      "--format",
      "docker", // keeps HEALTHCHECK, which the OCI format has no field for
      "--layers=false",
      "--build-arg",
      `NODE_IMAGE=${interpolate(build.args?.NODE_IMAGE ?? "", { NODE_IMAGE: standIn })}`,
      // The registry is reached through a TLS-intercepting proxy here: its CA as the build
      // secret the Dockerfile documents, never stored in a layer.
      ...(existsSync(caBundle) ? ["--secret", `id=npm_ca,src=${caBundle}`] : []),
      "-f",
      join(projectRoot, build.context ?? ".", build.dockerfile ?? "Dockerfile"),
      "-t",
      image,
      join(projectRoot, build.context ?? "."),
    ]);
    log(`buildah bud of the Dockerfile on ${standIn}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    config = await imageConfig(image);
    ctr = (await run("buildah", ["from", image])).stdout.trim();
  }, 1_500_000);

  afterAll(async () => {
    if (ctr) await run("buildah", ["rm", ctr], { check: false });
    if (!prebuilt) await run("buildah", ["rmi", image], { check: false });
    await database?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("compose.yaml builds this Dockerfile with an official Node 20 image by default, runs the app on PostgreSQL after it is healthy, and gives it time to stop", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["app", "db"]);
    expect(appService.build?.context).toBe(".");
    expect(interpolate(appService.build?.args?.NODE_IMAGE ?? "", {})).toBe("node:20-bookworm-slim");
    expect(readFileSync(join(projectRoot, "Dockerfile"), "utf8")).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(appService.environment?.DATABASE_URL).toBe("postgresql://ingest:ingest@db:5432/ingest");
    expect(() => interpolate(appService.environment?.ADMIN_TOKEN ?? "", {})).toThrow(/compose.yaml needs ADMIN_TOKEN/);
    expect(appService.depends_on).toEqual({ db: { condition: "service_healthy" } });
    expect(appService.ports).toEqual(["${PORT:-3000}:3000"]);
    expect(appService.stop_grace_period).toBe("30s");
    const db = compose.services.db!;
    expect(db.image).toMatch(/^postgres:15/);
    expect(db.environment).toMatchObject({ POSTGRES_USER: "ingest", POSTGRES_PASSWORD: "ingest", POSTGRES_DB: "ingest" });
  });

  it("the image runs node dist/server/main.js itself as an unprivileged user, checks its health on /api/ready and carries production dependencies only", async () => {
    expect(config.User).toBe("ingest");
    expect(config.Cmd).toEqual(["node", "dist/server/main.js"]);
    expect(config.Entrypoint ?? []).toEqual([]);
    expect(config.WorkingDir).toBe("/app");
    expect(config.StopSignal).toBe("SIGTERM");
    expect(Object.keys(config.ExposedPorts ?? {})).toEqual(["3000/tcp"]);
    expect(config.Env).toEqual(expect.arrayContaining(["NODE_ENV=production", "HOST=0.0.0.0", "PORT=3000"]));
    expect(config.Healthcheck?.Test?.[0]).toBe("CMD");
    expect(config.Healthcheck?.Test?.join(" ")).toContain("/api/ready");
    const inside = await run("buildah", [
      "run",
      "--isolation",
      "chroot",
      ctr!,
      "--",
      "sh",
      "-c",
      "id -un; node -v; test -e node_modules/next && echo next; test -e node_modules/vitest || echo no-vitest; test -e src || echo no-src; test -w /app/.data && echo data-writable; test -w /app || echo app-read-only",
    ]);
    expect(inside.stdout.trim().split("\n")).toEqual(["ingest", process.version, "next", "no-vitest", "no-src", "data-writable", "app-read-only"]);
    expect(process.version.startsWith(`v${nodeMajor}.`)).toBe(true);
  });

  it("started with compose.yaml's environment on PostgreSQL it is ready, healthy by its own HEALTHCHECK, closed to anonymous writes, counts an event once, and stops on SIGTERM with exit 0", async () => {
    const port = await freePort();
    const adminToken = randomBytes(32).toString("base64url");
    const env = Object.fromEntries(Object.entries(appService.environment ?? {}).map(([k, v]) => [k, interpolate(v, { ADMIN_TOKEN: adminToken })]));
    // The compose file's `db` is this machine's PostgreSQL; the container shares the host's
    // network (chroot isolation), so it listens on a free port instead of a mapped 3000.
    env.DATABASE_URL = database.url!;
    env.PORT = String(port);
    const server: RunningContainer = runInContainer(ctr!, env, config.Cmd!);
    const base = `http://127.0.0.1:${port}`;
    try {
      const deadline = Date.now() + 120_000;
      let ready: Response | undefined;
      while (Date.now() < deadline && server.process.exitCode === null) {
        ready = await fetch(`${base}/api/ready`).catch(() => undefined);
        if (ready?.status === 200) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(ready?.status, server.output()).toBe(200);
      expect(await ready!.json()).toMatchObject({ status: "ready", database: "postgresql" });

      // The HEALTHCHECK's own command, in the same container (as the engine runs it).
      const health = config.Healthcheck!.Test!.slice(1);
      expect((await run("buildah", ["run", "--isolation", "chroot", "--env", `PORT=${port}`, ctr!, "--", ...health], { check: false })).code).toBe(0);

      const event = { source: "container", payload: { metric: "starts", value: 3, eventId: "first" } };
      const post = (headers: Record<string, string>) => fetch(`${base}/ingest`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(event) });
      const anonymous = await post({});
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe("UNAUTHENTICATED");
      const operator = { authorization: `Bearer ${adminToken}` };
      const first = await post(operator);
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ success: true, deduplicated: false, identifiedBy: "key" });
      const again = await post(operator);
      expect(await again.json()).toEqual({ success: true, deduplicated: true, identifiedBy: "key" });
      const aggregates = await fetch(`${base}/aggregates?source=container`, { headers: operator });
      expect(aggregates.status).toBe(200);
      expect(await aggregates.json()).toMatchObject([{ source: "container", metric: "starts", count: 1, sum: 3, min: 3, max: 3 }]);
      const consolePage = await fetch(`${base}/console/sign-in`);
      expect(consolePage.status).toBe(200);
      expect(await consolePage.text()).toContain("<html");

      // SIGTERM to the container's process, node itself (as `docker stop` signals PID 1).
      const nodes = descendants(server.process.pid!).filter((p) => p.argv[1] === "dist/server/main.js" && p.argv[0]!.endsWith("node"));
      expect(nodes, JSON.stringify(descendants(server.process.pid!))).toHaveLength(1);
      process.kill(nodes[0]!.pid, "SIGTERM");
      expect(await server.exited, server.output()).toBe(0);
      expect(server.output()).toMatch(/"signal":"SIGTERM","refused":0,"cut":0,.*"msg":"stopped"/);
      log(`the image on PostgreSQL: ready, ingested, read, stopped with SIGTERM, exit 0`);
    } finally {
      if (server.process.exitCode === null) server.process.kill("SIGKILL");
    }
  });
});
