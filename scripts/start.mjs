#!/usr/bin/env node
// npm start – runs the production server (API + built pages). Builds first when there is
// no production build yet, so a fresh clone starts with one command.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
if (!existsSync(".next/BUILD_ID")) {
  console.log("No production build found: running `npm run build` first.");
  const build = spawnSync(npm, ["run", "build"], { stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const tsx = spawnSync(process.execPath, ["--import", "tsx", "src/server/main.ts"], {
  stdio: "inherit",
  env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? "production" },
});
process.exit(tsx.status ?? 1);
