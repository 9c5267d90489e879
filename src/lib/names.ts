// A name (a source, a metric, an SDK event's name, the words of a search) as it is stored,
// compared and matched: trimmed and Unicode-normalized (NFC), so `café` typed with a composed
// or a decomposed `é` is one name, one group and one dedup key; 1 to 200 characters, none that
// PostgreSQL cannot store. The one rule: every schema that takes a name is `nameSchema`, and
// code that reads a name outside a schema checks it with the same schema.
import { z } from "zod";
import { unstorableString } from "./storable-json";

export const NAME_MAX_LENGTH = 200;

/** A name as it is stored and compared: trimmed, Unicode NFC. */
export function normalizeName(name: string): string {
  return name.trim().normalize("NFC");
}

/** The schema of a name at `field`; its messages name the field ("metric must not be empty"). */
export function nameSchema(field: string) {
  return z
    .string({ error: `${field} must be a string` })
    .overwrite(normalizeName)
    .min(1, `${field} must not be empty`)
    .max(NAME_MAX_LENGTH, `${field} must be at most ${NAME_MAX_LENGTH} characters`)
    .refine((s) => unstorableString(s) === null, `${field} must not contain the NUL character and must be valid Unicode`);
}
