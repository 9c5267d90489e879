"use client";
// The Aggregates page's time range: all time, today, the last 24 hours, 7 or 30 days, as
// toggle buttons (one pressed), and a line saying exactly which hours are counted: the API
// counts whole UTC hours, so a reader whose zone is not a whole number of hours from UTC is
// told that days start before midnight (src/lib/time-range.ts).
import { formatDayAndTime } from "@/lib/format";
import { timeRangeLabels, timeRanges, type RangeWindow, type TimeRange } from "@/lib/time-range";
import { cn } from "@/lib/utils";

const startsAt: Record<Exclude<TimeRange, "all">, string> = {
  today: "your midnight",
  "24h": "the start of the hour 24 hours ago",
  "7d": "your midnight 6 days ago",
  "30d": "your midnight 29 days ago",
};

export function RangePicker({ range, onChange, windows }: { range: TimeRange; onChange: (r: TimeRange) => void; windows: RangeWindow | null }) {
  return (
    <div className="grid gap-2">
      <div role="group" aria-label="Time range" className="inline-flex w-fit flex-wrap gap-1 rounded-lg bg-muted p-1">
        {timeRanges.map((r) => (
          <button
            key={r}
            type="button"
            aria-pressed={range === r}
            onClick={() => onChange(r)}
            className={cn(
              "rounded-md px-3 py-1 text-sm font-medium text-muted-foreground transition-colors hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
              range === r && "bg-card text-foreground shadow-sm",
            )}
          >
            {timeRangeLabels[r]}
          </button>
        ))}
      </div>
      <p className="text-xs text-muted-foreground" data-testid="range-hint" aria-live="polite">
        {windows && <RangeHint range={range} windows={windows} />}
      </p>
    </div>
  );
}

function RangeHint({ range, windows }: { range: TimeRange; windows: RangeWindow }) {
  if (range === "all" || !windows.window) return <>Every event ever counted. The chart shows the last 30 days.</>;
  const early = range !== "24h" && windows.earlyMinutes > 0;
  return (
    <>
      Events whose own time is from {formatDayAndTime(windows.window.from)} ({early ? `${windows.earlyMinutes} minutes before ${startsAt[range]}` : startsAt[range]}) until now.
      {early &&
        ` Your time zone is not a whole number of hours from UTC, and the counts are kept per UTC hour: a day here starts at the whole hour before your midnight, so it includes the ${windows.earlyMinutes} minutes before it.`}
    </>
  );
}
