// npm run db:diff [-- <previous schema.prisma>]
// Prints the migration SQL from the previous datamodel (default: an empty database) to
// prisma/schema.prisma. Save it as prisma/migrations/<timestamp>_<name>/migration.sql.
// Typical use: git show HEAD:prisma/schema.prisma > /tmp/old.prisma; npm run db:diff -- /tmp/old.prisma
import { readFile } from "node:fs/promises";
import { diffDatamodels } from "./schema-engine";

const previous = process.argv[2] ? await readFile(process.argv[2], "utf8") : null;
process.stdout.write(await diffDatamodels(previous, await readFile("prisma/schema.prisma", "utf8")));
