// GET /aggregates (and tRPC aggregates, aggregatesPage, aggregatesSummary) over real HTTP, on
// both databases: time windows by the events' own time, on whole UTC hours (anything else is a
// 400 naming the field); series per hour and per 24-hour day counted from `from`; filters, sort
// and keyset pages, with the next page named by the Link header; the answer still a plain array;
// the summary over every selected group, with its totals per bucket.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Aggregate } from "../src/lib/aggregates-schema";
import { createCaller } from "../src/server/api/root";
import { startHttpApp, type HttpApp } from "./support/http-app";
import { failure } from "./support/trpc-failure";
import { useTestDatabase } from "./support/use-test-database";
import { backends, testContext } from "./support/test-db";

interface ErrorAnswer {
  error: { code: string; field?: string; message: string };
}

describe.each(backends)("aggregates over time windows, a page at a time, on %s", (kind) => {
  const t = useTestDatabase(kind);
  let app: HttpApp;
  let seq = 0;
  const src = (label: string) => `win-${label}-${kind}-${seq++}`;
  const api = () => createCaller(testContext(t.db));
  const send = (events: { source: string; metric: string; value: number; timestamp?: string }[]) =>
    api().ingestBatch({ events: events.map(({ source, ...payload }) => ({ source, payload })) });
  const get = async (query: string) => {
    const res = await fetch(`${app.url}/aggregates?${query}`);
    return { status: res.status, link: res.headers.get("link"), body: (await res.json()) as unknown };
  };
  const rows = async (query: string) => {
    const res = await get(query);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as Aggregate[];
  };
  const refusal = async (query: string) => {
    const res = await get(query);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    return (res.body as ErrorAnswer).error;
  };

  beforeAll(async () => {
    app = await startHttpApp(testContext(t.db));
  });
  afterAll(() => app.close());

  it("a window [from, to) counts the events whose own time is in it: totals, min/max and first/last seen of the window only", async () => {
    const source = src("window");
    await send([
      { source, metric: "orders", value: 10, timestamp: "2026-11-24T09:59:59.999Z" },
      { source, metric: "orders", value: 1.5, timestamp: "2026-11-24T10:00:00Z" },
      { source, metric: "orders", value: 2.5, timestamp: "2026-11-24T11:30:00+01:00" }, // 10:30 UTC
      { source, metric: "orders", value: -4, timestamp: "2026-11-24T11:59:59.999Z" },
      { source, metric: "orders", value: 100, timestamp: "2026-11-24T12:00:00Z" },
      { source, metric: "refunds", value: 7, timestamp: "2026-11-23T08:00:00Z" },
    ]);
    const window = `source=${source}&from=2026-11-24T10:00:00Z&to=2026-11-24T12:00:00Z`;
    // The refunds group has no event in the window: it is left out.
    expect(await rows(window)).toEqual([
      { source, metric: "orders", count: 3, sum: 0, avg: 0, min: -4, max: 2.5, firstSeenAt: "2026-11-24T10:00:00.000Z", lastSeenAt: "2026-11-24T11:59:59.999Z" },
    ]);
    // The same instant written with an offset is the same window.
    expect(await rows(`source=${source}&from=2026-11-24T15:30:00%2B05:30&to=2026-11-24T12:00:00Z`)).toEqual(await rows(window));
    // Open-ended windows, and all time.
    expect((await rows(`source=${source}&from=2026-11-24T12:00:00Z`)).map((r) => [r.metric, r.count, r.sum])).toEqual([["orders", 1, 100]]);
    expect((await rows(`source=${source}&to=2026-11-24T10:00:00Z`)).map((r) => [r.metric, r.count, r.sum])).toEqual([
      ["orders", 1, 10],
      ["refunds", 1, 7],
    ]);
    expect((await rows(`source=${source}`)).map((r) => [r.metric, r.count, r.sum])).toEqual([
      ["orders", 5, 110],
      ["refunds", 1, 7],
    ]);
  });

  it("an event sent without a timestamp counts in the hour it was captured: 'how many today' includes it", async () => {
    const source = src("now");
    const before = Date.now();
    await send([{ source, metric: "visits", value: 1 }]);
    const hour = Math.floor(before / 3_600_000) * 3_600_000;
    const [row] = await rows(`source=${source}&from=${new Date(hour).toISOString()}&to=${new Date(hour + 3_600_000).toISOString()}`);
    expect(row).toMatchObject({ metric: "visits", count: 1 });
    expect(Date.parse(row!.firstSeenAt)).toBeGreaterThanOrEqual(before - 1000);
  });

  it("from and to must be whole UTC hours, in order: anything else is a 400 naming the field", async () => {
    expect(await refusal("from=2026-11-24T10:30:00Z")).toMatchObject({ code: "INVALID_QUERY", field: "from", message: expect.stringContaining("whole UTC hour") });
    expect(await refusal("to=2026-11-24T10:00:00.001Z")).toMatchObject({ field: "to", message: expect.stringContaining("whole UTC hour") });
    expect(await refusal("to=2026-11-24T10:00:00.0000001Z")).toMatchObject({ field: "to" });
    // A half-hour zone's midnight is not a whole UTC hour.
    expect(await refusal("from=2026-11-24T00:00:00%2B05:30")).toMatchObject({ field: "from" });
    // `+` unencoded in a URL is a space: not a date-time.
    expect(await refusal("from=2026-11-24T10:00:00+01:00")).toMatchObject({ field: "from", message: expect.stringContaining("ISO-8601") });
    expect(await refusal("from=yesterday")).toMatchObject({ field: "from", message: expect.stringContaining("ISO-8601") });
    expect(await refusal("from=2026-11-24")).toMatchObject({ field: "from" });
    expect(await refusal("from=2026-11-24T10:00:00Z&to=2026-11-24T10:00:00Z")).toMatchObject({ field: "to", message: "to: to must be after from" });
    expect(await refusal("bucket=hour&from=2026-11-24T10:00:00Z")).toMatchObject({ field: "to", message: expect.stringContaining("required with bucket") });
    expect(await refusal("bucket=week&from=2026-11-24T10:00:00Z&to=2026-11-25T10:00:00Z")).toMatchObject({ field: "bucket" });
    expect(await refusal("bucket=hour&from=2026-11-01T00:00:00Z&to=2026-12-02T01:00:00Z")).toMatchObject({
      field: "bucket",
      message: "bucket: bucket=hour over this window makes 745 buckets; at most 744: narrow the window or use bucket=day",
    });
    expect(await refusal("bucket=day&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&limit=101")).toMatchObject({ field: "limit" });
    expect(await refusal("limit=0")).toMatchObject({ field: "limit" });
    expect(await refusal("limit=1001")).toMatchObject({ field: "limit", message: "limit: limit must be at most 1000" });
    expect(await refusal("limit=ten")).toMatchObject({ field: "limit", message: "limit: limit must be a whole number" });
    expect(await refusal("sort=size")).toMatchObject({ field: "sort" });
  });

  it("bucket=hour gives every hour of the window, empty ones with count 0 and no avg/min/max; the row's totals are its series' sums", async () => {
    const source = src("hours");
    await send([
      { source, metric: "temp", value: 20, timestamp: "2026-11-24T10:05:00Z" },
      { source, metric: "temp", value: 22, timestamp: "2026-11-24T10:55:00Z" },
      { source, metric: "temp", value: 19, timestamp: "2026-11-24T12:00:00Z" },
      { source, metric: "temp", value: 99, timestamp: "2026-11-24T13:00:00Z" },
    ]);
    const [row] = await rows(`source=${source}&from=2026-11-24T10:00:00Z&to=2026-11-24T13:00:00Z&bucket=hour`);
    expect(row).toEqual({
      source,
      metric: "temp",
      count: 3,
      sum: 61,
      avg: 61 / 3,
      min: 19,
      max: 22,
      firstSeenAt: "2026-11-24T10:05:00.000Z",
      lastSeenAt: "2026-11-24T12:00:00.000Z",
      series: [
        { start: "2026-11-24T10:00:00.000Z", count: 2, sum: 42, avg: 21, min: 20, max: 22 },
        { start: "2026-11-24T11:00:00.000Z", count: 0, sum: 0, avg: null, min: null, max: null },
        { start: "2026-11-24T12:00:00.000Z", count: 1, sum: 19, avg: 19, min: 19, max: 19 },
      ],
    });
  });

  it("bucket=day: 24-hour buckets counted from `from` (a zone's local midnight gives its days), the last one ending at `to`", async () => {
    const source = src("days");
    await send([
      // 2026-11-23 23:30 UTC is 2026-11-24 00:30 in UTC+1: the 24th there.
      { source, metric: "orders", value: 1, timestamp: "2026-11-23T23:30:00Z" },
      { source, metric: "orders", value: 2, timestamp: "2026-11-24T22:59:59.999Z" },
      { source, metric: "orders", value: 4, timestamp: "2026-11-24T23:00:00Z" },
      { source, metric: "orders", value: 8, timestamp: "2026-11-25T09:00:00Z" },
    ]);
    // Days of UTC+1, from its midnight of the 24th to 10:00 (local) on the 25th.
    const [local] = await rows(`source=${source}&from=2026-11-23T23:00:00Z&to=2026-11-25T09:00:00Z&bucket=day`);
    expect(local!.series).toEqual([
      { start: "2026-11-23T23:00:00.000Z", count: 2, sum: 3, avg: 1.5, min: 1, max: 2 },
      { start: "2026-11-24T23:00:00.000Z", count: 1, sum: 4, avg: 4, min: 4, max: 4 },
    ]);
    expect([local!.count, local!.sum]).toEqual([3, 7]);
    // UTC days.
    const [utc] = await rows(`source=${source}&from=2026-11-23T00:00:00Z&to=2026-11-26T00:00:00Z&bucket=day`);
    expect(utc!.series!.map((p) => [p.start, p.count, p.sum])).toEqual([
      ["2026-11-23T00:00:00.000Z", 1, 1],
      ["2026-11-24T00:00:00.000Z", 2, 6],
      ["2026-11-25T00:00:00.000Z", 1, 8],
    ]);
  });

  it("q finds groups whose source or metric holds every word, ignoring case; source and metric match exactly", async () => {
    const source = src("Search");
    await send([
      { source, metric: "Checkout_Total", value: 1 },
      { source, metric: "checkout_items", value: 2 },
      { source, metric: "page_views", value: 3 },
    ]);
    const metrics = async (query: string) => (await rows(query)).map((r) => r.metric);
    expect(await metrics(`q=${source.toUpperCase()}`)).toEqual(["Checkout_Total", "checkout_items", "page_views"]);
    expect(await metrics(`q=${encodeURIComponent(`checkout ${source.toLowerCase()}`)}`)).toEqual(["Checkout_Total", "checkout_items"]);
    expect(await metrics(`q=${encodeURIComponent(`${source} TOTAL`)}`)).toEqual(["Checkout_Total"]);
    // Not a pattern: % and _ are plain characters.
    expect(await metrics(`q=${encodeURIComponent(`${source} %`)}`)).toEqual([]);
    expect(await metrics(`source=${source}&metric=checkout_items`)).toEqual(["checkout_items"]);
    expect(await metrics(`source=${source.toLowerCase()}`)).toEqual([]);
  });

  it("pages follow the Link header through every row exactly once, in each sort order, ties by source then metric", async () => {
    const source = src("pages");
    // 7 groups; counts 3, 1, 2, 1, 3, 1, 2 (ties on purpose); sums differ.
    const counts = [3, 1, 2, 1, 3, 1, 2];
    await send(counts.flatMap((n, g) => Array.from({ length: n }, (_, i) => ({ source, metric: `g${g}`, value: g * 10 + i }))));
    const all = await rows(`source=${source}`);
    expect(all.map((r) => r.metric)).toEqual(["g0", "g1", "g2", "g3", "g4", "g5", "g6"]);

    for (const sort of ["source", "-source", "metric", "-metric", "count", "-count", "sum", "-sum", "avg", "-avg", "min", "-max", "firstSeenAt", "-lastSeenAt"]) {
      const walked: string[] = [];
      let next: string | null = `/aggregates?source=${source}&sort=${sort}&limit=2`;
      let pages = 0;
      while (next) {
        const res: Response = await fetch(`${app.url}${next}`);
        const page = (await res.json()) as Aggregate[];
        expect(page.length, sort).toBeLessThanOrEqual(2);
        walked.push(...page.map((r) => r.metric));
        const link: string | null = res.headers.get("link");
        next = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1]! : null;
        pages++;
      }
      const column = sort.replace("-", "") as keyof Aggregate;
      const direction = sort.startsWith("-") ? -1 : 1;
      const expected = [...all]
        .sort((a, b) => {
          const byColumn = (a[column]! < b[column]! ? -1 : a[column]! > b[column]! ? 1 : 0) * direction;
          if (column === "source" || column === "metric") return byColumn || (a.metric < b.metric ? -1 : 1) * direction;
          return byColumn || (a.metric < b.metric ? -1 : 1);
        })
        .map((r) => r.metric);
      expect(walked, sort).toEqual(expected);
      expect(pages, sort).toBe(4);
    }
  });

  it("a cursor continues only the query it came from: another sort, filter or window, or a forged one, is a 400 naming cursor", async () => {
    const source = src("cursor");
    await send([1, 2, 3].map((v) => ({ source, metric: `m${v}`, value: v, timestamp: "2026-11-24T10:00:00Z" })));
    const first = await get(`source=${source}&sort=-sum&limit=1`);
    const cursor = new URL(/^<([^>]+)>/.exec(first.link!)![1]!, app.url).searchParams.get("cursor")!;
    expect((await rows(`source=${source}&sort=-sum&limit=1&cursor=${cursor}`)).map((r) => r.metric)).toEqual(["m2"]);
    // The page size may change from page to page.
    expect((await rows(`source=${source}&sort=-sum&limit=5&cursor=${cursor}`)).map((r) => r.metric)).toEqual(["m2", "m1"]);
    expect(await refusal(`source=${source}&sort=sum&cursor=${cursor}`)).toMatchObject({ field: "cursor", message: expect.stringContaining("sorted by -sum") });
    expect(await refusal(`source=${source}&sort=-sum&from=2026-11-24T00:00:00Z&cursor=${cursor}`)).toMatchObject({ field: "cursor", message: expect.stringContaining("other filters") });
    expect(await refusal(`sort=-sum&cursor=${cursor}`)).toMatchObject({ field: "cursor" });
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(cursor, "base64url").toString()), x: "1; DROP TABLE x" })).toString("base64url");
    expect(await refusal(`source=${source}&sort=-sum&cursor=${forged}`)).toMatchObject({ field: "cursor", message: expect.stringContaining("not a cursor") });
    expect(await refusal(`source=${source}&sort=-sum&cursor=bm90IGpzb24`)).toMatchObject({ field: "cursor" });
  });

  it("without limit, at most 1000 rows, and a Link to the rest: every row reachable, the answer still a plain array", { timeout: 120_000 }, async () => {
    const source = src("cap");
    for (let b = 0; b < 3; b++) {
      await send(Array.from({ length: b < 2 ? 500 : 1 }, (_, i) => ({ source, metric: `m${String(b * 500 + i).padStart(4, "0")}`, value: 1 })));
    }
    const first = await get(`source=${source}`);
    expect(Array.isArray(first.body)).toBe(true);
    expect((first.body as Aggregate[]).length).toBe(1000);
    expect(first.link).toMatch(/^<\/aggregates\?source=[^&]+&cursor=[\w-]+>; rel="next"$/);
    const rest = await fetch(`${app.url}${/^<([^>]+)>/.exec(first.link!)![1]}`);
    expect(((await rest.json()) as Aggregate[]).map((r) => r.metric)).toEqual(["m1000"]);
    expect(rest.headers.get("link")).toBeNull();
  });

  it("tRPC answers what REST answers: aggregates the same array, aggregatesPage the next cursor, aggregatesSummary every selected group counted", async () => {
    const source = src("trpc");
    await send([
      { source, metric: "a", value: 1, timestamp: "2026-11-24T10:00:00Z" },
      { source, metric: "b", value: 2, timestamp: "2026-11-24T11:00:00Z" },
      { source, metric: "b", value: 3, timestamp: "2026-11-25T11:00:00Z" },
    ]);
    const input = { source, from: "2026-11-24T00:00:00Z", to: "2026-11-25T00:00:00Z", bucket: "hour" as const, sort: "-count" as const, limit: 1 };
    const rest = await get(`source=${source}&from=${input.from}&to=${input.to}&bucket=hour&sort=-count&limit=1`);
    expect(await api().aggregates(input)).toEqual(rest.body);
    const page = await api().aggregatesPage(input);
    expect(page.items).toEqual(rest.body);
    expect(rest.link).toContain(`cursor=${page.nextCursor}>`);
    expect((await api().aggregatesPage({ ...input, cursor: page.nextCursor! })).nextCursor).toBeNull();
    expect(await api().aggregatesSummary({ source, from: input.from, to: input.to })).toEqual({ groups: 2, sources: 1, count: 2, lastSeenAt: "2026-11-24T11:00:00.000Z" });
    expect(await api().aggregatesSummary({ source })).toEqual({ groups: 2, sources: 1, count: 3, lastSeenAt: "2026-11-25T11:00:00.000Z" });
    expect(await api().aggregatesSummary({ q: `${source} nothing-matches` })).toEqual({ groups: 0, sources: 0, count: 0, lastSeenAt: null });
  });

  it("aggregatesSummary with a bucket adds every selected group's events per bucket, empty buckets included, adding up to its count", async () => {
    const source = src("summary-series");
    await send([
      { source, metric: "a", value: 1, timestamp: "2026-11-24T10:15:00Z" },
      { source, metric: "b", value: 2, timestamp: "2026-11-24T10:45:00Z" },
      { source, metric: "b", value: -3, timestamp: "2026-11-24T12:59:59.999Z" },
      { source, metric: "b", value: 9, timestamp: "2026-11-24T13:00:00Z" },
    ]);
    const window = { source, from: "2026-11-24T10:00:00Z", to: "2026-11-24T13:00:00Z" };
    expect(await api().aggregatesSummary({ ...window, bucket: "hour" })).toEqual({
      groups: 2,
      sources: 1,
      count: 3,
      lastSeenAt: "2026-11-24T12:59:59.999Z",
      series: [
        { start: "2026-11-24T10:00:00.000Z", count: 2, sum: 3, avg: 1.5, min: 1, max: 2 },
        { start: "2026-11-24T11:00:00.000Z", count: 0, sum: 0, avg: null, min: null, max: null },
        { start: "2026-11-24T12:00:00.000Z", count: 1, sum: -3, avg: -3, min: -3, max: -3 },
      ],
    });
    // Days are 24 hours from `from`; the filters apply to the series as to the count.
    expect((await api().aggregatesSummary({ q: `${source} b`, from: "2026-11-24T10:00:00Z", to: "2026-11-26T10:00:00Z", bucket: "day" })).series).toEqual([
      { start: "2026-11-24T10:00:00.000Z", count: 3, sum: 8, avg: 8 / 3, min: -3, max: 9 },
      { start: "2026-11-25T10:00:00.000Z", count: 0, sum: 0, avg: null, min: null, max: null },
    ]);
    // Without a bucket, no series; a bucket needs the window.
    expect(await api().aggregatesSummary(window)).not.toHaveProperty("series");
    expect(await failure(api().aggregatesSummary({ source, bucket: "hour", from: window.from }))).toMatchObject({ code: "INVALID_ENVELOPE", field: "to" });
    expect(await failure(api().aggregatesSummary({ source, bucket: "hour", from: "2026-11-01T00:00:00Z", to: "2026-12-02T01:00:00Z" }))).toMatchObject({
      code: "INVALID_ENVELOPE",
      field: "bucket",
    });
  });

  it("the JSON PostgreSQL writes for a page is what JSON.stringify would write, value for value: escaped names, exact numbers, ISO times", async () => {
    const source = src("json");
    const names = ['quote " and \\ backslash', "line\nbreak\ttab", "émoji 🎉 and \u2028 separator", "control \u0001 char"];
    const values = [0.1, 0.2, -2.5e-7, 123456789.123, 9007199254740991, 4503599627370495.5];
    await send(names.flatMap((metric) => values.map((value, i) => ({ source, metric, value, timestamp: `2026-11-24T1${i}:00:00.123Z` }))));
    const res = await fetch(`${app.url}/aggregates?source=${encodeURIComponent(source)}`);
    const parsed = JSON.parse(await res.text()) as Aggregate[];
    expect(parsed).toEqual(
      [...names].sort().map((metric) => ({
        source,
        metric,
        count: values.length,
        // The sum is exact in the database (numeric), then rounded once to the nearest double.
        sum: Number("13510799005568275.92299975"),
        avg: Number("2251799834261379.32049995833333333333333333333333333333333333"),
        min: -2.5e-7,
        max: 9007199254740991,
        firstSeenAt: "2026-11-24T10:00:00.123Z",
        lastSeenAt: "2026-11-24T15:00:00.123Z",
      })),
    );
    expect(await api().aggregates({ source })).toEqual(parsed);
  });

  it.runIf(kind === "postgresql")("the pool's sessions run with JIT off: a short query is never compiled (the series query's cost crosses jit_above_cost)", async () => {
    const [row] = await t.db.prisma.$queryRaw<{ jit: string }[]>`SHOW jit`;
    expect(row).toEqual({ jit: "off" });
  });
});
