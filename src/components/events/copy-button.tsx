"use client";
// A small "Copy" button for one value (an event id, a key, a payload): says "Copied" for a
// moment, or that the clipboard could not be used (a plain-http address other than localhost,
// or denied), in words that a screen reader hears too.
import { useEffect, useState } from "react";
import { Button } from "@/components/ui/button";

type CopyState = "idle" | "copied" | "failed";

/** `what` names the value for a screen reader ("event id"); `label` is the button's short word ("id"). */
export function CopyButton({ value, what, label }: { value: string; what: string; label: string }) {
  const [state, setState] = useState<CopyState>("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 2000);
    return () => clearTimeout(timer);
  }, [state]);
  const onCopy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      setState("failed");
    }
  };
  return (
    <Button variant="outline" size="sm" className="h-7 px-2" onClick={() => void onCopy()} aria-label={`Copy ${what}`} data-testid={`copy-${what.replaceAll(" ", "-")}`}>
      <span aria-live="polite">{state === "copied" ? "Copied" : state === "failed" ? "Copy failed" : `Copy ${label}`}</span>
    </Button>
  );
}
