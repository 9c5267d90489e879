// The production build (README "Deploy", Production build and start): `npm start` runs the
// compiled dist/server/main.js in its own process (the stop signal reaches the server), the
// compiled server imports only Node's modules and the packages of "dependencies" (no
// TypeScript compiler, nothing a production install leaves out), and an unsupported Node.js
// stops at once with one line, before the service or any package is loaded.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, projectRoot } from "./support/app-process";

const pkg = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };

/**
 * The bare specifiers a compiled file imports (statically, or with import()). A static import
 * is a statement that starts a line in esbuild's output (`import … from "x";`, possibly over
 * several lines), so a string that merely contains `from "` (a schema's `"from"` parameter)
 * is not mistaken for one.
 */
function importsOf(code: string): string[] {
  const found = [
    ...code.matchAll(/^(?:import|export)\b[^;"]*?\bfrom\s*"([^"]+)";/gm),
    ...code.matchAll(/\bimport\s*\(\s*"([^"]+)"\s*\)/g),
    ...code.matchAll(/^import\s*"([^"]+)"/gm),
  ];
  return found.map((m) => m[1]!).filter((s) => !s.startsWith("."));
}

const packageOf = (specifier: string) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");

describe("the production build", () => {
  it("imports Node's own modules and the packages of dependencies only: no TypeScript at run time", () => {
    const dir = join(projectRoot, "dist/server");
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".js"));
    const specifiers = new Set(files.flatMap((f) => importsOf(readFileSync(join(dir, f), "utf8"))));
    const packages = [...specifiers].filter((s) => !s.startsWith("node:")).map(packageOf);
    expect(packages.filter((p) => !(p in pkg.dependencies))).toEqual([]);
    for (const compiler of ["tsx", "typescript", "esbuild"]) expect(packages).not.toContain(compiler);
    expect(packages).toEqual(expect.arrayContaining(["next", "pg", "@prisma/client", "pino", "prom-client"]));
  });

  it("npm start runs it in its own process, and SIGTERM stops it gracefully with exit 0", async () => {
    const port = await freePort();
    // NODE_ENV left out (vitest sets it to test): npm start's own default applies. Unset values are not passed on.
    const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: undefined, PORT: String(port), HOST: "127.0.0.1", SERVE_PAGES: "false", PGLITE_DATA_DIR: "memory://", AUTH_REQUIRED: "false", LOG_LEVEL: "info", SHUTDOWN_GRACE_MS: "0" };
    const child = spawn(process.execPath, ["scripts/start.mjs"], {
      cwd: projectRoot,
      env: env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    const lines = () => out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    while (!lines().some((l) => l.msg === "ready")) {
      if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await fetch(`http://127.0.0.1:${port}/api/ready`)).status).toBe(200);
    // The server is the process npm start began, in production mode (start.mjs's default): no child in between.
    expect(lines().find((l) => l.msg === "ready")).toMatchObject({ pid: child.pid, simulation: false });
    child.kill("SIGTERM");
    expect((await exited)[0]).toBe(0);
    expect(lines().find((l) => l.msg === "stopped")).toMatchObject({ pid: child.pid, signal: "SIGTERM", cut: 0 });
  });

  it("an unsupported Node.js stops with one line and exit 1, before anything else is loaded", async () => {
    // The process believes it is Node 20.11 (before process.loadEnvFile and Prisma 7's minimum).
    const pretend = `data:text/javascript,Object.defineProperty(process, "version", { value: "v20.11.1" })`;
    const child = spawn(process.execPath, ["--import", pretend, "dist/server/main.js"], { cwd: projectRoot, env: { ...process.env, PORT: "-1" }, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    // PORT=-1 would stop the start with "Invalid configuration" had the service been loaded.
    expect([code, err]).toEqual([1, 'Node.js v20.11.1 cannot run this service: it needs Node.js ^20.19 || ^22.12 || >=24.0 (package.json "engines"). Install a supported version and start again.\n']);
  });
});
