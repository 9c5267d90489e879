// The Node.js versions the service runs on are package.json's "engines" (Prisma 7's range,
// which also covers process.loadEnvFile, Node 20.12+): one place states them, npm warns on
// install, and the process checks them before loading anything else.
import semver from "semver";
import pkg from "../../package.json" with { type: "json" };

export const supportedNode: string = pkg.engines.node;

/** Why `version` cannot run the service, or null when it can. */
export function unsupportedNode(version: string = process.version): string | null {
  if (semver.satisfies(version, supportedNode)) return null;
  return `Node.js ${version} cannot run this service: it needs Node.js ${supportedNode} (package.json "engines"). Install a supported version and start again.`;
}
