// The one way a view says its data could not be loaded at all (no earlier data to keep
// showing): what failed and the server's own message. Once data has arrived, a failed
// refresh keeps it on screen and says so in the view's live indicator instead.
import { cn } from "@/lib/utils";

export function LoadError({ what, message, className }: { what: string; message: string; className?: string }) {
  return (
    <p role="alert" data-testid="load-error" className={cn("rounded-md border border-danger/30 bg-danger/10 px-3 py-2 text-sm text-danger", className)}>
      Could not load {what}: {message}
    </p>
  );
}
