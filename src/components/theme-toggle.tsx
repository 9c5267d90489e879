"use client";
// Cycles the theme system → light → dark. Applies it to <html> at once and remembers it
// in a cookie for the server's next render (see src/lib/theme.ts).
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { nextTheme, themeCookie, type Theme } from "@/lib/theme";

const labels: Record<Theme, { icon: string; text: string }> = {
  system: { icon: "◐", text: "System theme" },
  light: { icon: "☀", text: "Light theme" },
  dark: { icon: "☾", text: "Dark theme" },
};

export function ThemeToggle({ initial }: { initial: Theme }) {
  const [theme, setTheme] = useState<Theme>(initial);
  const toggle = () => {
    const next = nextTheme(theme);
    setTheme(next);
    const root = document.documentElement;
    root.classList.remove("system", "light", "dark");
    root.classList.add(next);
    document.cookie = `${themeCookie}=${next}; path=/; max-age=31536000; samesite=lax`;
  };
  const { icon, text } = labels[theme];
  return (
    <Button variant="ghost" size="sm" onClick={toggle} aria-label={`${text} (click to change)`} title={`${text} (click to change)`} data-theme-choice={theme}>
      <span aria-hidden className="text-base">
        {icon}
      </span>
      <span className="hidden sm:inline">{text}</span>
    </Button>
  );
}
