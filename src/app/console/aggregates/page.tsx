// Aggregates: the live rollup per client and metric, with charts.
import type { Metadata } from "next";
import { AggregatesView } from "@/components/aggregates/aggregates-view";

export const metadata: Metadata = { title: "Aggregates" };

export default function AggregatesPage() {
  return <AggregatesView />;
}
