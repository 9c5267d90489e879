"use client";
// Top navigation: Submit / Aggregates / Meters / Events / Keys / API (reference); the current page is marked with
// aria-current so screen readers announce it, and visibly. Below the `lg` breakpoint the links do not fit beside
// the title and the header's buttons (six links and Sign out take about 900 px): they fold behind a "Menu" button
// (aria-expanded), and open as a panel under the top bar; following a link, Escape or a click elsewhere folds them again.
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useId, useRef, useState } from "react";
import { cn } from "@/lib/utils";

const links = [
  { href: "/console/submit", label: "Submit" },
  { href: "/console/aggregates", label: "Aggregates" },
  { href: "/console/meters", label: "Meters" },
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
  const [open, setOpen] = useState(false);
  const [openedOn, setOpenedOn] = useState(pathname);
  const nav = useRef<HTMLElement>(null);
  const listId = useId();

  // A new page folds the menu (adjusting state during render, as React advises, not in an effect).
  if (openedOn !== pathname) {
    setOpenedOn(pathname);
    setOpen(false);
  }

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") setOpen(false);
    };
    const onPointer = (e: PointerEvent) => {
      if (!nav.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onPointer);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onPointer);
    };
  }, [open]);

  return (
    <nav ref={nav} aria-label="Main" data-hydrated={hydrated ? "" : undefined} className="max-lg:order-last">
      <button
        type="button"
        className="grid h-9 w-9 place-items-center rounded-md text-lg hover:bg-muted focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring lg:hidden"
        aria-expanded={open}
        aria-controls={listId}
        aria-label="Menu"
        onClick={() => setOpen((o) => !o)}
      >
        <span aria-hidden>{open ? "✕" : "☰"}</span>
      </button>
      <ul
        id={listId}
        className={cn(
          "items-center gap-1 lg:flex",
          open
            ? "absolute inset-x-0 top-full grid gap-1 border-b border-border bg-background px-4 py-3 shadow-sm lg:static lg:border-0 lg:bg-transparent lg:p-0 lg:shadow-none"
            : "hidden",
        )}
      >
        {links.map((l) => {
          const current = pathname === l.href || pathname.startsWith(`${l.href}/`);
          return (
            <li key={l.href}>
              <Link
                href={l.href}
                aria-current={current ? "page" : undefined}
                onClick={() => setOpen(false)}
                className={cn(
                  "block rounded-md px-3 py-2 text-sm font-medium transition-colors focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring lg:py-1.5",
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
