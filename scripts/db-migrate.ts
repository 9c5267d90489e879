// npm run db:migrate – applies pending migrations to DATABASE_URL (or the embedded PGlite
// folder), read like the server (.env, then the environment), and exits. The server does the same at start; this is for operators and CI.
// It takes the PGlite folder's lock like the server: while a server holds the folder it
// refuses (exit 1) rather than write under it.
import { loadProcessConfig } from "../src/server/config";
import { databaseOptionsFrom, openDatabase, type Database } from "../src/server/db/database";
import { migrate } from "../src/server/db/migrate";
import { PgliteDataDirError } from "../src/server/db/embedded-folder";

const config = loadProcessConfig();
let db: Database;
try {
  db = openDatabase({ ...databaseOptionsFrom(config), poolSize: 1 });
} catch (err) {
  if (!(err instanceof PgliteDataDirError)) throw err;
  console.error(err.message);
  process.exit(1);
}
try {
  const applied = await migrate(db);
  console.log(applied.length ? `Applied: ${applied.join(", ")}` : "Database is up to date.");
} finally {
  await db.close();
}
