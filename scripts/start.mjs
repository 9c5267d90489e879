#!/usr/bin/env node
// npm start – runs the production server: the compiled dist/server/main.js (API + built
// pages), in this very process, so the stop signal a platform sends reaches the server's own
// graceful stop. Builds first when a build is missing, so a fresh clone starts with one
// command. Containers may run `node dist/server/main.js` directly (NODE_ENV=production).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";

const server = "dist/server/main.js";
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
if (!existsSync(".next/BUILD_ID") || !existsSync(server)) {
  console.log("No production build found: running `npm run build` first.");
  const build = spawnSync(npm, ["run", "build"], { stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
// Production unless told otherwise (an empty variable counts as unset, as in the config).
if (!process.env.NODE_ENV) process.env.NODE_ENV = "production";
// Stack traces name the TypeScript sources (the build writes source maps).
process.setSourceMapsEnabled(true);
await import(pathToFileURL(server).href);
