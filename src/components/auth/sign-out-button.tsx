"use client";
// "Sign out" in the top bar, shown only while access control is on and this browser is
// signed in. Signing out clears the session cookie (DELETE /api/session) and loads the
// sign-in page afresh, so nothing fetched while signed in stays in memory.
import { onlineManager, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { signInPath, signOut } from "@/lib/console-session";
import { useConsoleSession } from "./use-console-session";

export function SignOutButton() {
  const session = useConsoleSession();
  const queryClient = useQueryClient();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!session.data?.authRequired || !session.data.signedIn) return null;

  const onClick = async () => {
    setPending(true);
    setError(null);
    // The live views poll every second: once the cookie is gone a poll would be refused
    // (401), so React Query is told it is offline (which pauses every query) until the
    // browser has left the page.
    onlineManager.setOnline(false);
    await queryClient.cancelQueries();
    const result = await signOut();
    if (result.ok) {
      window.location.assign(signInPath);
      return;
    }
    onlineManager.setOnline(true);
    setPending(false);
    setError(result.message);
  };

  return (
    <div className="flex items-center gap-2">
      {error && (
        <span role="alert" className="text-xs text-danger">
          Sign-out failed: {error}
        </span>
      )}
      <Button variant="outline" size="sm" onClick={() => void onClick()} disabled={pending}>
        {pending ? "Signing out…" : "Sign out"}
      </Button>
    </div>
  );
}
