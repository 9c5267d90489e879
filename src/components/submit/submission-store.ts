"use client";
// The Submit page's submissions, kept for the browser tab outside React, so a person who
// leaves the page and comes back sees how each one ended, including one whose retrying
// stopped because they left. Retry loops never outlive the page (use-ingest-submission.ts
// aborts them when it unmounts); only their record does. Written from the browser only:
// the server renders the empty list.
import type { SubmissionRun } from "./use-ingest-submission";

/** How many submissions the page lists (the latest and the earlier ones). */
const kept = 10;
const none: SubmissionRun[] = [];
let runs: SubmissionRun[] = none;
let lastId = 0;
const listeners = new Set<() => void>();

function set(next: SubmissionRun[]): void {
  runs = next;
  for (const listener of listeners) listener();
}

export function subscribeSubmissions(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export const submissionsSnapshot = (): SubmissionRun[] => runs;
export const submissionsServerSnapshot = (): SubmissionRun[] => none;

/** Adds a new submission first; its id is one more than the last one's in this tab. */
export function addSubmission(run: Omit<SubmissionRun, "id">): number {
  const id = ++lastId;
  set([{ ...run, id }, ...runs].slice(0, kept));
  return id;
}

export function updateSubmission(id: number, change: (run: SubmissionRun) => SubmissionRun): void {
  set(runs.map((r) => (r.id === id ? change(r) : r)));
}
