// Property: whatever events arrive (CloudEvents and /ingest events, re-sent, values missing or
// not numbers, subjects missing), with meters created before and after them (the backfill), every
// meter query — every aggregation, window size and zone, grouped by subject and group or not,
// filtered or not — equals a recomputation from the processed events. And meters created while
// ingestion runs count every event exactly once (the boundary between backfill and write path).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { METER_AGGREGATIONS, type MeterAggregation, type MeterQueryRow, type WindowSize } from "../src/lib/meters-schema";
import { runBackfill } from "../src/server/meters/backfill";
import { windowsOf } from "../src/lib/meter-windows";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { useTestDatabase } from "./support/use-test-database";
import { backends, testContext } from "./support/test-db";

const ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "Europe/Berlin"];
/** Two days around Europe's autumn clock change (25 October 2026, 01:00 UTC). */
const SPAN_START = Date.parse("2026-10-24T12:00:00Z");
const SPAN_MINUTES = 2 * 24 * 60;
const AT = (minute: number) => new Date(SPAN_START + minute * 60_000);

interface Ev {
  id: number;
  subject: string | null;
  minute: number;
  second: number;
  v: number | string | boolean | null | undefined;
  g: string | undefined;
  via: "cloudevents" | "ingest";
}

const evArb = fc.record({
  subject: fc.constantFrom("c1", "c2", "c3", null),
  // Often in a few busy hours, so windows and buckets hold several events.
  minute: fc.oneof(fc.integer({ min: 0, max: SPAN_MINUTES - 1 }), fc.integer({ min: 720, max: 840 }), fc.integer({ min: 1500, max: 1530 })),
  second: fc.integer({ min: 0, max: 59 }),
  // Integers and halves: exact in numeric and in doubles; strings holding numbers count, others do not.
  v: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: -50, max: 50 }).map((n) => n / 2) },
    { weight: 1, arbitrary: fc.constantFrom("7", " 2.5 ", "n/a", true, null, undefined) },
  ),
  g: fc.constantFrom("a", "b", undefined),
  via: fc.constantFrom("cloudevents" as const, "cloudevents" as const, "ingest" as const),
});

const queryArb = fc.record({
  windowSize: fc.constantFrom<WindowSize | undefined>("MINUTE", "HOUR", "DAY", "MONTH", undefined),
  zone: fc.constantFrom(...ZONES),
  from: fc.oneof(fc.constant(-60), fc.integer({ min: -60, max: SPAN_MINUTES })),
  length: fc.oneof(fc.constant(SPAN_MINUTES + 120), fc.integer({ min: 1, max: SPAN_MINUTES + 120 })),
  bySubject: fc.boolean(),
  byGroup: fc.boolean(),
  subjects: fc.constantFrom<string[]>([], [], ["c1"], ["c2", "c3"]),
  filterG: fc.constantFrom<string[] | undefined>(undefined, undefined, ["a"], ["a", "b"]),
});

/** What a meter reads as a number (meter-rollup.ts): a JSON number, or a string holding one; under 1e20. */
function numberOf(v: unknown): number | null {
  const n = typeof v === "number" ? v : typeof v === "string" && /^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$/.test(v) ? Number(v) : null;
  return n !== null && Math.abs(n) < 1e20 ? n : null;
}
const textOf = (v: unknown) => (typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : null);

interface Processed {
  id: bigint;
  occurred_at: Date;
  subject: string | null;
  doc: Record<string, unknown>;
}

/** The oracle: a meter's rows recomputed from processed events, as OpenMeter defines them. */
function recompute(agg: MeterAggregation, events: Processed[], q: { from: Date; to: Date; windowSize?: WindowSize; zone: string; bySubject: boolean; byGroup: boolean; subjects: string[]; filterG?: string[] }): MeterQueryRow[] {
  const windows = q.windowSize ? windowsOf({ from: q.from, to: q.to, windowSize: q.windowSize, timeZone: q.zone }) : [{ start: q.from, end: q.to }];
  const cells = new Map<string, { w: number; subject: string | null; g: string | null; evs: Processed[] }>();
  for (const e of events) {
    const t = e.occurred_at.getTime();
    if (t < q.from.getTime() || t >= q.to.getTime()) continue;
    if (q.subjects.length > 0 && !q.subjects.includes(e.subject ?? "")) continue;
    const g = textOf(e.doc.g);
    if (q.filterG && !q.filterG.includes(g ?? "\u0000")) continue;
    const w = windows.findIndex((win) => win.start.getTime() <= t && t < win.end.getTime());
    const subject = q.bySubject ? e.subject : null;
    const group = q.byGroup ? g : null;
    const key = JSON.stringify([w, subject, group]);
    const cell = cells.get(key) ?? { w, subject, g: group, evs: [] };
    cell.evs.push(e);
    cells.set(key, cell);
  }
  const rows: (MeterQueryRow & { w: number })[] = [];
  for (const c of cells.values()) {
    const nums = c.evs.map((e) => ({ e, n: numberOf(e.doc.v) })).filter((x): x is { e: Processed; n: number } => x.n !== null);
    let value: number | null;
    if (agg === "COUNT") value = c.evs.length;
    else if (agg === "UNIQUE_COUNT") {
      const distinct = new Set(c.evs.map((e) => textOf(e.doc.v)).filter((x) => x !== null));
      value = distinct.size > 0 ? distinct.size : null;
    } else if (nums.length === 0) value = null;
    else if (agg === "SUM") value = nums.reduce((s, x) => s + x.n, 0);
    else if (agg === "AVG") value = nums.reduce((s, x) => s + x.n, 0) / nums.length;
    else if (agg === "MIN") value = Math.min(...nums.map((x) => x.n));
    else if (agg === "MAX") value = Math.max(...nums.map((x) => x.n));
    else {
      const latest = nums.reduce((a, b) => (b.e.occurred_at > a.e.occurred_at || (b.e.occurred_at.getTime() === a.e.occurred_at.getTime() && b.e.id > a.e.id) ? b : a));
      value = latest.n;
    }
    if (value === null) continue;
    const win = windows[c.w]!;
    rows.push({ w: c.w, value, windowStart: win.start.toISOString(), windowEnd: win.end.toISOString(), subject: c.subject, groupBy: q.byGroup ? { g: c.g } : {} });
  }
  const order = (r: MeterQueryRow & { w: number }) => JSON.stringify([r.w, r.subject ?? "", r.groupBy.g ?? ""]);
  return rows.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0)).map(({ w: _w, ...r }) => r);
}

const sortRows = (rows: MeterQueryRow[]) =>
  [...rows].sort((a, b) => {
    const ka = JSON.stringify([a.windowStart, a.subject ?? "", a.groupBy.g ?? ""]);
    const kb = JSON.stringify([b.windowStart, b.subject ?? "", b.groupBy.g ?? ""]);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
const rounded = (rows: MeterQueryRow[]) => sortRows(rows).map((r) => ({ ...r, value: Math.round(r.value * 1e9) / 1e9 }));

let run = 0;

describe.each(backends)("meters agree with the processed events on %s", (kind) => {
  const t = useTestDatabase(kind);

  async function api(app: HttpApp, method: string, path: string, body?: unknown, type = "application/json") {
    const res = await fetch(`${app.url}${path}`, { method, headers: body === undefined ? {} : { "content-type": type }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as unknown;
  }

  async function processedOf(type: string): Promise<Processed[]> {
    const rows = await t.db.prisma.$queryRaw<{ id: bigint; occurred_at: Date; subject: string | null; doc: Record<string, unknown> }[]>`
      SELECT id, occurred_at, subject, coalesce(data, attributes || jsonb_build_object('metric', metric, 'value', value)) AS doc
      FROM processed_event WHERE metric = ${type}`;
    return rows;
  }

  function send(app: HttpApp, type: string, evs: Ev[]) {
    const ces = evs.filter((e) => e.via === "cloudevents").map((e) => ({
      specversion: "1.0",
      id: `${type}-${e.id}`, // ids are unique per run: a CloudEvent's id names it within its source, whatever its type
      source: `prop-${kind}`,
      type,
      subject: e.subject ?? "",
      time: new Date(AT(e.minute).getTime() + e.second * 1000).toISOString(),
      data: { ...(e.v !== undefined ? { v: e.v } : {}), ...(e.g !== undefined ? { g: e.g } : {}) },
    }));
    // A CloudEvent's subject is required: "" stands for none here (refused), so send those by /ingest instead.
    const viaIngest = [...evs.filter((e) => e.via === "ingest"), ...evs.filter((e) => e.via === "cloudevents" && e.subject === null)];
    const ingest = viaIngest.map((e) => ({
      source: `prop-${kind}`,
      payload: {
        metric: type,
        value: 1,
        eventId: `${type}-i-${e.id}`,
        timestamp: new Date(AT(e.minute).getTime() + e.second * 1000).toISOString(),
        ...(e.subject !== null ? { subject: e.subject } : {}),
        ...(e.v !== undefined ? { v: e.v } : {}),
        ...(e.g !== undefined ? { g: e.g } : {}),
      },
    }));
    return Promise.all([
      ces.filter((c) => c.subject !== "").length > 0 ? api(app, "POST", "/api/v1/events", ces.filter((c) => c.subject !== ""), "application/cloudevents-batch+json") : null,
      ingest.length > 0 ? api(app, "POST", "/ingest/batch", { events: ingest }) : null,
    ]);
  }

  it("every aggregation, window size and zone, with re-sends and meters made before and after the events", async () => {
    const app = await startHttpApp(testContext(t.db));
    // Rows compared over the runs: the property must have had something to compare.
    let compared = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(evArb, { minLength: 10, maxLength: 60 }), fc.array(queryArb, { minLength: 2, maxLength: 5 }), fc.subarray([...METER_AGGREGATIONS]), async (raw, queries, before) => {
          const r = run++;
          const type = `usage_${kind}_${r}`;
          const evs: Ev[] = raw.map((e, id) => ({ ...e, id }));
          const slug = (agg: MeterAggregation) => `m_${kind}_${r}_${agg.toLowerCase()}`;
          const create = (agg: MeterAggregation) =>
            api(app, "POST", "/api/v1/meters", { slug: slug(agg), aggregation: agg, eventType: type, ...(agg === "COUNT" ? {} : { valueProperty: "$.v" }), groupBy: { g: "$.g" } });
          for (const agg of before) await create(agg);
          await send(app, type, evs);
          await send(app, type, evs.slice(0, Math.ceil(evs.length / 2))); // re-sent: deduplicated
          for (const agg of METER_AGGREGATIONS.filter((a) => !before.includes(a))) await create(agg);
          await runBackfill(t.db);
          const processed = await processedOf(type);
          for (const q of queries) {
            const from = AT(q.from);
            const to = AT(q.from + q.length);
            const groupBy = [...(q.bySubject ? ["subject"] : []), ...(q.byGroup ? ["g"] : [])];
            const bySubject = q.bySubject || q.subjects.length > 0;
            for (const agg of METER_AGGREGATIONS) {
              const got = (await api(app, "POST", `/api/v1/meters/${slug(agg)}/query`, {
                from: from.toISOString(),
                to: to.toISOString(),
                ...(q.windowSize ? { windowSize: q.windowSize } : {}),
                windowTimeZone: q.zone,
                groupBy,
                subject: q.subjects,
                ...(q.filterG ? { filterGroupBy: { g: q.filterG } } : {}),
              })) as { data: MeterQueryRow[] };
              const want = recompute(agg, processed, { from, to, windowSize: q.windowSize, zone: q.zone, bySubject, byGroup: q.byGroup, subjects: q.subjects, filterG: q.filterG });
              compared += got.data.length;
              expect(rounded(got.data), `${agg} ${JSON.stringify(q)}`).toEqual(rounded(want));
            }
          }
        }),
        { numRuns: 15, endOnFailure: true },
      );
      expect(compared).toBeGreaterThan(500);
    } finally {
      await app.close();
    }
  }, 240_000);

  it("meters created while events arrive count each event exactly once (backfill and write path meet at the watermark)", async () => {
    const app = await startHttpApp(testContext(t.db));
    try {
      const type = `race_${kind}`;
      const evs: Ev[] = Array.from({ length: 400 }, (_, id) => ({ id, subject: `c${id % 5}`, minute: id % 300, second: 0, v: 1, g: id % 2 ? "a" : "b", via: "cloudevents" }));
      const chunks = Array.from({ length: 20 }, (_, i) => evs.slice(i * 20, i * 20 + 20));
      const sending = (async () => {
        for (const c of chunks) await Promise.all([send(app, type, c), send(app, type, c)]);
      })();
      const slugs: string[] = [];
      for (let i = 0; i < 4; i++) {
        const slug = `race_${kind}_${i}`;
        slugs.push(slug);
        await api(app, "POST", "/api/v1/meters", { slug, aggregation: "COUNT", eventType: type, groupBy: { g: "$.g" } });
      }
      await sending;
      await runBackfill(t.db);
      expect(await processedOf(type)).toHaveLength(400);
      for (const slug of slugs) {
        const got = (await api(app, "POST", `/api/v1/meters/${slug}/query`, { groupBy: ["g"] })) as { data: MeterQueryRow[] };
        expect(got.data.map((d) => [d.groupBy.g, d.value])).toEqual([
          ["a", 200],
          ["b", 200],
        ]);
      }
    } finally {
      await app.close();
    }
  }, 120_000);
});
