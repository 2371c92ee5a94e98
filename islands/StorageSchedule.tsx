/**
 * The optimised day of a battery, drawn by uPlot: the forecast price (median, 10–90 % band) above, the
 * schedule below — charge (down) and discharge (up) as bars in MW, and the state of charge as a line in
 * MWh on its own axis. The page renders the figures as tables too; this is their picture.
 */
import { useEffect, useRef } from "preact/hooks";
import { useSignal } from "@preact/signals";
// Types only: the library loads in the browser (its own chunk), never on the server.
import type uPlot from "uplot";
import { formatMarketClock, marketClock, resolveZone } from "../services/market/market_time.ts";

export interface ScheduleHour {
  start: string;
  price: number;
  p10: number | null;
  p90: number | null;
  charge_mw: number;
  discharge_mw: number;
  soc_mwh: number;
}

export interface StorageScheduleProps {
  zone: string;
  hours: ScheduleHour[];
  socStartMwh: number;
}

const COLOURS = {
  price: "#0f766e",
  band: "rgba(15, 118, 110, 0.16)",
  bandEdge: "rgba(15, 118, 110, 0.35)",
  charge: "#2f6fed",
  discharge: "#f59e0b",
  soc: "#334155",
} as const;

const HEIGHT = { price: 180, schedule: 240 };

export default function StorageSchedule({ zone, hours, socStartMwh }: StorageScheduleProps) {
  const priceBox = useRef<HTMLDivElement>(null);
  const scheduleBox = useRef<HTMLDivElement>(null);
  const plots = useRef<uPlot[]>([]);
  const status = useSignal<"loading" | "ready" | "error">("loading");
  const iso = resolveZone(zone);
  const clock = iso ? marketClock(iso).short : "UTC";

  useEffect(() => {
    let cancelled = false;
    import("uplot").then(({ default: UPlot }) => {
      if (cancelled || !priceBox.current || !scheduleBox.current || hours.length === 0) return;
      // One point per hour start plus the day's end, so the last hour is drawn to its end and the state of
      // charge runs from the day's start to its end.
      const xs = [...hours.map((h) => Date.parse(h.start) / 1000), Date.parse(hours.at(-1)!.start) / 1000 + 3600];
      const last = <T,>(col: T[]) => [...col, col.at(-1)!];
      const hourly = UPlot.paths.stepped!({ align: 1 });
      const bars = UPlot.paths.bars!({ size: [0.7, 40], align: 1 });
      const xAxis: uPlot.Axis = {
        values: (_u, splits) =>
          splits.map((ts) => iso ? formatMarketClock(iso, ts * 1000) : new Date(ts * 1000).toISOString().slice(11, 16)),
        size: 32,
      };
      const width = priceBox.current.clientWidth || 600;
      const common = { width, scales: { x: { time: true } }, cursor: { sync: { key: `schedule-${zone}` } } };
      plots.current.forEach((p) => p.destroy());
      plots.current = [
        new UPlot(
          {
            ...common,
            height: HEIGHT.price,
            axes: [xAxis, { label: "$/MWh", size: 56 }],
            series: [
              {
                label: `Hour (${clock})`,
                value: (_u, v) => (v === null || !iso ? "—" : formatMarketClock(iso, v * 1000)),
              },
              { label: "Forecast", stroke: COLOURS.price, width: 1.5, paths: hourly },
              { label: "10 %", stroke: COLOURS.bandEdge, width: 1, paths: hourly },
              { label: "90 %", stroke: COLOURS.bandEdge, width: 1, paths: hourly },
            ],
            bands: [{ series: [3, 2], fill: COLOURS.band }],
          },
          [xs, last(hours.map((h) => h.price)), last(hours.map((h) => h.p10)), last(hours.map((h) => h.p90))],
          priceBox.current,
        ),
        new UPlot(
          {
            ...common,
            height: HEIGHT.schedule,
            scales: { x: { time: true }, mw: {}, soc: { range: (_u, _min, max) => [0, Math.max(max, 1e-6)] } },
            axes: [
              xAxis,
              { scale: "mw", label: "MW (− charge, + discharge)", size: 56 },
              { scale: "soc", label: "State of charge, MWh", side: 1, size: 56, grid: { show: false } },
            ],
            series: [
              {
                label: `Hour (${clock})`,
                value: (_u, v) => (v === null || !iso ? "—" : formatMarketClock(iso, v * 1000)),
              },
              { label: "Charge", scale: "mw", fill: COLOURS.charge, stroke: COLOURS.charge, paths: bars },
              { label: "Discharge", scale: "mw", fill: COLOURS.discharge, stroke: COLOURS.discharge, paths: bars },
              { label: "State of charge", scale: "soc", stroke: COLOURS.soc, width: 2 },
            ],
          },
          [
            xs,
            [...hours.map((h) => (h.charge_mw > 0 ? -h.charge_mw : null)), null],
            [...hours.map((h) => (h.discharge_mw > 0 ? h.discharge_mw : null)), null],
            [socStartMwh, ...hours.map((h) => h.soc_mwh)],
          ],
          scheduleBox.current,
        ),
      ];
      status.value = "ready";
    }).catch(() => {
      if (!cancelled) status.value = "error";
    });
    return () => {
      cancelled = true;
    };
  }, [hours, zone]);

  useEffect(() => {
    const el = priceBox.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      const [price, schedule] = plots.current;
      price?.setSize({ width: el.clientWidth, height: HEIGHT.price });
      schedule?.setSize({ width: el.clientWidth, height: HEIGHT.schedule });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      plots.current.forEach((p) => p.destroy());
    };
  }, []);

  return (
    <div data-testid="schedule-chart" data-status={status.value} data-hours={hours.length} class="space-y-2">
      {status.value === "error" && <p class="text-sm text-rose-600">The chart could not be drawn.</p>}
      <div ref={priceBox} class="w-full" style={{ minHeight: `${HEIGHT.price}px` }} />
      <div ref={scheduleBox} class="w-full" style={{ minHeight: `${HEIGHT.schedule}px` }} />
    </div>
  );
}
