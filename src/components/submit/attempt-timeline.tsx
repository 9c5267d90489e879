"use client";
// The attempts of one submission, as they happen, then its result. The list is a live
// region (role="log"), so a screen reader hears each attempt and the outcome without the
// person moving focus.
import { AnimatePresence, motion } from "motion/react";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import type { FailurePoint } from "@/lib/ingest-schema";
import type { RunStatus, SubmissionRun, TimelineEntry } from "./use-ingest-submission";

const pointLabel: Record<FailurePoint, string> = {
  "before-capture": "before capture",
  "after-capture": "after capture",
  "after-commit": "after commit (lost acknowledgement)",
};

const stateBadge: Record<TimelineEntry["state"], { tone: BadgeTone; text: string }> = {
  "in-flight": { tone: "info", text: "sending…" },
  success: { tone: "success", text: "answered 200" },
  "retryable-error": { tone: "warning", text: "failed, will retry" },
  "fatal-error": { tone: "danger", text: "failed, not retried" },
};

export function AttemptTimeline({ run }: { run: SubmissionRun }) {
  return (
    <div className="grid gap-4">
      <ol role="log" aria-label="Attempts" aria-live="polite" className="grid gap-2">
        <AnimatePresence initial={false}>
          {run.entries.map((e) => (
            <motion.li
              key={e.attempt}
              layout
              initial={{ opacity: 0, y: 6 }}
              animate={{ opacity: 1, y: 0 }}
              transition={{ duration: 0.18 }}
              data-testid="attempt"
              data-attempt={e.attempt}
              data-state={e.state}
              className="rounded-lg border border-border bg-background/60 p-3"
            >
              <AttemptRow entry={e} stopped={run.status === "stopped" && e.attempt === run.entries.length} />
            </motion.li>
          ))}
        </AnimatePresence>
      </ol>
      <RunResult run={run} />
    </div>
  );
}

/** The last attempt of a stopped run failed retryably, but no retry follows: say so. */
const stoppedBadge = { tone: "warning", text: "failed, retrying stopped" } as const satisfies { tone: BadgeTone; text: string };

function AttemptRow({ entry: e, stopped }: { entry: TimelineEntry; stopped: boolean }) {
  const badge = stopped && e.state === "retryable-error" ? stoppedBadge : stateBadge[e.state];
  return (
    <div className="grid gap-1 text-sm">
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-medium">Attempt {e.attempt}</span>
        <Badge tone={badge.tone}>{badge.text}</Badge>
        {e.simulated && <Badge tone="neutral">simulated failure {pointLabel[e.simulated]}</Badge>}
        {e.deduplicated !== undefined && <Badge tone={e.deduplicated ? "info" : "success"}>{e.deduplicated ? "deduplicated" : "counted"}</Badge>}
        {e.durationMs !== undefined && <span className="ml-auto text-xs tabular-nums text-muted-foreground">{e.durationMs} ms</span>}
      </div>
      {e.error && (
        <p className="text-muted-foreground">
          <code className="rounded bg-muted px-1 py-0.5 text-xs text-foreground">{e.error.code}</code> {e.error.message}
        </p>
      )}
      {e.waitMs !== undefined && (
        <p className="text-xs text-muted-foreground" data-testid="wait">
          Waiting <span className="tabular-nums">{e.waitMs} ms</span> (full jitter) before attempt {e.attempt + 1}, same idempotency key.
        </p>
      )}
    </div>
  );
}

const resultStyle: Record<Exclude<RunStatus, "running">, { title: string; className: string }> = {
  counted: { title: "Counted", className: "border-success/40 bg-success/10" },
  deduplicated: { title: "Deduplicated", className: "border-primary/40 bg-primary/10" },
  rejected: { title: "Rejected", className: "border-danger/40 bg-danger/10" },
  stopped: { title: "Stopped", className: "border-warning/50 bg-warning/10" },
};

function RunResult({ run }: { run: SubmissionRun }) {
  if (run.status === "running") return null;
  const style = resultStyle[run.status];
  const attempts = run.entries.length;
  const lostAck = run.entries.some((e) => e.simulated === "after-commit" && e.state === "retryable-error");
  const detail =
    run.status === "counted"
      ? `The event was counted once${attempts > 1 ? ` after ${attempts} attempts` : ""}.`
      : run.status === "deduplicated"
        ? lostAck
          ? "An earlier attempt was counted but its answer was lost; the retry was recognised by its key and not counted again."
          : "The server already had this event; it was not counted again."
        : run.status === "rejected"
          ? `${run.error?.code ?? "ERROR"}: ${run.error?.message ?? "the server refused the event"}`
          : `${run.stopReason === "left-page" ? "Retrying stopped when you left the Submit page" : "Stopped"} after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${run.error?.message ?? "no answer"}. The event may already be stored and recovered by the server; sending again is safe.`;
  return (
    <motion.div
      role="status"
      initial={{ opacity: 0, scale: 0.98 }}
      animate={{ opacity: 1, scale: 1 }}
      transition={{ duration: 0.2 }}
      data-testid="submit-result"
      data-result={run.status}
      data-stop-reason={run.stopReason}
      data-run={run.id}
      className={`rounded-lg border p-4 ${style.className}`}
    >
      <p className="text-lg font-semibold">{style.title}</p>
      <p className="mt-1 text-sm">{detail}</p>
    </motion.div>
  );
}
