// npm run db:migrate – applies pending migrations to DATABASE_URL (or the embedded PGlite
// folder), read like the server (.env, then the environment), and exits. The server does the same at start; this is for operators and CI.
// It takes the PGlite folder's lock like the server: while a server holds the folder it
// refuses (exit 1) rather than write under it.
import { loadProcessConfig } from "../src/server/config";
import { openDatabaseOrExit } from "./support/open-database";
import { migrate } from "../src/server/db/migrate";

const config = loadProcessConfig();
const db = openDatabaseOrExit(config);
try {
  const applied = await migrate(db);
  console.log(applied.length ? `Applied: ${applied.join(", ")}` : "Database is up to date.");
} finally {
  await db.close();
}
