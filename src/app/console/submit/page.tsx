// Submit: send one event through the real API, with optional simulated failures, and watch
// the client retry until it is counted, deduplicated or rejected; or send a CloudEvent as an
// OpenMeter client does. `?format=cloudevents` opens the CloudEvent form.
import type { Metadata } from "next";
import { SubmitModes } from "@/components/submit/submit-modes";

export const metadata: Metadata = { title: "Submit" };

export default async function SubmitPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { format } = await searchParams;
  return (
    <div className="grid gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Submit an event</h1>
        <p className="mt-1 text-sm text-muted-foreground">
          Sent through tRPC <code>ingest</code>, the same procedure behind <code>POST /ingest</code>, or as a CloudEvent to{" "}
          <code>POST /api/v1/events</code>. Every event is captured raw first and counted exactly once, however often it is retried.
        </p>
      </div>
      <SubmitModes initialMode={format === "cloudevents" ? "cloudevent" : "ingest"} />
    </div>
  );
}
