// Prisma CLI configuration (generate, studio). The app itself never reads this file: it
// builds its own driver adapter from validated config (src/server/config.ts).
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres" },
});
