// The box every console table sits in: a table wider than its card (a phone, a long source
// name) scrolls sideways inside it, so the page itself never gets wider than the screen.
// The card's grid cell must let it shrink (see Card's min-w-0). `relative`: an absolutely
// positioned cell content (a heading's sr-only text) is then placed and clipped inside the
// box; without it, it hangs off the table's far end and widens the page by the table's width.
import type { ComponentProps } from "react";
import { cn } from "@/lib/utils";

export function TableContainer({ className, ...props }: ComponentProps<"div">) {
  return <div data-slot="table-container" className={cn("relative w-full overflow-x-auto overscroll-x-contain", className)} {...props} />;
}
