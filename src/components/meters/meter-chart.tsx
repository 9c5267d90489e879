// A meter's value per window, one column per window and one colour per group (subject and
// group-by values), hand-written SVG as the console's other charts. Values that add up across
// groups (SUM, COUNT) are stacked, positive ones above the zero line and negative ones below;
// the others (AVG, MIN, MAX, LATEST, UNIQUE_COUNT) stand side by side, since their sum means
// nothing. The text alternative is the aria-label (windows, total, largest window) and each
// column's <title>; the legend names the colours in text.
import { cn } from "@/lib/utils";

export interface MeterChartSeries {
  key: string;
  label: string;
}

export interface MeterChartColumn {
  /** ISO-8601 start of the window. */
  start: string;
  /** The window as the axis and the tooltip read it. */
  label: string;
  /** Value per series key; a series without data in this window is absent. */
  values: Record<string, number>;
}

interface Props {
  columns: MeterChartColumn[];
  series: MeterChartSeries[];
  stacked: boolean;
  title: string;
  formatValue: (n: number) => string;
  className?: string;
}

/** Series colours: the theme's two chart colours, then hues that read on light and dark alike. */
const palette = [
  "var(--chart-1)",
  "var(--chart-2)",
  "oklch(0.68 0.16 50)",
  "oklch(0.62 0.19 330)",
  "oklch(0.66 0.15 140)",
  "oklch(0.6 0.2 25)",
  "oklch(0.7 0.12 215)",
  "oklch(0.58 0.15 295)",
  "oklch(0.74 0.14 95)",
  "oklch(0.55 0.04 250)",
];
export const seriesColor = (i: number) => palette[i % palette.length] ?? "var(--chart-1)";

const width = 640;
const height = 220;
const pad = { top: 12, right: 8, bottom: 26, left: 56 };

export function MeterChart({ columns, series, stacked, title, formatValue, className }: Props) {
  const extent = columns.map((c) => {
    const vs = series.map((s) => c.values[s.key]).filter((v): v is number => v !== undefined);
    if (stacked) {
      return { lo: vs.filter((v) => v < 0).reduce((a, v) => a + v, 0), hi: vs.filter((v) => v > 0).reduce((a, v) => a + v, 0) };
    }
    return { lo: Math.min(0, ...vs), hi: Math.max(0, ...vs) };
  });
  const ticks = niceTicks(Math.min(0, ...extent.map((e) => e.lo)), Math.max(0, ...extent.map((e) => e.hi)));
  const bottom = ticks[0] ?? 0;
  const top = ticks[ticks.length - 1] ?? 1;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const slot = plotW / Math.max(columns.length, 1);
  const y = (v: number) => pad.top + plotH - ((v - bottom) / (top - bottom || 1)) * plotH;
  const totals = columns.map((c) => Object.values(c.values).reduce((a, v) => a + v, 0));
  const withData = columns.filter((c) => Object.keys(c.values).length > 0).length;
  const labelEvery = Math.ceil(columns.length / 6);
  const largest = stacked
    ? columns.reduce<number | undefined>(
        (best, _c, i) => (best === undefined || (totals[i] ?? 0) > (totals[best] ?? 0) ? i : best),
        undefined,
      )
    : undefined;
  const summary =
    `${title}. ${columns.length} window${columns.length === 1 ? "" : "s"}, ${withData} with data` +
    (stacked && largest !== undefined && withData > 0
      ? `; largest ${formatValue(totals[largest] ?? 0)} in ${columns[largest]?.label}`
      : "") +
    ".";

  return (
    <div className={cn("grid gap-3", className)}>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={summary}
        className="h-auto w-full"
        data-testid="meter-chart-svg"
        data-columns={columns.length}
      >
        {ticks.map((t) => (
          <g key={t}>
            <line x1={pad.left} x2={width - pad.right} y1={y(t)} y2={y(t)} className="stroke-chart-grid" strokeWidth={t === 0 ? 1.5 : 1} />
            <text
              x={pad.left - 6}
              y={y(t)}
              dominantBaseline="middle"
              textAnchor="end"
              className="fill-muted-foreground text-[11px] tabular-nums"
            >
              {formatValue(t)}
            </text>
          </g>
        ))}
        {columns.map((c, i) => {
          const x = pad.left + i * slot;
          const present = series
            .map((s, si) => ({ s, si, v: c.values[s.key] }))
            .filter((p): p is { s: MeterChartSeries; si: number; v: number } => p.v !== undefined);
          const tooltip =
            [c.label, ...present.map((p) => `${p.s.label}: ${formatValue(p.v)}`)].join("\n") + (present.length === 0 ? "\nno data" : "");
          let up = 0;
          let down = 0;
          const barW = stacked ? Math.max(slot * 0.7, 1) : Math.max((slot * 0.8) / Math.max(series.length, 1), 1);
          return (
            <g key={c.start} data-testid="meter-chart-column" data-start={c.start} data-total={totals[i]}>
              <title>{tooltip}</title>
              <rect x={x} y={pad.top} width={slot} height={plotH} fill="transparent" />
              {present.map(({ s, si, v }) => {
                let y0: number;
                let y1: number;
                let bx: number;
                if (stacked) {
                  const from = v >= 0 ? up : down;
                  const to = from + v;
                  if (v >= 0) up = to;
                  else down = to;
                  y0 = y(Math.max(from, to));
                  y1 = y(Math.min(from, to));
                  bx = x + slot * 0.15;
                } else {
                  y0 = y(Math.max(0, v));
                  y1 = y(Math.min(0, v));
                  bx = x + slot * 0.1 + si * barW;
                }
                return (
                  <rect
                    key={s.key}
                    x={bx}
                    y={y0}
                    width={barW}
                    height={Math.max(y1 - y0, v === 0 ? 0 : 1)}
                    style={{ fill: seriesColor(si) }}
                    data-series={s.label}
                    data-value={v}
                  />
                );
              })}
              {i % labelEvery === 0 && (
                <text x={x + slot / 2} y={height - 8} textAnchor="middle" className="fill-muted-foreground text-[11px] tabular-nums">
                  {c.label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      {series.length > 1 && (
        <ul className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-muted-foreground" aria-label="Legend">
          {series.map((s, i) => (
            <li key={s.key} className="flex items-center gap-1.5">
              <span aria-hidden className="inline-block h-2.5 w-2.5 rounded-sm" style={{ background: seriesColor(i) }} />
              {s.label}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Round steps (1, 2 or 5 × 10ⁿ) from at or below `lo` to at or above `hi`, 0 included; about five lines. */
export function niceTicks(lo: number, hi: number): number[] {
  if (hi - lo <= 0) return [0, 1];
  const rough = (hi - lo) / 4;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= rough) ?? rough;
  const first = Math.floor(lo / step);
  const last = Math.ceil(hi / step);
  const ticks: number[] = [];
  // Multiplying (not adding) keeps 0.1 + 0.2 from drawing a line at 0.30000000000000004.
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}
