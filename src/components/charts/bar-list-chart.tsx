// Horizontal bars, one per labelled value: easier to compare at a glance than a column of
// numbers. Hand-written SVG (no chart dependency); scales from the data's own range with
// zero always on the axis, so negative sums read correctly. The text alternative is the
// list of label/value pairs in aria-label, and each bar has a <title> tooltip.
import { cn } from "@/lib/utils";

export interface BarDatum {
  label: string;
  value: number;
}

interface Props {
  data: BarDatum[];
  title: string;
  format?: (n: number) => string;
  className?: string;
}

const rowHeight = 24;
// Room for about 24 characters at 12px; longer labels are cut with an ellipsis (full
// text in the tooltip and the aria-label).
const labelWidth = 180;
const maxLabelChars = 24;
const valueWidth = 70;
const width = 540;

export function BarListChart({ data, title, format = String, className }: Props) {
  if (data.length === 0) return <p className="text-sm text-muted-foreground">No data yet.</p>;
  const lo = Math.min(0, ...data.map((d) => d.value));
  const hi = Math.max(0, ...data.map((d) => d.value));
  const span = hi - lo || 1;
  const plot = width - labelWidth - valueWidth;
  const x = (v: number) => labelWidth + ((v - lo) / span) * plot;
  const height = data.length * rowHeight + 4;
  const summary = data.map((d) => `${d.label}: ${format(d.value)}`).join("; ");
  return (
    <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title}. ${summary}`} className={cn("h-auto w-full", className)}>
      <line x1={x(0)} x2={x(0)} y1={0} y2={height} className="stroke-chart-grid" strokeWidth={1} />
      {data.map((d, i) => {
        const y = i * rowHeight + 4;
        const x0 = Math.min(x(0), x(d.value));
        const w = Math.max(Math.abs(x(d.value) - x(0)), d.value === 0 ? 0 : 2);
        return (
          <g key={d.label} data-bar={d.label}>
            <title>{`${d.label}: ${format(d.value)}`}</title>
            <text x={labelWidth - 8} y={y + rowHeight / 2} dominantBaseline="middle" textAnchor="end" className="fill-muted-foreground text-[12px]">
              {truncate(d.label, maxLabelChars)}
            </text>
            <rect x={x0} y={y + 3} width={w} height={rowHeight - 10} rx={3} className={d.value < 0 ? "fill-chart-2" : "fill-chart-1"} />
            <text x={width - valueWidth + 8} y={y + rowHeight / 2} dominantBaseline="middle" className="fill-foreground text-[12px] tabular-nums">
              {format(d.value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
