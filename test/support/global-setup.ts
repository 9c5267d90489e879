// Once per run: says loudly which real databases the suites will use. (Suites that start
// the app as a real process are end-to-end suites, whose global setup compiles the server:
// e2e/support/build-server.ts.)
import { postgresUrl } from "./test-db";

export default function setup(): void {
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
