// The database a maintenance script works on, opened like the server opens it (one
// connection); on the embedded database a folder another process holds ends the script
// with exit 1 and the holder named, rather than writing under it.
import type { Config } from "../../src/server/config";
import { databaseOptionsFrom, openDatabase, type Database } from "../../src/server/db/database";
import { PgliteDataDirError, PgliteDataDirInUseError } from "../../src/server/db/embedded-folder";
import { fail } from "./cli";

/** `whenInUse`: a sentence added when another process holds the folder (what that means for this script). */
export function openDatabaseOrExit(config: Config, name: string, whenInUse?: string): Database {
  try {
    return openDatabase({ ...databaseOptionsFrom(config), poolSize: 1 });
  } catch (err) {
    if (!(err instanceof PgliteDataDirError)) throw err;
    return fail(`${name}: ${err.message}${err instanceof PgliteDataDirInUseError && whenInUse ? `. ${whenInUse}` : ""}`, 1);
  }
}
