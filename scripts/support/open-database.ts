// The database a maintenance script works on, opened like the server opens it (one
// connection); on the embedded database a folder another process holds ends the script
// with exit 1 and the holder named, rather than writing under it.
import type { Config } from "../../src/server/config";
import { databaseOptionsFrom, openDatabase, type Database } from "../../src/server/db/database";
import { PgliteDataDirError } from "../../src/server/db/embedded-folder";

export function openDatabaseOrExit(config: Config): Database {
  try {
    return openDatabase({ ...databaseOptionsFrom(config), poolSize: 1 });
  } catch (err) {
    if (!(err instanceof PgliteDataDirError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
