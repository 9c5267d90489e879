// npm run db:migrate – applies pending migrations to DATABASE_URL (or the embedded PGlite
// folder) and exits. The server does the same at start; this is for operators and CI.
import { loadConfig } from "../src/server/config";
import { databaseOptionsFrom, openDatabase } from "../src/server/db/database";
import { migrate } from "../src/server/db/migrate";

const config = loadConfig();
const db = openDatabase({ ...databaseOptionsFrom(config), poolSize: 1 });
try {
  const applied = await migrate(db);
  console.log(applied.length ? `Applied: ${applied.join(", ")}` : "Database is up to date.");
} finally {
  await db.close();
}
