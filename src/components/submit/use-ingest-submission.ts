"use client";
// Runs one submission: the same event, under one idempotency key, retried with backoff
// (src/lib/retry.ts) until the server answers, and records every attempt for the
// timeline. A simulated failure is requested on the first N attempts only, so the retries
// after them show what a real client would see once the database is back.
import { useCallback, useRef, useState } from "react";
import type { Envelope } from "@/lib/event-form";
import { newIdempotencyKey } from "@/lib/idempotency-key";
import { toIngestClientError, type IngestClientError } from "@/lib/ingest-client-error";
import type { FailurePoint, IngestOutput } from "@/lib/ingest-schema";
import { defaultBackoffPolicy, retryWithBackoff, type AttemptOutcome } from "@/lib/retry";
import { trpc } from "@/lib/trpc/react";

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

export interface SubmissionRun {
  id: number;
  idempotencyKey: string;
  envelope: Envelope;
  simulation: Simulation | null;
  entries: TimelineEntry[];
  status: RunStatus;
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
  const [runs, setRuns] = useState<SubmissionRun[]>([]);
  const nextId = useRef(1);
  const current = useRef<AbortController | null>(null);
  const running = runs[0]?.status === "running";

  const update = useCallback((id: number, change: (run: SubmissionRun) => SubmissionRun) => {
    setRuns((all) => all.map((r) => (r.id === id ? change(r) : r)));
  }, []);

  const start = useCallback(
    async (envelope: Envelope, idempotencyKey: string, simulation: Simulation | null) => {
      const id = nextId.current++;
      setRuns((all) => [{ id, idempotencyKey, envelope, simulation, entries: [], status: "running" as const }, ...all].slice(0, 10));
      const controller = new AbortController();
      current.current = controller;
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
        update(id, (r) => ({ ...r, status: result.retryable ? "stopped" : "rejected", error: result.error }));
      }
    },
    [utils, update],
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
  const stop = useCallback(() => current.current?.abort(), []);

  return { runs, running, submit, sendAgain, stop };
}
