#!/usr/bin/env node
// Builds the typed client's package into dist/client (README, "Typed client for TypeScript"):
// src/client/index.ts bundled into one declaration file, an empty module beside it, and a
// package.json named and versioned like the service whose only dependency is @trpc/server.
// This script refuses a bundle that imports anything but @trpc/server: a client project
// would then need the server's own packages. That the bundle compiles on its own, with
// skipLibCheck off, e2e/typed-client.test.ts shows (the bundler's own check would compile
// it a second time, here, on every build).
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, "dist", "client");
const service = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const allowedImport = "@trpc/server";

rmSync(out, { recursive: true, force: true });
const bundler = createRequire(import.meta.url).resolve("dts-bundle-generator/dist/bin/dts-bundle-generator.js");
const args = [
  "--silent",
  "--no-banner",
  "--no-check",
  "--project",
  "tsconfig.client.json",
  "-o",
  join(out, "client.d.ts"),
  "src/client/index.ts",
];
const bundled = spawnSync(process.execPath, [bundler, ...args], { cwd: root, stdio: "inherit" });
if (bundled.status !== 0) process.exit(bundled.status ?? 1);

const declarations = readFileSync(join(out, "client.d.ts"), "utf8");
const imported = new Set([...declarations.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)["']([^"']+)["']/g)].map((m) => m[1]));
const foreign = [...imported].filter((specifier) => specifier !== allowedImport);
if (foreign.length > 0) {
  console.error(`dist/client/client.d.ts imports ${foreign.join(", ")}: a client project would need the server's packages to compile.`);
  console.error("Write the type out in src/client/index.ts (the type of a value, as the others are) so that it names only @trpc/server.");
  process.exit(1);
}

// Types only; the module exists so that a runtime import of "ingest-service/client" resolves.
writeFileSync(join(out, "client.js"), "export {};\n");
const clientPackage = {
  name: service.name,
  version: service.version,
  description: "Types for clients of the ingest-service event ingestion service: its tRPC router (AppRouter) and the bodies of its REST API. Types only.",
  private: true,
  type: "module",
  sideEffects: false,
  exports: { "./client": { types: "./client.d.ts", default: "./client.js" }, "./package.json": "./package.json" },
  // The declarations name @trpc/server's types; a tRPC client project has it already (it is
  // @trpc/client's peer too), npm installs it for a REST-only one.
  peerDependencies: { [allowedImport]: `^${service.dependencies[allowedImport].replace(/^[\^~]/, "")}` },
};
writeFileSync(join(out, "package.json"), `${JSON.stringify(clientPackage, null, 2)}\n`);
console.log(`Built ${clientPackage.name}@${clientPackage.version} (types for "${clientPackage.name}/client") in dist/client`);
