// The box every console table sits in: a table wider than its card (a phone, a long source
// name) scrolls sideways inside it, so the page itself never gets wider than the screen.
// The card's grid cell must let it shrink (see Card's min-w-0).
import type { ComponentProps } from "react";
import { cn } from "@/lib/utils";

export function TableContainer({ className, ...props }: ComponentProps<"div">) {
  return <div data-slot="table-container" className={cn("w-full overflow-x-auto overscroll-x-contain", className)} {...props} />;
}
