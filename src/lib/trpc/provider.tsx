"use client";
// React Query + tRPC for the whole console. One QueryClient per browser tab (created in
// state so a re-render never drops the cache). No transformer: the server has none, so
// dates travel as ISO strings and BigInt ids as strings.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { httpBatchLink } from "@trpc/client";
import { useState, type ReactNode } from "react";
import { trpc } from "./react";

function makeQueryClient() {
  return new QueryClient({
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
