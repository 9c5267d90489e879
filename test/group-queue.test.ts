// The group queue alone (no database): how entries of one or many items become groups, and
// how each item is settled, in order, whatever group it left in.
import { describe, expect, it } from "vitest";
import { GroupQueue, type Settled } from "../src/server/ingest/group-queue";

interface Item {
  id: string;
  alone?: boolean;
  fail?: boolean;
}

/** A queue whose flushes are recorded and finished when the test says. */
function harness(maxItems: number, maxConcurrentFlushes = 1, maxConcurrentFullFlushes?: number) {
  const groups: string[][] = [];
  const pending: (() => void)[] = [];
  const queue = new GroupQueue<Item, string>({
    maxItems,
    maxConcurrentFlushes,
    maxConcurrentFullFlushes,
    alone: (item) => item.alone === true,
    dropped: () => new Error("dropped"),
    flush: (items) => {
      groups.push(items.map((i) => i.id));
      if (items.some((i) => i.id === "boom")) return Promise.reject(new Error("flush failed"));
      return new Promise<Settled<string>[]>((resolve) =>
        pending.push(() => resolve(items.map((i) => (i.fail ? { failure: new Error(`no ${i.id}`) } : { value: `ok ${i.id}` })))),
      );
    },
  });
  /** Finishes every flush under way, until none is left. */
  const drain = async () => {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const next = pending.shift();
      if (!next) return;
      next();
    }
  };
  return { queue, groups, drain };
}

const items = (prefix: string, n: number): Item[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}` }));
const shown = (settled: Settled<string>[]) => settled.map((s) => ("failure" in s ? `failed: ${(s.failure as Error).message}` : s.value));

describe("GroupQueue", () => {
  it.each([
    { maxItems: 10, entries: [["a", 3], ["b", 2]] as const, groups: [["a0", "a1", "a2", "b0", "b1"]] },
    { maxItems: 4, entries: [["a", 10]] as const, groups: [["a0", "a1", "a2", "a3"], ["a4", "a5", "a6", "a7"], ["a8", "a9"]] },
    { maxItems: 4, entries: [["a", 3], ["b", 3]] as const, groups: [["a0", "a1", "a2", "b0"], ["b1", "b2"]] },
    { maxItems: 1, entries: [["a", 2], ["b", 1]] as const, groups: [["a0"], ["a1"], ["b0"]] },
  ])("maxItems $maxItems, entries $entries: groups $groups", async ({ maxItems, entries, groups: expected }) => {
    const { queue, groups, drain } = harness(maxItems);
    const answers = entries.map(([prefix, n]) => queue.submitAll(items(prefix, n)));
    expect(queue.waiting + queue.flushing).toBe(entries.reduce((n, [, k]) => n + k, 0));
    await drain();
    expect(groups).toEqual(expected);
    for (const [i, [prefix, n]] of entries.entries()) {
      expect(shown(await answers[i]!)).toEqual(items(prefix, n).map((item) => `ok ${item.id}`));
    }
    expect([queue.waiting, queue.flushing]).toEqual([0, 0]);
  });

  // Flushes under way before any finishes: full groups may take maxConcurrentFullFlushes,
  // a group smaller than maxItems only maxConcurrentFlushes.
  it.each([
    { what: "a group of everything queued is full when it reaches maxItems", sizes: [1, 1, 1, 1, 1], full: 4, inFlight: [["a0", "b0", "c0", "d0"], ["e0"]], waiting: 0 },
    { what: "full groups take 4", sizes: [4, 4, 4, 4, 4, 4], full: 4, inFlight: 4, waiting: 8 },
    { what: "full groups without the option stay at 2", sizes: [4, 4, 4, 4], full: undefined, inFlight: 2, waiting: 8 },
    { what: "the last, partial group waits for a small slot", sizes: [4, 4, 4, 2], full: 4, inFlight: 3, waiting: 2 },
  ])("$what", async ({ sizes, full, inFlight, waiting }) => {
    const { queue, groups, drain } = harness(4, 2, full);
    const prefixes = "abcdef";
    const answers = sizes.map((n, i) => queue.submitAll(items(prefixes[i]!, n)));
    await new Promise((r) => setImmediate(r));
    if (Array.isArray(inFlight)) expect(groups).toEqual(inFlight);
    else expect(groups.length).toBe(inFlight);
    expect(queue.waiting).toBe(waiting);
    await drain();
    expect(groups.flat()).toEqual(sizes.flatMap((n, i) => items(prefixes[i]!, n).map((x) => x.id)));
    for (const a of answers) expect(shown(await a).every((s) => s.startsWith("ok "))).toBe(true);
  });

  it("small groups, one per tick, stay at maxConcurrentFlushes", async () => {
    const { queue, groups, drain } = harness(4, 2, 4);
    const tick = () => new Promise((r) => setImmediate(r));
    const answers = [];
    for (const prefix of "abc") {
      answers.push(queue.submitAll(items(prefix, 1)));
      await tick();
    }
    expect(groups).toEqual([["a0"], ["b0"]]);
    expect(queue.waiting).toBe(1);
    await drain();
    expect(groups).toEqual([["a0"], ["b0"], ["c0"]]);
    for (const a of answers) expect(shown(await a)).toHaveLength(1);
  });

  it("flushes an item that must go alone by itself, its neighbours on either side in groups of their own", async () => {
    const { queue, groups, drain } = harness(10);
    const answer = queue.submitAll([{ id: "x0" }, { id: "x1" }, { id: "solo", alone: true }, { id: "x3" }]);
    await drain();
    expect(groups).toEqual([["x0", "x1"], ["solo"], ["x3"]]);
    expect(shown(await answer)).toEqual(["ok x0", "ok x1", "ok solo", "ok x3"]);
  });

  it("settles each item with its own result or failure; a flush that throws fails its group only", async () => {
    const { queue, groups, drain } = harness(2);
    const answer = queue.submitAll([{ id: "a" }, { id: "b", fail: true }, { id: "boom" }, { id: "c" }, { id: "d" }]);
    await drain();
    expect(groups).toEqual([["a", "b"], ["boom", "c"], ["d"]]);
    expect(shown(await answer)).toEqual(["ok a", "failed: no b", "failed: flush failed", "failed: flush failed", "ok d"]);
  });

  it("submit answers one item: its value, or its failure thrown", async () => {
    const { queue, drain } = harness(4);
    const ok = queue.submit({ id: "one" });
    const bad = expect(queue.submit({ id: "two", fail: true })).rejects.toThrow("no two");
    await drain();
    await expect(ok).resolves.toBe("ok one");
    await bad;
  });

  it("drops the items of an aborted caller still queued; those a flush took are finished", async () => {
    const { queue, groups, drain } = harness(2);
    const controller = new AbortController();
    const answer = queue.submitAll(items("a", 5), controller.signal);
    const other = queue.submitAll(items("b", 1));
    await new Promise((r) => setImmediate(r)); // the first group leaves
    expect([queue.flushing, queue.waiting]).toEqual([2, 4]);
    controller.abort();
    expect(queue.waiting).toBe(1);
    await drain();
    expect(groups).toEqual([["a0", "a1"], ["b0"]]);
    expect(shown(await answer)).toEqual(["ok a0", "ok a1", "failed: dropped", "failed: dropped", "failed: dropped"]);
    expect(shown(await other)).toEqual(["ok b0"]);
    expect(shown(await queue.submitAll(items("c", 2), controller.signal))).toEqual(["failed: dropped", "failed: dropped"]);
  });

  it("keeps as many flushes in flight as allowed, the rest waiting", async () => {
    const { queue, groups, drain } = harness(2, 2);
    const answer = queue.submitAll(items("a", 7));
    await new Promise((r) => setImmediate(r));
    expect(groups).toEqual([["a0", "a1"], ["a2", "a3"]]);
    expect([queue.flushing, queue.waiting]).toEqual([4, 3]);
    await drain();
    expect(groups.flat()).toEqual(items("a", 7).map((i) => i.id));
    expect((await answer).length).toBe(7);
  });
});
