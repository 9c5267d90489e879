"use client";
// React Query + tRPC for the whole console. One QueryClient per browser tab (created in
// state so a re-render never drops the cache). No transformer: the server has none, so
// dates travel as ISO strings and BigInt ids as strings. A call refused 401 sends the
// browser to sign in again.
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { httpBatchLink } from "@trpc/client";
import { useState, type ReactNode } from "react";
import { signInUrl } from "../console-session";
import { toIngestClientError } from "../ingest-client-error";
import { trpc } from "./react";

/**
 * A call refused for want of credentials means the operator's session ended while the page
 * was open (12 hours passed, ADMIN_TOKEN changed, signed out in another tab): go and sign in,
 * and come back here afterwards.
 */
function signInAgainIfSessionEnded(error: unknown) {
  if (leavingToSignIn || toIngestClientError(error).code !== "UNAUTHENTICATED") return;
  // Several polls are refused at once when a session ends: navigate once, or each later
  // call would abort the navigation the first one started.
  leavingToSignIn = true;
  window.location.assign(signInUrl(`${window.location.pathname}${window.location.search}`));
}
let leavingToSignIn = false;

function makeQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache({ onError: signInAgainIfSessionEnded }),
    mutationCache: new MutationCache({ onError: signInAgainIfSessionEnded }),
    defaultOptions: {
      // Live views poll on their own; a stale second is fine and avoids refetch storms.
      queries: { staleTime: 500, retry: 1, refetchOnWindowFocus: true },
      // Ingest retries are the console's own, visible, backoff loop (src/lib/retry.ts).
      mutations: { retry: false },
    },
  });
}

export function TrpcProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [client] = useState(() => trpc.createClient({ links: [httpBatchLink({ url: "/api/trpc" })] }));
  return (
    <trpc.Provider client={client} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </trpc.Provider>
  );
}
