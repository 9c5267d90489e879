"use client";
// "Live" badge for polling views: says when the data was last refreshed and whether the
// last refresh failed (a database outage must be visible, not a silently stale page).
import { Badge } from "@/components/ui/badge";

export function LiveIndicator({ fetching, error, updatedAt }: { fetching: boolean; error?: string; updatedAt: number }) {
  if (error) {
    return (
      <Badge tone="danger" role="status">
        Refresh failed: {error}
      </Badge>
    );
  }
  return (
    <Badge tone="success" aria-label="Live: refreshes every second">
      <span aria-hidden className={`h-1.5 w-1.5 rounded-full bg-success ${fetching ? "opacity-100" : "opacity-60"}`} />
      Live
      {updatedAt > 0 && (
        <span className="sr-only">
          , updated {new Date(updatedAt).toLocaleTimeString()}
        </span>
      )}
    </Badge>
  );
}
