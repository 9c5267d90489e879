// Placeholders for content still loading: muted blocks where the content will be, never a
// made-up value (a 0 or "No data yet" before the first answer reads as an empty database).
// The blocks are hidden from screen readers; the region around them says what is loading.
import type { ComponentProps, ReactNode } from "react";
import { cn } from "@/lib/utils";

/** One muted block; size it with classes (h-4 w-24, …). Pulses unless reduced motion is asked for. */
export function Skeleton({ className, ...props }: ComponentProps<"span">) {
  return <span aria-hidden data-slot="skeleton" className={cn("block animate-pulse rounded-md bg-muted motion-reduce:animate-none", className)} {...props} />;
}

/**
 * A region still loading `what`: announced once as "Loading <what>…" (role="status"), shown as
 * `rows` skeleton lines (or the children given).
 */
export function LoadingBlock({ what, rows = 4, className, children }: { what: string; rows?: number; className?: string; children?: ReactNode }) {
  return (
    <div role="status" aria-busy="true" data-testid="loading" data-loading={what} className={cn("grid gap-2", className)}>
      <span className="sr-only">Loading {what}…</span>
      {children ?? Array.from({ length: rows }, (_, i) => <Skeleton key={i} className="h-8 w-full" />)}
    </div>
  );
}
