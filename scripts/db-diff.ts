// npm run db:diff [-- <previous schema.prisma>]
// Prints the migration SQL from the previous datamodel (default: an empty database) to
// prisma/schema.prisma. Save it as prisma/migrations/<timestamp>_<name>/migration.sql.
// Typical use: git show HEAD:prisma/schema.prisma > /tmp/old.prisma; npm run db:diff -- /tmp/old.prisma
import { readFile } from "node:fs/promises";
import { fail, parseCli } from "./support/cli";
import { diffDatamodels } from "./schema-engine";

const { positionals } = parseCli({
  name: "npm run db:diff",
  usage: `usage: npm run db:diff [-- <previous schema.prisma>]
Prints the migration SQL from the previous datamodel (default: an empty database) to prisma/schema.prisma (offline).`,
  options: {},
  maxArguments: 1,
});
const [previousFile] = positionals;
let previous: string | null = null;
try {
  previous = previousFile ? await readFile(previousFile, "utf8") : null;
} catch (err) {
  fail(`db:diff: cannot read ${previousFile}: ${(err as Error).message}`, 2);
}
process.stdout.write(await diffDatamodels(previous, await readFile("prisma/schema.prisma", "utf8")));
