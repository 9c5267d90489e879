// Once per run: compiles the server the way `npm run build` does (dist/server, esbuild, well
// under a second), since suites that start the app as a real process run what `npm start`
// runs; and says loudly which real databases the suites will use.
import { execFileSync } from "node:child_process";
import { projectRoot } from "../../e2e/support/app-process";
import { postgresUrl } from "./test-db";

export default function setup(): void {
  execFileSync(process.execPath, ["scripts/build-server.mjs"], { cwd: projectRoot, stdio: "inherit" });
  if (postgresUrl) {
    const u = new URL(postgresUrl);
    console.log(`\n[db] Storage suites run on PGlite AND on PostgreSQL at ${u.host}${u.pathname}.\n`);
  } else {
    const bar = "!".repeat(78);
    console.warn(
      `\n${bar}\n[db] SKIPPING every PostgreSQL variant: neither TEST_DATABASE_URL nor DATABASE_URL is set.\n` +
        `[db] Storage suites run on the embedded PGlite only. CI always sets TEST_DATABASE_URL.\n${bar}\n`,
    );
  }
}
