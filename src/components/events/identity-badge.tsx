// How an event was identified, as a badge: by its explicit key, or by its content.
import { Badge } from "@/components/ui/badge";
import type { IdentifiedBy } from "@/lib/ingest-schema";

export function IdentityBadge({ identifiedBy }: { identifiedBy: IdentifiedBy }) {
  return (
    <Badge tone="neutral" data-testid="identified-by" title={identifiedBy === "key" ? "Identified by its explicit key" : "Identified by its content (no key)"}>
      by {identifiedBy}
    </Badge>
  );
}
