// Meters: OpenMeter-compatible meters over the CloudEvents received; `?meter=` (a slug or an
// id) preselects the meter whose values are shown.
import type { Metadata } from "next";
import { MetersView } from "@/components/meters/meters-view";

export const metadata: Metadata = { title: "Meters" };

export default async function MetersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { meter } = await searchParams;
  return <MetersView initialMeter={typeof meter === "string" && meter.trim() !== "" ? meter.trim() : undefined} />;
}
