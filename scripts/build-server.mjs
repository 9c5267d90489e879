#!/usr/bin/env node
// Compiles the server (src/server/main.ts and everything it imports from src/, Prisma's
// generated client included) into dist/server with esbuild: plain JavaScript that `npm start`
// runs with node, no TypeScript compiler at run time. Packages stay imports of node_modules
// (Next, Prisma's runtime, pg, PGlite …), resolved at run time as under tsx. Code splitting
// keeps main.js small: it checks the Node.js version before the chunk holding the service,
// and the packages that chunk imports, is loaded. Type checking is `npm run typecheck`'s job.
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, "dist", "server");

rmSync(out, { recursive: true, force: true });
const started = Date.now();
await build({
  absWorkingDir: root,
  entryPoints: ["src/server/main.ts"],
  outdir: out,
  bundle: true,
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  format: "esm",
  platform: "node",
  target: "node20.19",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
});
console.log(`Built dist/server/main.js in ${Date.now() - started} ms`);
