// Colour theme choice, kept in a cookie so the server renders the right class on <html>
// (no flash of the wrong theme, no hydration mismatch, no inline script).
export const themes = ["system", "light", "dark"] as const;
export type Theme = (typeof themes)[number];
export const themeCookie = "theme";

export function parseTheme(value: string | undefined): Theme {
  return themes.find((t) => t === value) ?? "system";
}

export function nextTheme(current: Theme): Theme {
  return themes[(themes.indexOf(current) + 1) % themes.length] ?? "system";
}
