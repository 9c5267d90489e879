// The typed client as another project uses it: `npm run pack:client` builds the package,
// a throwaway project installs it from the tarball (test/fixtures/typed-client, copied to a
// temporary folder) and compiles against it with this project's TypeScript: a tRPC client
// compiles, the REST types compile with skipLibCheck off, deliberate mistakes fail with the
// expected codes (so the types are real, not `any`), and the compiled client then talks to a
// live server over HTTP. About 35 s of CPU, 12 s of it the build (it type-checks the server's
// module graph).
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "./support/app-process";
import { startHttpApp } from "../test/support/http-app";
import { testContext } from "../test/support/test-db";
import { useTestDatabase } from "../test/support/use-test-database";

interface Exit {
  code: number;
  output: string;
}

/** Runs a command to its end; its exit code and everything it printed. */
function run(command: string, args: string[], cwd: string): Promise<Exit> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") reject(error);
      else resolve({ code: error ? Number(error.code) : 0, output: stdout + stderr });
    });
  });
}

const tsc = (project: string, cwd: string) =>
  run(process.execPath, [join(projectRoot, "node_modules/typescript/bin/tsc"), "-p", project, "--pretty", "false"], cwd);
const service = JSON.parse(await readFile(join(projectRoot, "package.json"), "utf8")) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
};

describe("the typed client package", () => {
  let consumer: string;
  /** client.ts compiled into out/, as the client project builds it. */
  let built: Exit;

  beforeAll(async () => {
    const packed = await run("npm", ["run", "pack:client"], projectRoot);
    expect(packed.code, packed.output).toBe(0);
    consumer = await mkdtemp(join(tmpdir(), "ingest-typed-client-"));
    await cp(join(projectRoot, "test/fixtures/typed-client"), consumer, { recursive: true });
    // The client project's own packages are linked from this project's node_modules, so the
    // install needs no network; the package under test comes from its tarball, as a user's would.
    const own = (name: string) => `file:${join(projectRoot, "node_modules", name)}`;
    const dependencies = {
      [service.name]: `file:${join(projectRoot, "dist", `${service.name}-${service.version}.tgz`)}`,
      "@trpc/client": own("@trpc/client"),
      "@trpc/server": own("@trpc/server"),
      "@types/node": own("@types/node"),
    };
    await writeFile(
      join(consumer, "package.json"),
      JSON.stringify({ name: "typed-client-consumer", private: true, type: "module", dependencies }),
    );
    const installed = await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], consumer);
    expect(installed.code, installed.output).toBe(0);
    built = await tsc("tsconfig.json", consumer);
  }, 300_000);

  afterAll(async () => {
    if (consumer) await rm(consumer, { recursive: true, force: true });
  });

  it("holds one declaration file, an empty module and a package.json whose one dependency is @trpc/server", async () => {
    const installed = join(consumer, "node_modules", service.name);
    expect((await readdir(installed)).sort()).toEqual(["client.d.ts", "client.js", "package.json"]);
    const manifest = JSON.parse(await readFile(join(installed, "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: service.name,
      version: service.version,
      exports: { "./client": { types: "./client.d.ts", default: "./client.js" } },
      // The version the service runs, or a later v11.
      peerDependencies: { "@trpc/server": `^${service.dependencies["@trpc/server"]?.replace(/^[\^~]/, "")}` },
    });
    expect(manifest).not.toHaveProperty("dependencies");
  });

  it("its declarations compile on their own: the REST types, with skipLibCheck off", async () => {
    expect(await tsc("tsconfig.rest-types.json", consumer)).toEqual({ code: 0, output: "" });
  }, 120_000);

  it("a strict Node project compiles a tRPC client with createTRPCClient<AppRouter>", () => {
    expect(built).toEqual({ code: 0, output: "" });
  });

  it("each deliberate mistake fails to compile with its expected error code, and nothing else fails", async () => {
    const source = await readFile(join(consumer, "bad.ts"), "utf8");
    const marks = source.split("\n").flatMap((line, i) => {
      const mark = /\/\/ (TS\d+)(?: "(.+)")?$/.exec(line);
      return mark ? [{ at: `bad.ts:${i + 1} ${mark[1]}`, text: mark[2] }] : [];
    });
    // 14 mistakes of shape and names, 9 of the payload (`value: "three"`, a missing `metric` …).
    expect(marks).toHaveLength(23);
    expect(marks.filter((m) => m.text)).toHaveLength(9);
    const { code, output } = await tsc("tsconfig.bad.json", consumer);
    expect(code).toBe(2);
    const reported = [...output.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/gm)].map(([, file, line, tsCode, message]) => ({
      at: `${file}:${line} ${tsCode}`,
      message: message!,
    }));
    expect(reported.map((r) => r.at)).toEqual(marks.map((m) => m.at));
    marks.forEach((mark, i) => {
      if (mark.text) expect(`${mark.at} ${reported[i]!.message}`).toContain(`${mark.at} ${mark.text}`);
    });
  }, 120_000);

  describe("the compiled client against a live server (PGlite)", () => {
    const t = useTestDatabase("pglite");

    it("ingests, is deduplicated, batches, reads the aggregates and gets the typed error body over HTTP", async () => {
      expect(built.code, built.output).toBe(0);
      const app = await startHttpApp(testContext(t.db));
      try {
        const source = "typed-client";
        const { code, output } = await run(process.execPath, [join(consumer, "out/client.js"), app.url, source], consumer);
        expect(code, output).toBe(0);
        expect(JSON.parse(output)).toEqual({
          first: { success: true, deduplicated: false, identifiedBy: "key" }, // it carries idempotencyKey
          again: { success: true, deduplicated: true, identifiedBy: "key" },
          batch: {
            success: true,
            counted: 1,
            deduplicated: 0,
            rejected: 1,
            failed: 0,
            results: [
              { index: 0, status: "counted", identifiedBy: "content" },
              {
                index: 1,
                status: "rejected",
                code: "INVALID_EVENT",
                reason:
                  "payload.timestamp: timestamp in epoch milliseconds must be at least 100000000000 (1973-03-03); epoch seconds are not accepted, multiply by 1000",
                field: "events[1].payload.timestamp",
              },
            ],
          },
          aggregates: [
            {
              source,
              metric: "orders",
              count: 2,
              sum: 7,
              avg: 3.5,
              min: 3,
              max: 4,
              firstSeenAt: expect.any(String),
              lastSeenAt: expect.any(String),
            },
          ],
          refused: {
            code: "INVALID_EVENT",
            message: "payload.value: value must be smaller than 1e20 in magnitude",
            field: "payload.value",
            retryable: false,
            requestId: expect.any(String),
          },
        });
      } finally {
        await app.close();
      }
    }, 60_000);
  });
});
