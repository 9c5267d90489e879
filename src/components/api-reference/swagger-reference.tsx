"use client";
// Swagger UI (swagger-ui-dist: its prebuilt bundle, served by this app with the console's
// own scripts, so it runs under the pages' nonce-based CSP and fetches nothing from
// elsewhere) rendering GET /openapi.json from this origin. It is loaded only when this page
// is opened, so the other console pages do not carry it. It follows the console's theme:
// Swagger UI ships a dark theme of its own, under `html.dark-mode`, which this page switches
// on while the console is dark (swagger-theme.css fits both themes to the console's card and
// to a phone's width).
import { useEffect, useRef, useState } from "react";
import "swagger-ui-dist/swagger-ui.css";
import "./swagger-theme.css";

type State = "loading" | "ready" | "failed";

/** The class Swagger UI's stylesheet keys its dark theme on (on <html>). */
const swaggerDarkClass = "dark-mode";

/**
 * Keeps Swagger UI's dark theme on exactly while the console is dark. Which theme applies is
 * the stylesheet's rule (globals.css: the theme class on <html>, and for "system" the
 * operating system's preference), read back as `--scheme`; it changes when the theme toggle
 * changes that class or when the operating system's preference changes.
 */
function useSwaggerDarkMode(): void {
  useEffect(() => {
    const root = document.documentElement;
    const prefersDark = window.matchMedia("(prefers-color-scheme: dark)");
    const apply = () => root.classList.toggle(swaggerDarkClass, getComputedStyle(root).getPropertyValue("--scheme").trim() === "dark");
    apply();
    // Toggling the class to the state it has is no mutation, so this observer does not feed itself.
    const observer = new MutationObserver(apply);
    observer.observe(root, { attributes: true, attributeFilter: ["class"] });
    prefersDark.addEventListener("change", apply);
    return () => {
      observer.disconnect();
      prefersDark.removeEventListener("change", apply);
      root.classList.remove(swaggerDarkClass);
    };
  }, []);
}

export function SwaggerReference({ specUrl }: { specUrl: string }) {
  const container = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<State>("loading");
  useSwaggerDarkMode();

  useEffect(() => {
    let cancelled = false;
    import("swagger-ui-dist/swagger-ui-es-bundle.js").then(
      ({ default: SwaggerUIBundle }) => {
        const node = container.current;
        if (cancelled || !node) return;
        SwaggerUIBundle({
          url: specUrl,
          domNode: node,
          deepLinking: true,
          docExpansion: "list",
          defaultModelsExpandDepth: 0,
          displayRequestDuration: true,
          onComplete: () => {
            if (!cancelled) setState("ready");
          },
        });
      },
      () => {
        if (!cancelled) setState("failed");
      },
    );
    return () => {
      cancelled = true;
    };
  }, [specUrl]);

  return (
    <div data-testid="api-reference" data-state={state}>
      {state === "loading" && <p className="p-5 text-sm text-muted-foreground">Loading the API reference…</p>}
      {state === "failed" && (
        <p role="alert" className="p-5 text-sm text-danger">
          The API reference could not be loaded; the document itself is at <a href={specUrl}>{specUrl}</a>.
        </p>
      )}
      <div ref={container} className="console-swagger rounded-xl bg-card text-card-foreground" data-testid="swagger-container" />
    </div>
  );
}
