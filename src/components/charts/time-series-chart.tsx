// Columns over time (events per bucket), hand-written SVG. Shows the shape of traffic: a
// burst of retries, a quiet outage, the recovery worker catching up. The aria-label gives
// the totals and the peak; each column has a <title> with its bucket and count.
import { cn } from "@/lib/utils";

export interface SeriesPoint {
  start: string;
  count: number;
}

interface Props {
  points: SeriesPoint[];
  title: string;
  /** Formats a bucket start for axis labels and tooltips. */
  formatTime: (iso: string) => string;
  className?: string;
}

const width = 560;
const height = 190;
const pad = { top: 12, right: 8, bottom: 26, left: 36 };

export function TimeSeriesChart({ points, title, formatTime, className }: Props) {
  const max = Math.max(1, ...points.map((p) => p.count));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] ?? max;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const slot = plotW / Math.max(points.length, 1);
  const y = (v: number) => pad.top + plotH - (v / top) * plotH;
  const total = points.reduce((s, p) => s + p.count, 0);
  const peak = points.reduce<SeriesPoint | undefined>((best, p) => (!best || p.count > best.count ? p : best), undefined);
  const label = `${title}. ${total} events in the window${peak && peak.count > 0 ? `, peak ${peak.count} at ${formatTime(peak.start)}` : ""}.`;
  const labelEvery = Math.ceil(points.length / 6);
  return (
    <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} className={cn("h-auto w-full", className)} data-total={total}>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={pad.left} x2={width - pad.right} y1={y(t)} y2={y(t)} className="stroke-chart-grid" strokeWidth={1} />
          <text x={pad.left - 6} y={y(t)} dominantBaseline="middle" textAnchor="end" className="fill-muted-foreground text-[11px] tabular-nums">
            {t}
          </text>
        </g>
      ))}
      {points.map((p, i) => {
        const h = (p.count / top) * plotH;
        const x = pad.left + i * slot;
        return (
          <g key={p.start} data-start={p.start} data-count={p.count}>
            <title>{`${formatTime(p.start)}: ${p.count} event${p.count === 1 ? "" : "s"}`}</title>
            {/* A full-height invisible hit area makes small columns easy to hover. */}
            <rect x={x} y={pad.top} width={slot} height={plotH} fill="transparent" />
            {p.count > 0 && <rect x={x + slot * 0.15} y={y(p.count)} width={Math.max(slot * 0.7, 1)} height={h} rx={2} className="fill-chart-1" />}
            {i % labelEvery === 0 && (
              <text x={x + slot / 2} y={height - 8} textAnchor="middle" className="fill-muted-foreground text-[11px] tabular-nums">
                {formatTime(p.start)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

/** 0 and up to four round steps covering `max`. */
function niceTicks(max: number): number[] {
  const rough = max / 4;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= rough) ?? rough;
  const intStep = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  for (let t = 0; t <= max + intStep - 1 && ticks.length < 6; t += intStep) ticks.push(t);
  if ((ticks[ticks.length - 1] ?? 0) < max) ticks.push(ticks.length * intStep);
  return ticks;
}
