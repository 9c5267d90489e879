// The Aggregates table's paging: a stack of keyset cursors per query (search, range, sort), and
// the window its pages ask over. A range's window moves at each whole hour; past the first page
// the table keeps the window its cursors were made over (the server refuses them over another),
// so the hour turning leaves the reader on their page; the first page follows the live window.
import { describe, expect, it } from "vitest";
import { cursorsOf, pageBack, pagedWindow, pageForward, type Paging } from "../src/lib/aggregate-table";
import type { TimeWindow } from "../src/lib/time-range";

const at10: TimeWindow = { from: "2026-11-24T00:00:00.000Z", to: "2026-11-24T11:00:00.000Z", bucket: "hour" };
const at11: TimeWindow = { ...at10, to: "2026-11-24T12:00:00.000Z" };
const key = JSON.stringify([null, "today", "-count"]);
const start: Paging = { key: "", cursors: [] };

describe("the Aggregates table's paging", () => {
  it("asks the first page over the live window, and the later pages over the first page's, whatever the hour", () => {
    expect(pagedWindow(start, key, at10)).toBe(at10);
    const page2 = pageForward(start, key, "c1", at10);
    expect(page2).toEqual({ key, cursors: ["c1"], window: at10 });
    // The hour turns: the live window is at11, page 2 stays over at10, and so does page 3.
    expect(pagedWindow(page2, key, at11)).toBe(at10);
    const page3 = pageForward(page2, key, "c2", at10);
    expect(page3).toEqual({ key, cursors: ["c1", "c2"], window: at10 });
    expect(pagedWindow(page3, key, at11)).toBe(at10);
    // Back to page 2: still the cursors' window; back to page 1: the live one.
    const back2 = pageBack(page3, key);
    expect(back2).toEqual({ key, cursors: ["c1"], window: at10 });
    const back1 = pageBack(back2, key);
    expect(back1).toEqual({ key, cursors: [], window: undefined });
    expect(pagedWindow(back1, key, at11)).toBe(at11);
  });

  it("starts another query (search, range or sort) at its first page, over its live window", () => {
    const page2 = pageForward(start, key, "c1", at10);
    const other = JSON.stringify([null, "today", "-sum"]);
    expect(cursorsOf(page2, other)).toEqual([]);
    expect(pagedWindow(page2, other, at11)).toBe(at11);
    expect(pageForward(page2, other, "d1", at11)).toEqual({ key: other, cursors: ["d1"], window: at11 });
  });

  it("holds no window for all time, which has none", () => {
    const allKey = JSON.stringify([null, "all", "-count"]);
    const page2 = pageForward(start, allKey, "c1", undefined);
    expect(page2).toEqual({ key: allKey, cursors: ["c1"], window: undefined });
    expect(pagedWindow(page2, allKey, undefined)).toBeUndefined();
  });
});
