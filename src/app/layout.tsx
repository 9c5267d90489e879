// Root layout: theme class from the cookie (rendered by the server, so no flash), the top
// bar with navigation (folded behind a menu button on narrow screens), sign-out (when signed
// in) and theme toggle, and the client providers.
import type { Metadata } from "next";
import { cookies } from "next/headers";
import Link from "next/link";
import type { ReactNode } from "react";
import { Providers } from "@/components/providers";
import { SignOutButton } from "@/components/auth/sign-out-button";
import { SiteNav } from "@/components/site-nav";
import { ThemeToggle } from "@/components/theme-toggle";
import { parseTheme, themeCookie } from "@/lib/theme";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Ingest console", template: "%s · Ingest console" },
  description: "Capture every event, count each exactly once, serve aggregates that agree with the data.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const theme = parseTheme((await cookies()).get(themeCookie)?.value);
  return (
    <html lang="en" className={theme}>
      <body className="min-h-screen bg-background font-sans text-foreground antialiased">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:fixed focus:left-4 focus:top-3 focus:z-50 focus:rounded-md focus:bg-card focus:px-3 focus:py-2 focus:ring-2 focus:ring-ring"
        >
          Skip to content
        </a>
        <Providers>
          <header className="sticky top-0 z-40 border-b border-border bg-background/85 backdrop-blur">
            <div className="mx-auto flex h-14 max-w-6xl items-center gap-2 px-4 md:gap-6">
              <Link href="/console/submit" className="flex shrink-0 items-center gap-2 rounded-md font-semibold focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring">
                <span aria-hidden className="grid h-7 w-7 place-items-center rounded-md bg-primary text-primary-foreground text-sm">
                  ⇣
                </span>
                Ingest console
              </Link>
              <SiteNav />
              <div className="ml-auto flex items-center gap-2">
                <SignOutButton />
                <ThemeToggle initial={theme} />
              </div>
            </div>
          </header>
          <main id="main" className="mx-auto max-w-6xl px-4 py-8">
            {children}
          </main>
        </Providers>
      </body>
    </html>
  );
}
