"use client";
// Runs one submission: the same event, under one idempotency key, retried with backoff
// (src/lib/retry.ts) until the server answers, and records every attempt for the
// timeline. A simulated failure is requested on the first N attempts only, so the retries
// after them show what a real client would see once the database is back.
//
// A retry loop lives exactly as long as the Submit page: leaving the page stops it (the
// attempt in flight, already sent, is left to finish and recorded). The loop exists to show
// a client retrying; running on unseen, with its Stop button off screen, it would go on
// sending from a page nobody is looking at. The record of every submission stays for the
// tab (submission-store.ts), so coming back shows how each ended and why.
import { useCallback, useEffect, useRef, useSyncExternalStore } from "react";
import type { Envelope } from "@/lib/event-form";
import { newIdempotencyKey } from "@/lib/idempotency-key";
import { toIngestClientError, type IngestClientError } from "@/lib/ingest-client-error";
import type { FailurePoint, IngestOutput } from "@/lib/ingest-schema";
import { defaultBackoffPolicy, retryWithBackoff, type AttemptOutcome } from "@/lib/retry";
import { trpc } from "@/lib/trpc/react";
import { addSubmission, submissionsServerSnapshot, submissionsSnapshot, subscribeSubmissions, updateSubmission as update } from "./submission-store";

export interface Simulation {
  point: FailurePoint;
  /** How many attempts, from the first, ask the server to fail. */
  failures: number;
}

export interface TimelineEntry {
  attempt: number;
  state: "in-flight" | AttemptOutcome;
  simulated?: FailurePoint;
  error?: IngestClientError;
  deduplicated?: boolean;
  durationMs?: number;
  waitMs?: number;
}

export type RunStatus = "running" | "counted" | "deduplicated" | "rejected" | "stopped";

/** Why retrying stopped: the person pressed Stop, or left the Submit page. */
export type StopReason = "stop-button" | "left-page";

export interface SubmissionRun {
  id: number;
  idempotencyKey: string;
  envelope: Envelope;
  simulation: Simulation | null;
  entries: TimelineEntry[];
  status: RunStatus;
  /** Set as soon as retrying is stopped; the run ends once the attempt in flight settles. */
  stopReason?: StopReason;
  error?: IngestClientError;
}

/** The key a submission is sent under: the one the person gave, or a fresh one. */
export function keyFor(envelope: Envelope): string {
  const eventId = envelope.payload.eventId;
  if (envelope.idempotencyKey) return envelope.idempotencyKey;
  // The server would take payload.eventId as the key when none is sent; sending it as the
  // key too keeps the timeline honest about which key was used.
  if (typeof eventId === "string" && eventId.trim() !== "") return eventId.trim();
  return newIdempotencyKey();
}

export function useIngestSubmission() {
  const utils = trpc.useUtils();
  const runs = useSyncExternalStore(subscribeSubmissions, submissionsSnapshot, submissionsServerSnapshot);
  /** This page's retry loops still going, by run id. */
  const loops = useRef(new Map<number, AbortController>());
  const running = runs[0]?.status === "running";

  const stopLoop = useCallback((id: number, reason: StopReason) => {
    const controller = loops.current.get(id);
    if (!controller || controller.signal.aborted) return;
    controller.abort(reason);
    update(id, (r) => ({ ...r, stopReason: reason }));
  }, []);

  // Leaving the page stops its loops (see the header).
  useEffect(() => {
    const mine = loops.current;
    return () => {
      for (const id of mine.keys()) stopLoop(id, "left-page");
    };
  }, [stopLoop]);

  const start = useCallback(
    async (envelope: Envelope, idempotencyKey: string, simulation: Simulation | null) => {
      const id = addSubmission({ idempotencyKey, envelope, simulation, entries: [], status: "running" });
      const controller = new AbortController();
      loops.current.set(id, controller);
      const simulateOn = (attempt: number) => (simulation && attempt <= simulation.failures ? simulation.point : undefined);

      const result = await retryWithBackoff<IngestOutput, IngestClientError>(
        (attempt) => utils.client.ingest.mutate({ ...envelope, idempotencyKey, simulate: simulateOn(attempt) }),
        {
          policy: defaultBackoffPolicy,
          signal: controller.signal,
          toError: toIngestClientError,
          isRetryable: (e) => e.retryable,
          onAttemptStart: (attempt) =>
            update(id, (r) => ({ ...r, entries: [...r.entries, { attempt, state: "in-flight", simulated: simulateOn(attempt) }] })),
          onAttempt: (rec) =>
            update(id, (r) => ({
              ...r,
              entries: r.entries.map((e) => (e.attempt === rec.attempt ? { ...e, state: rec.outcome, error: rec.error, durationMs: rec.durationMs, waitMs: rec.waitMs } : e)),
            })),
        },
      );
      loops.current.delete(id);

      // The server invalidated nothing in our cache: refresh the live views now rather
      // than at their next poll.
      void utils.aggregates.invalidate();
      void utils.events.invalidate();

      if (result.ok) {
        const deduplicated = result.value.deduplicated;
        update(id, (r) => ({
          ...r,
          status: deduplicated ? "deduplicated" : "counted",
          entries: r.entries.map((e) => (e.state === "success" ? { ...e, deduplicated } : e)),
        }));
      } else {
        // A stopped loop announced a wait before a next attempt that will not come: drop it.
        update(id, (r) => ({
          ...r,
          status: result.retryable ? "stopped" : "rejected",
          error: result.error,
          entries: r.entries.map((e) => (e.attempt === r.entries.length ? { ...e, waitMs: undefined } : e)),
        }));
      }
    },
    [utils],
  );

  const submit = useCallback((envelope: Envelope, simulation: Simulation | null) => start(envelope, keyFor(envelope), simulation), [start]);

  /** The last event again, same key: the server must answer "deduplicated". */
  const sendAgain = useCallback(
    (simulation: Simulation | null) => {
      const last = runs[0];
      if (last) void start(last.envelope, last.idempotencyKey, simulation);
    },
    [runs, start],
  );

  /** Stops retrying the running submission (a person's choice; a client would go on). */
  const stop = useCallback(() => {
    const latest = runs[0];
    if (latest) stopLoop(latest.id, "stop-button");
  }, [runs, stopLoop]);

  return { runs, running, submit, sendAgain, stop };
}
