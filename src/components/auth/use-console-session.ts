"use client";
// Whether access control is on and this browser is signed in, as the server says
// (GET /api/session). One query shared by the top bar, the sign-in page and the Keys page.
import { useQuery } from "@tanstack/react-query";
import { fetchSession } from "@/lib/console-session";

export const consoleSessionKey = ["console-session"] as const;

export function useConsoleSession() {
  return useQuery({ queryKey: consoleSessionKey, queryFn: fetchSession, staleTime: 30_000 });
}
