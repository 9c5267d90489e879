// The Events page's list: the polled first page, then the older rows loaded once. Rows pushed
// past the first page by newer ones stay (as last seen), in order and once; rows that left the
// first page because they no longer match are not kept; nothing matching means nothing shown.
import { describe, expect, it } from "vitest";
import { keepPushedDown, visibleRows } from "../src/lib/event-pages";

/** Row n was received at second n of a minute (higher is newer); the id breaks ties. */
const row = (n: number, id = `00000000-0000-0000-0000-${String(n).padStart(12, "0")}`) => ({ id, receivedAt: `2026-11-24T10:00:${String(n).padStart(2, "0")}.000Z` });
const rows = (...ns: number[]) => ns.map((n) => row(n));
const ids = (rs: { id: string }[]) => rs.map((r) => Number(r.id.slice(-12)));

describe("the Events page's list", () => {
  it("shows the first page, then the older rows after its last row, each once", () => {
    expect(ids(visibleRows(rows(50, 49, 48), rows(47, 46)))).toEqual([50, 49, 48, 47, 46]);
    // An older row now on the first page (it moved up) is shown once, from the first page.
    expect(ids(visibleRows(rows(50, 49, 47), rows(47, 46)))).toEqual([50, 49, 47, 46]);
    expect(visibleRows([], rows(47, 46))).toEqual([]);
  });

  it("keeps the rows newer events pushed past the first page, before the older ones, with no gap", () => {
    const before = rows(50, 49, 48);
    const after = rows(53, 52, 51);
    const older = keepPushedDown(before, after, rows(47, 46));
    expect(ids(older)).toEqual([50, 49, 48, 47, 46]);
    expect(ids(visibleRows(after, older))).toEqual([53, 52, 51, 50, 49, 48, 47, 46]);
    // Polled again with nothing new: nothing moves.
    expect(keepPushedDown(after, after, older)).toBe(older);
  });

  it("does not keep a row that left the first page because it no longer matches (newer than the page's new end)", () => {
    // 49 turned from received to counted under a "received" filter: the page now reaches 47.
    const older = keepPushedDown(rows(50, 49, 48), rows(50, 48, 47), rows(47, 46));
    expect(ids(older)).toEqual([47, 46]);
    expect(ids(visibleRows(rows(50, 48, 47), older))).toEqual([50, 48, 47, 46]);
    // Nothing matches any more: nothing is kept.
    expect(keepPushedDown(rows(50, 49), [], rows(47))).toEqual([]);
  });

  it("orders rows received in the same millisecond by id, as the server does", () => {
    const a = row(10, "00000000-0000-0000-0000-00000000000a");
    const b = row(10, "00000000-0000-0000-0000-00000000000b");
    expect(visibleRows([b], [a])).toEqual([b, a]);
    expect(visibleRows([a], [b])).toEqual([a]);
  });
});
