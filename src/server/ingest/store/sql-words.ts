// The words the write path's SQL writes and compares (a raw event's status, a reason code) as
// SQL literals made from their types: a word that is not a RawEventStatus or an error code
// fails to compile instead of failing in the database. Constant text, so statements stay the
// same from call to call.
import { Prisma } from "../../../generated/prisma/client";
import type { RawEventStatus } from "../../../generated/prisma/enums";
import type { AppErrorCode } from "../../errors";
import { keyReusedReasonAround } from "../outcome";

/** `'counted'`: a raw status as an SQL literal. */
export const statusSql = (status: RawEventStatus): Prisma.Sql => Prisma.raw(`'${status}'`);

/** `'IDEMPOTENCY_KEY_REUSED'`: a reason code as an SQL literal. */
export const codeSql = (code: AppErrorCode): Prisma.Sql => Prisma.raw(`'${code}'`);

/** A text as an SQL literal (quotes doubled); only for constant text of the code's own. */
const textSql = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** keyReusedReason (outcome.ts) written by the database from the key in `keyColumn`. */
export const keyReusedReasonSql = (keyColumn: string): Prisma.Sql =>
  Prisma.raw(`${textSql(keyReusedReasonAround[0])} || ${keyColumn} || ${textSql(keyReusedReasonAround[1])}`);
