// Global setup of the end-to-end and fault suites: compiles the server (npm run build:server,
// about a second) so every suite runs the production artifact of the sources as they are,
// never a stale build. The pages' build (next build, minutes) stays `npm run build`'s.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function buildServer(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const run = spawnSync(process.execPath, ["scripts/build-server.mjs"], { cwd: root, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`npm run build:server failed:\n${run.stdout}${run.stderr}`);
}
