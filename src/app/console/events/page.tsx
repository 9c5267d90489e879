// Events: raw events as captured, live, filterable by status and source. `?source=` and
// `?status=` preselect the filters so a link can point at one client's events.
import type { Metadata } from "next";
import { EventsView } from "@/components/events/events-view";
import { rawEventStatusSchema } from "@/lib/events-schema";

export const metadata: Metadata = { title: "Events" };

export default async function EventsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const source = typeof params.source === "string" && params.source.trim() !== "" ? params.source : undefined;
  const status = rawEventStatusSchema.safeParse(params.status);
  return <EventsView initialSource={source} initialStatus={status.success ? status.data : undefined} />;
}
