"use client";
// The older events of the Events page: pages loaded with "Load older events", each asked for
// once and never polled (the first page is; see src/lib/event-pages.ts for how the two make
// one list). They belong to one filter: another filter starts again from its first page.
import { useState } from "react";
import { keepPushedDown, type ListedRow } from "@/lib/event-pages";
import { toIngestClientError } from "@/lib/ingest-client-error";

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface Older<T> {
  /** The filter these rows were loaded for. */
  key: string;
  rows: T[];
  /** The cursor after the last page loaded; null once the oldest event is on screen. */
  nextCursor: string | null;
  /** Whether any older page was loaded for this filter. */
  loaded: boolean;
}

const none = <T>(key: string): Older<T> => ({ key, rows: [], nextCursor: null, loaded: false });

/** `key` names the filter; `firstPage` is the polled first page; `fetchPage` asks for the page after a cursor. */
export function useOlderEvents<T extends ListedRow>(key: string, firstPage: Page<T> | undefined, fetchPage: (cursor: string) => Promise<Page<T>>) {
  const [older, setOlder] = useState<Older<T>>(() => none(key));
  const [seenFirstPage, setSeenFirstPage] = useState(firstPage);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string>();
  const current = older.key === key ? older : none<T>(key);

  // A new answer for the first page: the rows newer ones pushed past its end join the older
  // rows. Done while rendering (React's "state from the previous render"), so no frame shows
  // the list with a gap.
  if (firstPage !== seenFirstPage) {
    setSeenFirstPage(firstPage);
    if (current.loaded && seenFirstPage && firstPage) setOlder({ ...current, rows: keepPushedDown(seenFirstPage.items, firstPage.items, current.rows) });
  }

  async function loadAfter(cursor: string | undefined) {
    if (cursor === undefined) return;
    setLoading(true);
    setError(undefined);
    try {
      const page = await fetchPage(cursor);
      setOlder((o) => {
        const base = o.key === key ? o : none<T>(key);
        const have = new Set(base.rows.map((r) => r.id));
        return { key, rows: [...base.rows, ...page.items.filter((r) => !have.has(r.id))], nextCursor: page.nextCursor, loaded: true };
      });
    } catch (e) {
      setError(toIngestClientError(e).message);
    } finally {
      setLoading(false);
    }
  }

  return { rows: current.rows, nextCursor: current.nextCursor, loaded: current.loaded, loading, error, loadAfter };
}
