// The verdict of a fault run, measured from the database, per client key:
//   sent          events the clients sent at least once
//   acknowledged  events a client saw 200 for
//   counted       events with a processed_event row (by the key stored in payload `ref`)
//   lost          acknowledged but not counted                   (must be 0)
//   doubled       counted more than once                         (must be 0)
//   wrongValue    counted with a value other than the one sent   (must be 0)
//   unacknowledgedButCounted  the client gave up, yet it counted (allowed, once)
//   rawStuck      raw events still `received` after healing + recovery (must be 0)
// Each client writes its own source (its write key decides it), so the verdict is taken per
// source, over that source's clients, and summed: an event stored under another client's
// source shows up as lost for one and as a phantom count for the other.
import type { Database } from "../../../src/server/db/database";
import { countsByKey, rawStatuses } from "./check-db";
import type { Outcome } from "./retrying-client";

export interface Tally {
  sent: number;
  acknowledged: number;
  counted: number;
  lost: number;
  doubled: number;
  wrongValue: number;
  unacknowledgedButCounted: number;
  unacknowledgedNotCounted: number;
  rawStuck: number;
  /** Acknowledgements answered `deduplicated: true`: an earlier attempt had counted the event. */
  acknowledgedAsDuplicate: number;
  /** Raw events per status: duplicates are retries and recovered copies. */
  rawStatuses: Record<string, number>;
  /** Aggregate rows whose count/sum disagree with the events the clients had counted. */
  aggregateMismatches: string[];
  examples: { lost: string[]; doubled: string[]; wrongValue: string[] };
}

/** The verdict over every source the outcomes' events were sent to. */
export async function computeTally(db: Database, outcomes: Outcome[]): Promise<Tally> {
  const bySource = new Map<string, Outcome[]>();
  for (const o of outcomes) {
    const list = bySource.get(o.event.source) ?? [];
    list.push(o);
    bySource.set(o.event.source, list);
  }
  const tallies: Tally[] = [];
  for (const [source, ofSource] of bySource) tallies.push(await tallyOfSource(db, source, ofSource));
  return mergeTallies(tallies);
}

function mergeTallies(tallies: Tally[]): Tally {
  const sum = (f: (t: Tally) => number) => tallies.reduce((n, t) => n + f(t), 0);
  const rawStatuses: Record<string, number> = {};
  for (const t of tallies) for (const [status, n] of Object.entries(t.rawStatuses)) rawStatuses[status] = (rawStatuses[status] ?? 0) + n;
  const examples = (f: (t: Tally) => string[]) => tallies.flatMap(f).slice(0, 10);
  return {
    sent: sum((t) => t.sent),
    acknowledged: sum((t) => t.acknowledged),
    counted: sum((t) => t.counted),
    lost: sum((t) => t.lost),
    doubled: sum((t) => t.doubled),
    wrongValue: sum((t) => t.wrongValue),
    unacknowledgedButCounted: sum((t) => t.unacknowledgedButCounted),
    unacknowledgedNotCounted: sum((t) => t.unacknowledgedNotCounted),
    rawStuck: sum((t) => t.rawStuck),
    acknowledgedAsDuplicate: sum((t) => t.acknowledgedAsDuplicate),
    rawStatuses,
    aggregateMismatches: tallies.flatMap((t) => t.aggregateMismatches),
    examples: {
      lost: examples((t) => t.examples.lost),
      doubled: examples((t) => t.examples.doubled),
      wrongValue: examples((t) => t.examples.wrongValue),
    },
  };
}

async function tallyOfSource(db: Database, source: string, outcomes: Outcome[]): Promise<Tally> {
  const counts = await countsByKey(db, source);
  const statuses = await rawStatuses(db, source);
  const t: Tally = {
    sent: outcomes.length,
    acknowledged: 0,
    counted: 0,
    lost: 0,
    doubled: 0,
    wrongValue: 0,
    unacknowledgedButCounted: 0,
    unacknowledgedNotCounted: 0,
    rawStuck: statuses.received ?? 0,
    acknowledgedAsDuplicate: 0,
    rawStatuses: statuses,
    aggregateMismatches: [],
    examples: { lost: [], doubled: [], wrongValue: [] },
  };
  const expected = new Map<string, { count: number; sum: number }>();
  const note = (list: string[], key: string) => list.length < 10 && list.push(key);
  for (const o of outcomes) {
    const row = counts.get(o.event.key);
    if (o.acknowledged) t.acknowledged++;
    if (o.deduplicated) t.acknowledgedAsDuplicate++;
    if (row) {
      t.counted++;
      if (row.n > 1) {
        t.doubled++;
        note(t.examples.doubled, o.event.key);
      }
      if (Number(row.value) !== o.event.value) {
        t.wrongValue++;
        note(t.examples.wrongValue, o.event.key);
      }
      const e = expected.get(o.event.metric) ?? { count: 0, sum: 0 };
      expected.set(o.event.metric, { count: e.count + 1, sum: e.sum + o.event.value });
      if (!o.acknowledged) t.unacknowledgedButCounted++;
    } else if (o.acknowledged) {
      t.lost++;
      note(t.examples.lost, o.event.key);
    } else {
      t.unacknowledgedNotCounted++;
    }
  }
  // Processed events under this source that no client sent would be phantom counts.
  const sentKeys = new Set(outcomes.map((o) => o.event.key));
  for (const key of counts.keys()) if (!sentKeys.has(key)) t.aggregateMismatches.push(`processed event with unknown key ${key}`);

  const rows = await db.prisma.$queryRaw<{ metric: string; count: number; sum: string }[]>`
    SELECT metric, count::int AS count, sum::text AS sum FROM metric_aggregate WHERE source = ${source}`;
  const seen = new Set<string>();
  for (const r of rows) {
    seen.add(r.metric);
    const e = expected.get(r.metric) ?? { count: 0, sum: 0 };
    if (r.count !== e.count || Number(r.sum) !== e.sum) {
      t.aggregateMismatches.push(`${source}/${r.metric}: stored count=${r.count} sum=${r.sum}, clients' counted events count=${e.count} sum=${e.sum}`);
    }
  }
  for (const [metric, e] of expected) if (!seen.has(metric)) t.aggregateMismatches.push(`${source}/${metric}: no aggregate row for ${e.count} counted events`);
  return t;
}

export function formatTally(t: Tally): string {
  return [
    `sent ${t.sent} / acknowledged ${t.acknowledged} / counted ${t.counted} / lost ${t.lost} / doubled ${t.doubled}`,
    `unacknowledged-but-counted ${t.unacknowledgedButCounted} / unacknowledged-not-counted ${t.unacknowledgedNotCounted}`,
    `raw-stuck ${t.rawStuck} / wrong-value ${t.wrongValue} / acknowledged-as-duplicate ${t.acknowledgedAsDuplicate}`,
    `raw statuses ${JSON.stringify(t.rawStatuses)}`,
  ].join("\n");
}
