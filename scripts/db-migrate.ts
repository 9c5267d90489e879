// npm run db:migrate – applies pending migrations to DATABASE_URL (or the embedded PGlite
// folder), read like the server (.env, then the environment), and exits. The server does the
// same at start; this is for operators and CI. It takes the PGlite folder's lock like the
// server: while a server holds the folder it refuses (exit 1) rather than write under it (the
// app migrates its folder itself when it starts, so there is nothing left to do then).
import { migrate } from "../src/server/db/migrate";
import { loadCliConfig, parseCli } from "./support/cli";
import { openDatabaseOrExit } from "./support/open-database";

parseCli({
  name: "npm run db:migrate",
  usage: `usage: npm run db:migrate
Applies pending migrations to DATABASE_URL, or to the embedded PGlite folder (PGLITE_DATA_DIR), and exits.`,
  options: {},
});
const config = loadCliConfig();
const db = openDatabaseOrExit(config, "db:migrate", "If that process is the app, it migrated the folder when it started: there is nothing left to do.");
try {
  const applied = await migrate(db);
  console.log(applied.length ? `Applied: ${applied.join(", ")}` : "Database is up to date.");
} finally {
  await db.close();
}
