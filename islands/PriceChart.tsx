/**
 * The zone page's chart: real-time (5-minute) and day-ahead (hourly) prices over
 * the last 1, 7 or 30 days, drawn by uPlot (small and fast: 8,640 points a
 * month draw in a few milliseconds). Data comes from the history API; live
 * ticks are appended by the page's realtime connection (see `appendTick`).
 */
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
// Types only: the library loads with the first data (its own chunk), never on the server.
import type uPlot from "uplot";
import { AlertToasts, LiveBadge, ReconnectBanner } from "../components/LiveStatus.tsx";
import type { PriceTick } from "../services/market/types.ts";
import { connectRealtime, type RealtimeClient } from "../services/realtime/client.ts";
import { apiFetch, checkSession, failureText } from "../components/api_client.ts";
import { mountSessionPrompt } from "../components/SessionPrompt.tsx";

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
  const res = await apiFetch(url, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`history ${market}: ${failureText(res.status)}`);
  return (await res.json()).items as Tick[];
}

/** RT on its own 5-minute grid; DA held for its hour on the same grid (a step line). */
export function alignSeries(rt: Tick[], da: Tick[]): uPlot.AlignedData {
  const xs = rt.map((t) => Date.parse(t.interval_start) / 1000);
  const daByHour = new Map(da.map((t) => [Math.floor(Date.parse(t.interval_start) / 3_600_000), t.lmp]));
  const daYs = xs.map((x) => daByHour.get(Math.floor(x / 3600)) ?? null);
  return [xs, rt.map((t) => t.lmp), daYs];
}

/** Appends live RT ticks newer than the last point (and records DA prices for their hours). */
export function appendTicks(
  data: uPlot.AlignedData,
  daByHour: Map<number, number>,
  ticks: PriceTick[],
): uPlot.AlignedData | null {
  const [xs, rt, da] = data as [number[], (number | null)[], (number | null)[]];
  let changed = false;
  for (const t of ticks) {
    const x = Date.parse(t.interval_start) / 1000;
    if (t.market === "DA") {
      daByHour.set(Math.floor(x / 3600), t.lmp);
      continue;
    }
    if (xs.length && x <= xs[xs.length - 1]) continue;
    xs.push(x);
    rt.push(t.lmp);
    da.push(daByHour.get(Math.floor(x / 3600)) ?? null);
    changed = true;
  }
  return changed ? [xs, rt, da] : null;
}

export default function PriceChart({ zone, days = 1 }: PriceChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const range = useSignal<number>(days);
  const status = useSignal<"loading" | "ready" | "error">("loading");
  const error = useSignal("");
  const client = useSignal<RealtimeClient | null>(null);
  const series = useRef<{ data: uPlot.AlignedData; daByHour: Map<number, number> } | null>(null);

  useEffect(() => {
    mountSessionPrompt();
    const c = connectRealtime({
      url: `/api/ws/market/${zone}`,
      checkSession,
      onPrices: (ticks) => {
        const s = series.current;
        if (!s) return;
        const next = appendTicks(s.data, s.daByHour, ticks);
        if (next) {
          s.data = next;
          plot.current?.setData(next);
        }
      },
    });
    client.value = c;
    return () => c.close();
  }, [zone]);

  useEffect(() => {
    let cancelled = false;
    const to = new Date();
    const from = new Date(to.getTime() - range.value * 86_400_000);
    status.value = "loading";
    Promise.all([fetchSeries(zone, "RT", from, to), fetchSeries(zone, "DA", from, to), import("uplot")])
      .then(([rt, da, { default: UPlot }]) => {
        if (cancelled || !box.current) return;
        const data = alignSeries(rt, da);
        series.current = {
          data,
          daByHour: new Map(da.map((t) => [Math.floor(Date.parse(t.interval_start) / 3_600_000), t.lmp])),
        };
        plot.current?.destroy();
        plot.current = new UPlot(
          {
            width: box.current.clientWidth || 600,
            height: 300,
            scales: { x: { time: true } },
            axes: [{}, { label: "$/MWh", size: 60 }],
            series: [
              {},
              { label: "Real-time", stroke: "#2f6fed", width: 1.5 },
              { label: "Day-ahead", stroke: "#f59e0b", width: 1.5, paths: UPlot.paths.stepped!({ align: 1 }) },
            ],
          },
          data,
          box.current,
        );
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
        <span class="flex items-center gap-3 text-xs text-slate-500" data-chart-status={status.value}>
          {status.value === "loading" ? "Loading…" : status.value === "error" ? `Could not load: ${error.value}` : ""}
          <LiveBadge client={client.value} />
        </span>
      </div>
      <div class="mb-3">
        <ReconnectBanner client={client.value} />
      </div>
      <AlertToasts client={client.value} />
      <div ref={box} class="min-h-[300px] w-full" data-testid="price-chart" />
    </div>
  );
}
