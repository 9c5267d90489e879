// A raw event's status as a badge; the word is always shown, colour only reinforces it.
import { Badge, type BadgeTone } from "@/components/ui/badge";
import type { RawEventStatus } from "@/lib/events-schema";

export const statusTone: Record<RawEventStatus, BadgeTone> = {
  received: "warning",
  counted: "success",
  deduplicated: "info",
  rejected: "danger",
  failed: "danger",
  not_counted: "neutral",
};

export function StatusBadge({ status }: { status: RawEventStatus }) {
  return (
    <Badge tone={statusTone[status]} data-testid="status">
      {status}
    </Badge>
  );
}
