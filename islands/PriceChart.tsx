/**
 * The zone page's chart: real-time (5-minute) and day-ahead (hourly) prices over
 * the last 1, 7 or 30 days, drawn by uPlot (small and fast: 8,640 points a
 * month draw in a few milliseconds), and for readers of forecasts the DA price
 * forecast: its median as a line and its 10–90 % interval as a shaded band,
 * through tomorrow (shown before tomorrow's DA prices exist). Data comes from
 * the history and forecasts APIs; live ticks are added by the page's realtime
 * connection.
 */
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
// Types only: the library loads with the first data (its own chunk), never on the server.
import type uPlot from "uplot";
import { AlertToasts, LiveBadge, ReconnectBanner } from "../components/LiveStatus.tsx";
import { connectRealtime, type RealtimeClient } from "../services/realtime/client.ts";
import { apiFetch, checkSession, failureText } from "../components/api_client.ts";
import { mountSessionPrompt } from "../components/SessionPrompt.tsx";
import { fetchForecasts, type ForecastItem, madeAtText, modelText, newestRun } from "../components/forecast_api.ts";
import {
  addTicks,
  bandHours,
  buildSeries,
  type ChartState,
  chartState,
  COL,
  type Tick,
} from "../components/price_series.ts";
import { formatMarketClock, formatMarketTime, marketClock, resolveZone } from "../services/market/market_time.ts";
import { priceIn, type PriceUnit } from "../services/market/units.ts";
import { type Iso, ZONES } from "../services/market/zones.ts";

export interface PriceChartProps {
  zone: string;
  days?: 1 | 7 | 30;
  /** The viewer's price unit (`/settings`); the series arrive in $/MWh. */
  priceUnit?: PriceUnit;
  /**
   * For readers of forecasts (`forecast:read`) only: the newest run as the page read it (null: none yet),
   * named under the chart until the chart's own read answers. Absent, no forecast is asked for or drawn.
   */
  forecast?: { latest: ForecastItem | null } | null;
}

const RANGES = [1, 7, 30] as const;
/** The forecast reaches past the zone's next operating day from any time zone: read two days ahead. */
const AHEAD_MS = 2 * 86_400_000;
/** The forecasts API answers at most this range per call (flive's contract). */
const MAX_FORECAST_RANGE_MS = 31 * 86_400_000;

export const COLOURS = {
  rt: "#2f6fed",
  da: "#f59e0b",
  forecast: "#0f766e",
  /** The 10–90 % band: the forecast's colour, light enough for the prices to read through it. */
  band: "rgba(15, 118, 110, 0.16)",
  bandEdge: "rgba(15, 118, 110, 0.35)",
} as const;

async function fetchSeries(zone: string, market: "RT" | "DA", from: Date, to: Date): Promise<Tick[]> {
  const url = `/api/market-data/history?zone=${zone}&market=${market}&from=${from.toISOString()}` +
    `&to=${to.toISOString()}&limit=10000`;
  const res = await apiFetch(url, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`history ${market}: ${failureText(res.status)}`);
  return (await res.json()).items as Tick[];
}

/**
 * uPlot's columns, prices in the viewer's unit: without the forecast's three when the reader may not see
 * forecasts (no series for them).
 */
function columns(s: ChartState, forecast: boolean, unit: PriceUnit): uPlot.AlignedData {
  const [xs, ...ys] = buildSeries(s);
  const inUnit = (col: uPlot.AlignedData[1]) =>
    unit === "$/MWh" ? col : Array.from(col as ArrayLike<number | null>, (v) => v === null ? null : priceIn(v, unit));
  const data = [xs, ...ys.map(inUnit)] as uPlot.AlignedData;
  return forecast ? data : data.slice(0, COL.p50) as uPlot.AlignedData;
}

const DAY_S = 86_400;

type ForecastState =
  | { kind: "off" }
  | { kind: "none" }
  | { kind: "failed" }
  /** `hours`/`band`: how many hours the chart draws a median / a band for, once it is drawn. */
  | { kind: "shown"; latest: ForecastItem; hours?: number; band?: number };

export default function PriceChart(
  { zone, days = 1, priceUnit = "$/MWh", forecast: initial = null }: PriceChartProps,
) {
  const forecast = initial !== null;
  // The axis is on the zone's market clock, whatever the browser's zone (unknown zone: UTC, said on the axis).
  const iso = resolveZone(zone);
  const timeZone = iso ? ZONES[iso].timeZone : "UTC";
  const clockShort = iso ? marketClock(iso).short : "UTC";
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const range = useSignal<number>(days);
  const status = useSignal<"loading" | "ready" | "error">("loading");
  const error = useSignal("");
  const client = useSignal<RealtimeClient | null>(null);
  const fc = useSignal<ForecastState>(
    !initial ? { kind: "off" } : initial.latest ? { kind: "shown", latest: initial.latest } : { kind: "none" },
  );
  const state = useRef<ChartState | null>(null);

  useEffect(() => {
    mountSessionPrompt();
    const c = connectRealtime({
      url: `/api/ws/market/${zone}`,
      checkSession,
      onPrices: (ticks) => {
        const s = state.current;
        if (s && addTicks(s, ticks)) plot.current?.setData(columns(s, forecast, priceUnit));
      },
    });
    client.value = c;
    return () => c.close();
  }, [zone]);

  useEffect(() => {
    let cancelled = false;
    const now = new Date();
    const from = new Date(now.getTime() - range.value * 86_400_000);
    const ahead = new Date(now.getTime() + AHEAD_MS);
    const fcFrom = new Date(Math.max(from.getTime(), ahead.getTime() - MAX_FORECAST_RANGE_MS));
    status.value = "loading";
    Promise.all([
      fetchSeries(zone, "RT", from, now),
      // DA through tomorrow: once published, tomorrow's prices sit beside its forecast.
      fetchSeries(zone, "DA", from, ahead),
      // A forecast that cannot be read leaves the prices drawn: it is said beside the chart.
      forecast ? fetchForecasts(zone, fcFrom, ahead).catch(() => null) : Promise.resolve([]),
      import("uplot"),
    ])
      .then(([rt, da, items, { default: UPlot }]) => {
        if (cancelled || !box.current) return;
        const s = chartState(rt, da, items ?? []);
        state.current = s;
        if (forecast) {
          const latest = items ? newestRun(items) : null;
          fc.value = items === null
            ? { kind: "failed" }
            : latest
            ? { kind: "shown", latest, hours: s.fc.size, band: bandHours(s) }
            : { kind: "none" };
        }
        // alignGaps 1: an hour followed by a gap (no price or forecast for the next hour) is still drawn to its end.
        const hourly = UPlot.paths.stepped!({ align: 1, alignGaps: 1 });
        const series: uPlot.Series[] = [
          {
            label: `Market time (${clockShort})`,
            value: (_u, v) =>
              v === null ? "—" : iso ? formatMarketTime(iso, v * 1000) : new Date(v * 1000).toISOString(),
          },
          { label: "Real-time", stroke: COLOURS.rt, width: 1.5 },
          { label: "Day-ahead", stroke: COLOURS.da, width: 1.5, paths: hourly },
        ];
        if (forecast) {
          series.push(
            { label: "Forecast", stroke: COLOURS.forecast, width: 1.5, dash: [6, 3], paths: hourly },
            { label: "10 %", stroke: COLOURS.bandEdge, width: 1, paths: hourly },
            { label: "90 %", stroke: COLOURS.bandEdge, width: 1, paths: hourly },
          );
        }
        plot.current?.destroy();
        plot.current = new UPlot(
          {
            width: box.current.clientWidth || 600,
            height: 300,
            scales: { x: { time: true } },
            // tzDate puts the ticks on the market clock's hours; the labels are 24-hour market time, the
            // date under midnight and at the first tick.
            tzDate: (ts) => UPlot.tzDate(new Date(ts * 1000), timeZone),
            axes: [
              {
                // The clock is named in the legend ("Market time (EPT)"): no axis label, the plot keeps its height.
                values: (_u, splits) =>
                  splits.map((ts, i) => {
                    if (!iso) return new Date(ts * 1000).toISOString().slice(11, 16);
                    const clock = formatMarketClock(iso, ts * 1000);
                    return i === 0 || clock === "00:00" || splits[i] - splits[i - 1] >= DAY_S
                      ? `${clock}\n${formatMarketTime(iso, ts * 1000).slice(5, 10)}`
                      : clock;
                  }),
                size: 44,
              },
              { label: priceUnit, size: 60 },
            ],
            series,
            bands: forecast ? [{ series: [COL.p90, COL.p10], fill: COLOURS.band }] : [],
          },
          columns(s, forecast, priceUnit),
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

  const f = fc.value;
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
      <div
        ref={box}
        class="min-h-[300px] w-full"
        data-testid="price-chart"
        data-clock={clockShort}
        data-forecast-hours={f.kind === "shown" ? f.hours : f.kind === "none" ? 0 : undefined}
        data-band-hours={f.kind === "shown" ? f.band : f.kind === "none" ? 0 : undefined}
      />
      {f.kind !== "off" && iso && <ForecastCaption state={f} zone={iso} />}
    </div>
  );
}

/** Which forecast the chart draws, or why it draws none. */
function ForecastCaption({ state, zone }: { state: ForecastState; zone: Iso }) {
  // Before the chart is drawn, the page's newest run says whether there is a band.
  const hasBand = state.kind === "shown" &&
    (state.band !== undefined ? state.band > 0 : state.latest.p10 !== null && state.latest.p90 !== null);
  const text = state.kind === "shown"
    ? (
      <>
        <span
          class="mr-1.5 inline-block h-2.5 w-4 rounded-sm align-middle"
          style={{ background: COLOURS.band, border: `1px solid ${COLOURS.forecast}` }}
          aria-hidden="true"
        />
        Forecast for {state.latest.delivery_date} made {madeAtText(state.latest.made_at, new Date(), zone)} by{" "}
        <span class="font-medium text-slate-800">{modelText(state.latest.model)}</span>
        {hasBand ? "; shaded: 10–90 % interval" : "; no interval yet (too little history of its errors)"}
      </>
    )
    : state.kind === "none"
    ? "No forecast for this zone yet."
    : "The forecast could not be loaded.";
  return (
    <p class="mt-2 text-xs text-slate-600" data-testid="forecast-caption" data-forecast={state.kind}>
      {text}
    </p>
  );
}
