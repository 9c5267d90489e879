#!/usr/bin/env node
// Runs the Prisma CLI offline. `prisma generate` and `prisma studio` work without the
// native schema engine, but the CLI downloads it at start unless
// PRISMA_SCHEMA_ENGINE_BINARY names an existing file; we name one we know exists (this
// script), since those commands never run it. Migrations use our own migrator instead.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const cli = require.resolve("prisma/build/index.js");
const engine = process.env.PRISMA_SCHEMA_ENGINE_BINARY;
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: engine && existsSync(engine) ? engine : fileURLToPath(import.meta.url),
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  CHECKPOINT_DISABLE: "1",
};
const child = spawn(process.execPath, [cli, ...process.argv.slice(2)], { stdio: "inherit", env });
// A long-running command (studio) must stop with this process, not outlive it as an orphan.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
