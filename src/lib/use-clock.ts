"use client";
// The time in the browser, to the minute: what a window of whole hours and the reader's local
// midnight are computed from. Null while rendering on the server and hydrating (the server's
// clock and zone are not the reader's, and markup made with them would not hydrate); React
// then renders again at once with the browser's (useSyncExternalStore), without waiting for an
// effect. It moves each minute, so "today" turns at the reader's midnight, even in a zone whose
// midnight is not on a whole hour.
import { useSyncExternalStore } from "react";

const MINUTE_MS = 60_000;
const currentMinute = () => Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;

function subscribe(onChange: () => void): () => void {
  let timer: ReturnType<typeof setTimeout>;
  const tick = () => {
    timer = setTimeout(() => {
      onChange();
      tick();
    }, MINUTE_MS - (Date.now() % MINUTE_MS));
  };
  tick();
  return () => clearTimeout(timer);
}

export function useClock(): number | null {
  return useSyncExternalStore(subscribe, currentMinute, () => null);
}
