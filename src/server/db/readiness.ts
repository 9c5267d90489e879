// Can this instance do its job with the database it has? Readiness asks more than "does
// the database answer": every migration must be applied, and the database role must be
// allowed to write what the write path writes — a read-only role or a missing grant
// otherwise passes a `SELECT 1` and fails every ingest, forever. The privilege check reads
// the catalog (has_table_privilege), so it writes nothing and costs one round trip.
import type { Database } from "./database";
import { pendingMigrations } from "./migrate";

export type DatabaseReadiness =
  | { state: "ready" }
  | { state: "migrating"; pendingMigrations: string[] }
  /** `reason` is for operators: it names tables and privileges, never the role. */
  | { state: "misconfigured"; reason: string; role: string };

/**
 * The privileges capture, processing, the rollup, the recovery worker and key lookups use.
 * test/db-misconfiguration.test.ts shows a role granted exactly these can ingest.
 */
export const writePathPrivileges: readonly (readonly [relation: string, privilege: string])[] = [
  ["raw_event", "SELECT"],
  ["raw_event", "INSERT"],
  ["raw_event_pending", "SELECT"],
  ["raw_event_pending", "INSERT"],
  ["raw_event_pending", "UPDATE"],
  ["raw_event_pending", "DELETE"],
  ["raw_event_outcome", "SELECT"],
  ["raw_event_outcome", "INSERT"],
  ["raw_event_state", "SELECT"],
  ["processed_event", "SELECT"],
  ["processed_event", "INSERT"],
  ["processed_event_id_seq", "USAGE"],
  ["metric_aggregate", "SELECT"],
  ["metric_aggregate", "INSERT"],
  ["metric_aggregate", "UPDATE"],
  ["metric_aggregate_hour", "SELECT"],
  ["metric_aggregate_hour", "INSERT"],
  ["metric_aggregate_hour", "UPDATE"],
  ["metric_aggregate_day", "SELECT"],
  ["metric_aggregate_day", "INSERT"],
  ["metric_aggregate_day", "UPDATE"],
  // Meters' rollups are kept by the same statements (src/server/meters/meter-rollup.ts).
  ["meter", "SELECT"],
  ["meter_rollup", "SELECT"],
  ["meter_rollup", "INSERT"],
  ["meter_rollup", "UPDATE"],
  ["meter_distinct", "SELECT"],
  ["meter_distinct", "INSERT"],
  // Access control: every authenticated request looks its key up; last use is recorded;
  // the operator creates and revokes keys.
  ["api_key", "SELECT"],
  ["api_key", "INSERT"],
  ["api_key", "UPDATE"],
];

interface Gap {
  relation: string;
  privilege: string;
  missing: boolean;
}

export async function checkDatabaseReadiness(db: Database): Promise<DatabaseReadiness> {
  const pending = await pendingMigrations(db);
  if (pending.length > 0) return { state: "migrating", pendingMigrations: pending };
  const relations = writePathPrivileges.map(([r]) => r);
  const privileges = writePathPrivileges.map(([, p]) => p);
  const [row] = await db.prisma.$queryRaw<{ role: string; read_only: boolean; gaps: Gap[] }[]>`
    SELECT current_user::text AS role,
           current_setting('transaction_read_only') = 'on' AS read_only,
           coalesce(json_agg(json_build_object('relation', c.relation, 'privilege', c.privilege, 'missing', c.oid IS NULL))
             FILTER (WHERE c.oid IS NULL OR NOT CASE WHEN c.privilege = 'USAGE' THEN has_sequence_privilege(c.oid, c.privilege)
                                                   ELSE has_table_privilege(c.oid, c.privilege) END), '[]') AS gaps
    FROM (SELECT relation, privilege, to_regclass(relation)::oid AS oid
          FROM unnest(${relations}::text[], ${privileges}::text[]) AS t(relation, privilege)) AS c`;
  if (!row) throw new Error("the readiness query returned no row");
  if (row.read_only) return { state: "misconfigured", role: row.role, reason: "the database is read-only (a standby, or default_transaction_read_only): nothing can be written" };
  if (row.gaps.length === 0) return { state: "ready" };
  const missing = row.gaps.filter((g) => g.missing).map((g) => g.relation);
  if (missing.length > 0) return { state: "misconfigured", role: row.role, reason: `missing from the database: ${[...new Set(missing)].join(", ")}` };
  const byRelation = new Map<string, string[]>();
  for (const g of row.gaps) byRelation.set(g.relation, [...(byRelation.get(g.relation) ?? []), g.privilege]);
  const lacking = [...byRelation].map(([relation, privs]) => `${privs.join(", ")} on ${relation}`).join("; ");
  return { state: "misconfigured", role: row.role, reason: `the database role lacks ${lacking} (permission denied): grant them or use another role` };
}
