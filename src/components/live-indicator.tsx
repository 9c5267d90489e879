"use client";
// "Live" badge for polling views. Honest about each state: "Loading…" until the first answer
// (never "Live" over an empty page), "Live" while refreshes succeed, and when a refresh
// fails, the error and the time of the data still shown (a database outage must be visible,
// not a silently stale page; the last data stays on screen).
import { Badge } from "@/components/ui/badge";

export function LiveIndicator({ fetching, error, updatedAt }: { fetching: boolean; error?: string; updatedAt: number }) {
  if (error) {
    return (
      <Badge tone="danger" role="status" className="whitespace-normal" data-testid="live-indicator" data-state="error">
        {updatedAt > 0 ? `Refresh failed: ${error} — showing data from ${new Date(updatedAt).toLocaleTimeString()}` : `Could not load: ${error}`}
      </Badge>
    );
  }
  if (updatedAt === 0) {
    return (
      <Badge tone="neutral" role="status" data-testid="live-indicator" data-state="loading">
        Loading…
      </Badge>
    );
  }
  return (
    <Badge tone="success" aria-label="Live: refreshes every second" data-testid="live-indicator" data-state="live">
      <span aria-hidden className={`h-1.5 w-1.5 rounded-full bg-success ${fetching ? "opacity-100" : "opacity-60"}`} />
      Live
      <span className="sr-only">, updated {new Date(updatedAt).toLocaleTimeString()}</span>
    </Badge>
  );
}
