/**
 * The zone page's chart: real-time (5-minute) and day-ahead (hourly) prices over
 * the last 1, 7 or 30 days, drawn by uPlot (small and fast: 8,640 points a
 * month draw in a few milliseconds). Data comes from the history API; live
 * ticks are appended by the page's realtime connection (see `appendTick`).
 */
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface PriceChartProps {
  zone: string;
  days?: 1 | 7 | 30;
}

interface Tick {
  interval_start: string;
  lmp: number;
}

const RANGES = [1, 7, 30] as const;

async function fetchSeries(zone: string, market: "RT" | "DA", from: Date, to: Date): Promise<Tick[]> {
  const url = `/api/market-data/history?zone=${zone}&market=${market}&from=${from.toISOString()}` +
    `&to=${to.toISOString()}&limit=10000`;
  const res = await fetch(url, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`history ${market}: HTTP ${res.status}`);
  return (await res.json()).items as Tick[];
}

/** RT on its own 5-minute grid; DA held for its hour on the same grid (a step line). */
export function alignSeries(rt: Tick[], da: Tick[]): uPlot.AlignedData {
  const xs = rt.map((t) => Date.parse(t.interval_start) / 1000);
  const daByHour = new Map(da.map((t) => [Math.floor(Date.parse(t.interval_start) / 3_600_000), t.lmp]));
  const daYs = xs.map((x) => daByHour.get(Math.floor(x / 3600)) ?? null);
  return [xs, rt.map((t) => t.lmp), daYs];
}

export default function PriceChart({ zone, days = 1 }: PriceChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const range = useSignal<number>(days);
  const status = useSignal<"loading" | "ready" | "error">("loading");
  const error = useSignal("");

  useEffect(() => {
    let cancelled = false;
    const to = new Date();
    const from = new Date(to.getTime() - range.value * 86_400_000);
    status.value = "loading";
    Promise.all([fetchSeries(zone, "RT", from, to), fetchSeries(zone, "DA", from, to)])
      .then(([rt, da]) => {
        if (cancelled || !box.current) return;
        const data = alignSeries(rt, da);
        plot.current?.destroy();
        plot.current = new uPlot({
          width: box.current.clientWidth || 600,
          height: 300,
          scales: { x: { time: true } },
          axes: [{}, { label: "$/MWh", size: 60 }],
          series: [
            {},
            { label: "Real-time", stroke: "#2f6fed", width: 1.5 },
            { label: "Day-ahead", stroke: "#f59e0b", width: 1.5, paths: uPlot.paths.stepped!({ align: 1 }) },
          ],
        }, data, box.current);
        status.value = "ready";
      })
      .catch((e) => {
        if (cancelled) return;
        error.value = e instanceof Error ? e.message : String(e);
        status.value = "error";
      });
    return () => {
      cancelled = true;
    };
  }, [zone, range.value]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height: 300 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
    };
  }, []);

  return (
    <div>
      <div class="mb-3 flex items-center justify-between gap-2">
        <div role="group" aria-label="Range" class="inline-flex rounded-md shadow-sm ring-1 ring-slate-300">
          {RANGES.map((d) => (
            <button
              type="button"
              key={d}
              aria-pressed={range.value === d}
              onClick={() => (range.value = d)}
              class={`px-3 py-1.5 text-sm font-medium first:rounded-l-md last:rounded-r-md ${
                range.value === d ? "bg-brand-600 text-white" : "bg-white text-slate-700 hover:bg-slate-50"
              }`}
            >
              {d === 1 ? "24 h" : `${d} days`}
            </button>
          ))}
        </div>
        <span class="text-xs text-slate-500" data-chart-status={status.value}>
          {status.value === "loading" ? "Loading…" : status.value === "error" ? `Could not load: ${error.value}` : ""}
        </span>
      </div>
      <div ref={box} class="min-h-[300px] w-full" data-testid="price-chart" />
    </div>
  );
}
