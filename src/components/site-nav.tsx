"use client";
// Top navigation: Submit / Aggregates / Events / Keys / API (reference); the current page is marked with
// aria-current so screen readers announce it, and visibly.
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useState } from "react";
import { cn } from "@/lib/utils";

const links = [
  { href: "/console/submit", label: "Submit" },
  { href: "/console/aggregates", label: "Aggregates" },
  { href: "/console/events", label: "Events" },
  { href: "/console/keys", label: "Keys" },
  { href: "/console/api", label: "API" },
] as const;

export function SiteNav() {
  const pathname = usePathname();
  // Marks the page as interactive (hydrated), so browser tests wait for it instead of
  // typing into server-rendered inputs React does not yet control.
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return (
    <nav aria-label="Main" data-hydrated={hydrated ? "" : undefined}>
      <ul className="flex items-center gap-1">
        {links.map((l) => {
          const current = pathname === l.href || pathname.startsWith(`${l.href}/`);
          return (
            <li key={l.href}>
              <Link
                href={l.href}
                aria-current={current ? "page" : undefined}
                className={cn(
                  "rounded-md px-3 py-1.5 text-sm font-medium transition-colors focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
                  current ? "bg-primary/10 text-primary" : "text-muted-foreground hover:bg-muted hover:text-foreground",
                )}
              >
                {l.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
