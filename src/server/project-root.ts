// The project's folder (package.json, prisma/migrations, .next), found from this module's
// place by walking up to the nearest package.json: the same answer whether the server runs
// from src/server (tsx) or as the bundle in dist/server (npm start), which sit at different
// depths from the files they read.
import { existsSync } from "node:fs";

function findProjectRoot(): URL {
  for (let dir = new URL(".", import.meta.url); ; dir = new URL("..", dir)) {
    if (existsSync(new URL("package.json", dir))) return dir;
    if (new URL("..", dir).href === dir.href) throw new Error(`No package.json above ${import.meta.url}`);
  }
}

/** The project's folder, as a file: URL ending in a slash. */
export const projectRoot: URL = findProjectRoot();
