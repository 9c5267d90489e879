// Submit: send one event through the real API, with optional simulated failures, and watch
// the client retry until it is counted, deduplicated or rejected.
import type { Metadata } from "next";
import { SubmitPanel } from "@/components/submit/submit-panel";

export const metadata: Metadata = { title: "Submit" };

export default function SubmitPage() {
  return (
    <div className="grid gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Submit an event</h1>
        <p className="mt-1 text-sm text-muted-foreground">
          Sent through tRPC <code>ingest</code>, the same procedure behind <code>POST /ingest</code>. Every event is captured raw first and counted exactly
          once, however often it is retried.
        </p>
      </div>
      <SubmitPanel />
    </div>
  );
}
