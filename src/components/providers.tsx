"use client";
// Client-side context for every page: tRPC + React Query, and motion settings that honour
// the operating system's "reduce motion" preference (animations become instant).
import { MotionConfig } from "motion/react";
import type { ReactNode } from "react";
import { TrpcProvider } from "@/lib/trpc/provider";

export function Providers({ children }: { children: ReactNode }) {
  return (
    <TrpcProvider>
      <MotionConfig reducedMotion="user">{children}</MotionConfig>
    </TrpcProvider>
  );
}
