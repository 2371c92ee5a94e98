/**
 * A line chart of one analytics panel (uPlot, loaded with the first draw, never on the server) with its CSV
 * export. Series arrive aggregated by the server, a few thousand points at most; `markers` draws points only
 * (the spikes on the price chart).
 */
import { useEffect, useRef } from "preact/hooks";
import type uPlot from "uplot";
import { CsvButton } from "../components/CsvButton.tsx";
import type { PanelCsv } from "../components/csv_download.ts";

export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
  /** Points only, no line. */
  markers?: boolean;
}

export interface AnalyticsChartProps {
  panel: string;
  /** Seconds since the epoch (time axis) or plain numbers. */
  xs: number[];
  time: boolean;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  csv: PanelCsv;
  /** IANA zone of the time axis' ticks (the zone's market clock). */
  timeZone?: string;
}

export default function AnalyticsChart(p: AnalyticsChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let plot: uPlot | null = null;
    let cancelled = false;
    let observer: ResizeObserver | null = null;
    import("uplot").then(({ default: UPlot }) => {
      if (cancelled || !box.current) return;
      const el = box.current;
      plot = new UPlot(
        {
          width: el.clientWidth || 320,
          height: 240,
          scales: { x: { time: p.time } },
          tzDate: p.timeZone ? (ts) => UPlot.tzDate(new Date(ts * 1000), p.timeZone!) : undefined,
          axes: [{ label: p.time ? undefined : p.xLabel, size: 40 }, { label: p.yLabel, size: 60 }],
          series: [
            { label: p.xLabel },
            ...p.series.map((s): uPlot.Series => ({
              label: s.label,
              stroke: s.color,
              width: s.markers ? 0 : 1.5,
              paths: s.markers ? () => null : undefined,
              points: s.markers ? { show: true, size: 8, fill: s.color, stroke: s.color } : { show: false },
            })),
          ],
        },
        [p.xs, ...p.series.map((s) => s.values)] as uPlot.AlignedData,
        el,
      );
      el.dataset.drawn = "true";
      observer = new ResizeObserver(() => plot?.setSize({ width: el.clientWidth || 320, height: 240 }));
      observer.observe(el);
    }).catch((e) => {
      if (box.current) box.current.textContent = `The chart could not be drawn: ${e instanceof Error ? e.message : e}`;
    });
    return () => {
      cancelled = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [p.xs, p.series]);
  return (
    <div data-chart={p.panel} class="space-y-2">
      <div class="flex justify-end">
        <CsvButton csv={p.csv} />
      </div>
      {p.xs.length
        ? <div ref={box} class="min-h-[240px] w-full overflow-hidden" />
        : <p class="text-sm text-slate-500">No data in this range.</p>}
    </div>
  );
}
