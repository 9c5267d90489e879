// The Node.js versions the service runs on are package.json's "engines", checked first thing
// at start (src/server/main.ts): Prisma 7 needs ^20.19 || ^22.12 || >=24, which also covers
// process.loadEnvFile (20.12). Anything else stops with one line naming both versions.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { supportedNode, unsupportedNode } from "../src/server/node-version";

describe("the Node.js version check", () => {
  it("states the real minimum in package.json: Prisma's range", () => {
    const engines = (file: string) => (JSON.parse(readFileSync(new URL(file, import.meta.url), "utf8")) as { engines: { node: string } }).engines.node;
    expect(supportedNode).toBe("^20.19 || ^22.12 || >=24.0");
    expect(engines("../package.json")).toBe(supportedNode);
    expect(engines("../node_modules/@prisma/client/package.json")).toBe(supportedNode);
  });

  it.each(["v20.19.0", "v20.20.2", "v22.12.0", "v22.20.0", "v24.0.0", "v25.1.0", process.version])("runs on %s", (version) => {
    expect(unsupportedNode(version)).toBeNull();
  });

  it.each(["v18.20.4", "v20.11.1", "v20.18.3", "v21.7.3", "v22.11.0", "v23.6.0"])("refuses %s with one line naming both versions", (version) => {
    expect(unsupportedNode(version)).toBe(
      `Node.js ${version} cannot run this service: it needs Node.js ^20.19 || ^22.12 || >=24.0 (package.json "engines"). Install a supported version and start again.`,
    );
  });
});
