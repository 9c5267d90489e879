"use client";
// A key just created, shown this once: the server keeps only its hash, so this is the only
// time its text exists outside the client that will use it. A read-only field (focused, so
// a screen reader reads the note and the key) with a Copy button; "Done" forgets it.
import { useEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import type { CreatedKeyView } from "@/lib/keys-schema";

type CopyState = "idle" | "copied" | "failed";

export function NewKeyNotice({ created, onDone }: { created: CreatedKeyView; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copy, setCopy] = useState<CopyState>("idle");
  useEffect(() => {
    field.current?.focus();
    field.current?.select();
  }, []);
  const { info, key } = created;

  const onCopy = async () => {
    try {
      await navigator.clipboard.writeText(key);
      setCopy("copied");
    } catch {
      // No clipboard access (a plain-http address other than localhost, or denied): the text
      // is selected instead, for Ctrl+C.
      field.current?.focus();
      field.current?.select();
      setCopy("failed");
    }
  };

  return (
    <div className="grid gap-4" data-testid="new-key">
      <div className="grid gap-1">
        <h3 className="text-base font-semibold">
          New {info.scope} key {info.source ? <>for source “{info.source}”</> : "for every source"}
        </h3>
        <p id="new-key-note" className="rounded-md border border-warning/40 bg-warning/10 px-3 py-2 text-sm">
          <strong>Shown once: copy it now.</strong> Only its hash is stored, so it cannot be shown again; if it is lost, revoke it and
          create another.
        </p>
      </div>
      <div className="flex gap-2">
        <Input
          ref={field}
          readOnly
          value={key}
          aria-label="New key"
          aria-describedby="new-key-note new-key-usage"
          onFocus={(e) => e.currentTarget.select()}
          className="font-mono text-xs"
          spellCheck={false}
        />
        <Button variant="secondary" onClick={() => void onCopy()}>
          Copy
        </Button>
      </div>
      <p className="min-h-4 text-xs" aria-live="polite" data-testid="copy-status">
        {copy === "copied"
          ? "Copied to the clipboard."
          : copy === "failed"
            ? "Could not use the clipboard: the key is selected, press Ctrl+C (⌘C)."
            : ""}
      </p>
      <p id="new-key-usage" className="text-xs text-muted-foreground">
        Clients send it as <code>Authorization: Bearer {info.prefix}…</code>
        {info.scope === "write" ? "; the events are stored under its source." : "."}
      </p>
      <Button variant="outline" className="justify-self-start" onClick={onDone}>
        Done, I have copied it
      </Button>
    </div>
  );
}
