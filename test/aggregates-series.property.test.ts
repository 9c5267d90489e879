// Property: for any events (some re-sent, some on hour boundaries, sent one by one or in
// batches) and any window of whole hours with bucket=hour or day, every row's series and
// totals, read from the hourly rollup, are exactly what processed_event recomputes (same
// events, same buckets, the same doubles) and what a model of the events sent says (counts
// and sums in cents); groups without an event in the window are left out; the summary's series
// (every group added up per bucket) is processed_event's too. The suite ends with
// the invariants, whose rollup check compares every hourly row with processed_event.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketMs, type Bucket } from "../src/lib/aggregates-schema";
import { createCaller } from "../src/server/api/root";
import { useTestDatabase } from "./support/use-test-database";
import { backends, testContext } from "./support/test-db";

const HOUR = 3_600_000;
/** The events' hours: three days from this instant. */
const BASE = Date.parse("2026-11-20T00:00:00Z");

interface SentEvent {
  id: number;
  group: number;
  cents: number;
  at: number;
}

/** An event time: anywhere in the three days, on an hour, a millisecond before one, or right at an edge of the window. */
const atArb = (edges: number[]) =>
  fc.oneof(
    fc.integer({ min: 0, max: 72 * HOUR - 1 }),
    fc.integer({ min: 0, max: 72 }).map((h) => h * HOUR),
    fc.integer({ min: 1, max: 72 }).map((h) => h * HOUR - 1),
    // (A window before the three days has no edge in them: its events fall on the first instant.)
    fc.constantFrom(...edges.flatMap((e) => [e, e - 1]).map((at) => Math.max(0, at))),
  );

const caseArb = fc
  .record({
    // Often a UTC midnight, so day buckets read the daily rollup (window-rows.ts); else any hour.
    fromHour: fc.oneof(fc.integer({ min: -3, max: 72 }), fc.constantFrom(0, 24, 48)),
    hours: fc.integer({ min: 1, max: 80 }),
    bucket: fc.constantFrom<Bucket>("hour", "day"),
  })
  .chain((w) => {
    const edges = [w.fromHour, w.fromHour + w.hours, ...(w.bucket === "day" ? [w.fromHour + 24, w.fromHour + 48] : [])].map((h) => h * HOUR);
    return fc.record({
      ...Object.fromEntries(Object.entries(w).map(([k, v]) => [k, fc.constant(v)])) as { [K in keyof typeof w]: fc.Arbitrary<(typeof w)[K]> },
      events: fc
        .array(fc.record({ group: fc.nat(3), cents: fc.integer({ min: -50_000, max: 50_000 }), at: atArb(edges) }), { minLength: 1, maxLength: 30 })
        .map((es) => es.map((e, id): SentEvent => ({ ...e, id, at: BASE + e.at }))),
      /** Events sent a second time (the same eventId): counted once. */
      resend: fc.array(fc.nat(29), { maxLength: 5 }),
      batched: fc.boolean(),
    });
  });

const groupName = (g: number) => ({ source: `s${g % 2}`, metric: `m${Math.floor(g / 2)}` });

interface Recomputed {
  source: string;
  metric: string;
  i: number;
  count: number;
  sum: number;
  avg: number;
  min: number;
  max: number;
  first: Date;
  last: Date;
}

type Bucketed = Pick<Recomputed, "i" | "count" | "sum" | "avg" | "min" | "max">;

let run = 0;

describe.each(backends)("series and windows always agree with processed events on %s", (kind) => {
  const t = useTestDatabase(kind);

  it("holds for random events, windows and buckets", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const prefix = `series-${kind}-${run++}-`;
        const api = createCaller(testContext(t.db));
        const envelope = (e: SentEvent) => {
          const { source, metric } = groupName(e.group);
          return { source: prefix + source, payload: { metric, value: e.cents / 100, timestamp: new Date(e.at).toISOString(), eventId: `e${e.id}` } };
        };
        const sends = [...c.events, ...c.resend.filter((i) => i < c.events.length).map((i) => c.events[i]!)];
        if (c.batched) await api.ingestBatch({ events: sends.map(envelope) });
        else for (const e of sends) await api.ingest(envelope(e));

        const from = BASE + c.fromHour * HOUR;
        const to = from + c.hours * HOUR;
        const size = bucketMs[c.bucket];
        const buckets = Math.ceil((to - from) / size);
        const window = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
        const rows = await api.aggregates({ q: prefix, ...window, bucket: c.bucket, limit: 100 });
        /** Every bucket of the window from recomputed buckets (by index): empty ones count 0, with no avg/min/max. */
        const dense = (recomputedBuckets: Bucketed[]) => {
          const byIndex = new Map(recomputedBuckets.map((r) => [r.i, r]));
          return Array.from({ length: buckets }, (_, i) => {
            const r = byIndex.get(i);
            const start = new Date(from + i * size).toISOString();
            return r ? { start, count: r.count, sum: r.sum, avg: r.avg, min: r.min, max: r.max } : { start, count: 0, sum: 0, avg: null, min: null, max: null };
          });
        };

        // The recomputation from processed_event: the same groups, buckets and doubles.
        const recomputed = await t.db.prisma.$queryRaw<Recomputed[]>`
          SELECT source, metric, floor(extract(epoch FROM occurred_at - ${window.from}::timestamptz) * 1000 / ${size})::int AS i,
                 count(*)::int AS count, sum(value)::float8 AS sum, (sum(value) / count(*))::float8 AS avg,
                 min(value)::float8 AS min, max(value)::float8 AS max, min(occurred_at) AS first, max(occurred_at) AS last
          FROM processed_event
          WHERE starts_with(source, ${prefix}) AND occurred_at >= ${window.from}::timestamptz AND occurred_at < ${window.to}::timestamptz
          GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
        const totals = await t.db.prisma.$queryRaw<Omit<Recomputed, "i">[]>`
          SELECT source, metric, count(*)::int AS count, sum(value)::float8 AS sum, (sum(value) / count(*))::float8 AS avg,
                 min(value)::float8 AS min, max(value)::float8 AS max, min(occurred_at) AS first, max(occurred_at) AS last
          FROM processed_event
          WHERE starts_with(source, ${prefix}) AND occurred_at >= ${window.from}::timestamptz AND occurred_at < ${window.to}::timestamptz
          GROUP BY 1, 2 ORDER BY 1, 2`;
        expect(rows.map((r) => [r.source, r.metric])).toEqual(totals.map((r) => [r.source, r.metric]));
        rows.forEach((row, n) => {
          const total = totals[n]!;
          expect({ count: row.count, sum: row.sum, avg: row.avg, min: row.min, max: row.max, firstSeenAt: row.firstSeenAt, lastSeenAt: row.lastSeenAt }).toEqual({
            count: total.count,
            sum: total.sum,
            avg: total.avg,
            min: total.min,
            max: total.max,
            firstSeenAt: new Date(total.first).toISOString(),
            lastSeenAt: new Date(total.last).toISOString(),
          });
          expect(row.series).toEqual(dense(recomputed.filter((r) => r.source === row.source && r.metric === row.metric)));
        });

        // The summary's series: every selected group's events per bucket, the same doubles as
        // processed_event's, in the same statement as its count.
        const summary = await api.aggregatesSummary({ q: prefix, ...window, bucket: c.bucket });
        const overall = await t.db.prisma.$queryRaw<Bucketed[]>`
          SELECT floor(extract(epoch FROM occurred_at - ${window.from}::timestamptz) * 1000 / ${size})::int AS i,
                 count(*)::int AS count, sum(value)::float8 AS sum, (sum(value) / count(*))::float8 AS avg,
                 min(value)::float8 AS min, max(value)::float8 AS max
          FROM processed_event
          WHERE starts_with(source, ${prefix}) AND occurred_at >= ${window.from}::timestamptz AND occurred_at < ${window.to}::timestamptz
          GROUP BY 1 ORDER BY 1`;
        expect(summary.series).toEqual(dense(overall));
        expect(summary.series!.reduce((n, p) => n + p.count, 0)).toBe(summary.count);
        expect(summary.groups).toBe(rows.length);

        // And what was sent: each distinct event once, in the bucket of its own time.
        const model = new Map<string, { count: number; cents: number }[]>();
        for (const e of c.events) {
          if (e.at < from || e.at >= to) continue;
          const { source, metric } = groupName(e.group);
          const key = `${prefix}${source}/${metric}`;
          const series = model.get(key) ?? Array.from({ length: buckets }, () => ({ count: 0, cents: 0 }));
          const b = series[Math.floor((e.at - from) / size)]!;
          b.count++;
          b.cents += e.cents;
          model.set(key, series);
        }
        expect(Object.fromEntries(rows.map((r) => [`${r.source}/${r.metric}`, r.series!.map((p) => ({ count: p.count, cents: Math.round(p.sum * 100) }))]))).toEqual(
          Object.fromEntries(model),
        );
      }),
      { numRuns: kind === "pglite" ? 25 : 40 },
    );
  });
});
