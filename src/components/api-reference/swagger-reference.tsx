"use client";
// Swagger UI (swagger-ui-dist: its prebuilt bundle, served by this app with the console's
// own scripts, so it runs under the pages' nonce-based CSP and fetches nothing from
// elsewhere) rendering GET /openapi.json from this origin. It is loaded only when this page
// is opened, so the other console pages do not carry it.
import { useEffect, useRef, useState } from "react";
import "swagger-ui-dist/swagger-ui.css";

type State = "loading" | "ready" | "failed";

export function SwaggerReference({ specUrl }: { specUrl: string }) {
  const container = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<State>("loading");

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
      {/* Swagger UI draws its own light theme: it keeps a white ground in dark mode too. */}
      <div ref={container} className="rounded-xl bg-white text-black" />
    </div>
  );
}
