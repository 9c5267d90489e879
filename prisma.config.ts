// Prisma CLI configuration (generate, studio). It reads the configuration the way the server
// does (.env, then the environment: src/server/config.ts), and names a database only when
// DATABASE_URL does: with none, `prisma studio` refuses rather than open a database nobody
// configured (`npm run db:studio` serves the embedded PGlite folder instead). The app itself
// never reads this file: it builds its own driver adapter from the validated config.
import { defineConfig } from "prisma/config";
import { databaseUrlFrom, loadProcessEnv } from "./src/server/config";

const url = databaseUrlFrom(loadProcessEnv());

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  ...(url ? { datasource: { url } } : {}),
});
