"use client";
// The Submit page's two ways to send: this service's own event (tRPC `ingest`, the procedure
// behind POST /ingest, with visible retries and simulated failures), or a CloudEvent as
// OpenMeter's clients send it (POST /api/v1/events). Both panels stay mounted while the other is
// shown, so switching keeps what each holds, and a submission still retrying goes on.
import { useState } from "react";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { CloudEventPanel } from "./cloudevent-panel";
import { SubmitPanel } from "./submit-panel";

export type SubmitMode = "ingest" | "cloudevent";

export function SubmitModes({ initialMode = "ingest" }: { initialMode?: SubmitMode }) {
  const [mode, setMode] = useState<SubmitMode>(initialMode);
  return (
    <Tabs value={mode} onValueChange={(m) => setMode(m === "cloudevent" ? "cloudevent" : "ingest")}>
      <TabsList aria-label="Event format">
        <TabsTrigger value="ingest">Event (POST /ingest)</TabsTrigger>
        <TabsTrigger value="cloudevent">CloudEvent (OpenMeter)</TabsTrigger>
      </TabsList>
      <TabsContent value="ingest" forceMount className="data-[state=inactive]:hidden">
        <SubmitPanel />
      </TabsContent>
      <TabsContent value="cloudevent" forceMount className="data-[state=inactive]:hidden">
        <CloudEventPanel />
      </TabsContent>
    </Tabs>
  );
}
