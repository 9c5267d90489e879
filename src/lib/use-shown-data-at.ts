"use client";
// When the data on screen was answered. A query shown with the previous query's answer as a
// placeholder (a new search, page or filter still loading) has no answer of its own yet
// (dataUpdatedAt 0); what the page shows, and what a failed refresh must say it keeps showing,
// is that previous answer, from its own time.
import { useState } from "react";

export function useShownDataAt(result: { dataUpdatedAt: number; isPlaceholderData: boolean }): number {
  const [lastAnswerAt, setLastAnswerAt] = useState(0);
  if (!result.isPlaceholderData && result.dataUpdatedAt > 0 && result.dataUpdatedAt !== lastAnswerAt) setLastAnswerAt(result.dataUpdatedAt);
  return result.isPlaceholderData ? lastAnswerAt : result.dataUpdatedAt;
}
