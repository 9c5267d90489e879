// The readers' side with access control on: GET /aggregates sent with a read key or the
// operator token, and the same rows read from the database, both as sorted
// `source/metric count=… sum=…` lines so a test can compare what a reader is served with
// what is stored.
import type { Database } from "../../../src/server/db/database";

/** The aggregates an instance serves to `authorization`, limited to sources starting with `sourcePrefix`. */
export async function servedAggregates(instance: string, authorization: string, sourcePrefix: string): Promise<string[]> {
  const res = await fetch(`${instance}/aggregates`, { headers: { authorization }, signal: AbortSignal.timeout(15_000) });
  if (res.status !== 200) throw new Error(`GET ${instance}/aggregates answered ${res.status}: ${await res.text()}`);
  const rows = (await res.json()) as { source: string; metric: string; count: number; sum: number }[];
  return lines(rows.filter((r) => r.source.startsWith(sourcePrefix)));
}

/** The same lines from metric_aggregate. */
export async function storedAggregates(db: Database, sourcePrefix: string): Promise<string[]> {
  const rows = await db.prisma.$queryRaw<{ source: string; metric: string; count: number; sum: string }[]>`
    SELECT source, metric, count::int AS count, sum::text AS sum FROM metric_aggregate WHERE starts_with(source, ${sourcePrefix})`;
  return lines(rows);
}

function lines(rows: { source: string; metric: string; count: number; sum: number | string }[]): string[] {
  return rows.map((r) => `${r.source}/${r.metric} count=${r.count} sum=${Number(r.sum)}`).sort();
}
