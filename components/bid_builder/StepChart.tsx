/**
 * The curve as a step chart against the latest RT price, the hour's published DA price and its forecast
 * (the median as a line, the 10–90 % interval shaded), drawn at its box's size so its labels stay
 * readable from a phone to a wide screen, with those prices spelled out under it.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { CurveChart, type RefBand, type RefLine } from "../CurveChart.tsx";
import { usd } from "../bid_format.ts";
import { marketClock } from "../bid_form.ts";
import { madeAtText, modelText } from "../forecast_api.ts";
import type { ForecastItem } from "../forecast_api.ts";
import type { Segment } from "../../services/bids/schema.ts";
import type { Iso } from "../../services/market/zones.ts";
import { formatPrice, priceIn, type PriceUnit } from "../../services/market/units.ts";
import type { LatestPrice } from "./types.ts";

export function StepChart({ segments, side, zone, price, da, fc, canForecast, priceUnit = "$/MWh" }: {
  /** In $/MWh, as are the prices: the chart and the text show them in `priceUnit`. */
  segments: Segment[];
  side: "offer" | "bid";
  zone: Iso;
  price: LatestPrice | undefined;
  /** The published DA price of the interval's hour, once read (null: not published yet). */
  da: number | null | undefined;
  /** The forecast of the interval's hour, once read (null: no forecast covers it). */
  fc: ForecastItem | null | undefined;
  /** The reader may see forecasts: without it the forecast row is not shown at all. */
  canForecast: boolean;
  priceUnit?: PriceUnit;
}) {
  const cents = priceUnit === "¢/kWh";
  const inUnit = (v: number) => priceIn(v, priceUnit);
  const withUnit = (v: number) => cents ? formatPrice(v, priceUnit) : `${usd(v)}/MWh`;
  const bare = (v: number) => cents ? formatPrice(v, priceUnit) : usd(v);
  const chartBox = useRef<HTMLDivElement>(null);
  const [chartWidth, setChartWidth] = useState<number | undefined>(undefined);
  useEffect(() => {
    const el = chartBox.current;
    if (!el) return;
    const measure = () => setChartWidth(el.clientWidth || undefined);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const lines: RefLine[] = [];
  if (price?.rt) lines.push({ kind: "latest", label: "Latest RT", price: inUnit(price.rt.lmp) });
  if (typeof da === "number") lines.push({ kind: "da", label: "DA", price: inUnit(da) });
  if (fc) lines.push({ kind: "forecast", label: "Forecast", price: inUnit(fc.p50) });
  const band: RefBand | undefined = fc && fc.p10 !== null && fc.p90 !== null
    ? { label: "Forecast 10–90 %", low: inUnit(fc.p10), high: inUnit(fc.p90) }
    : undefined;
  return (
    <div class="min-w-0 space-y-2" ref={chartBox}>
      <CurveChart
        segments={cents ? segments.map((x) => ({ ...x, price: inUnit(x.price) })) : segments}
        price={cents ? (v, digits = 3) => `${v < 0 ? "−" : ""}${Math.abs(v).toFixed(Math.max(digits, 1))}¢` : undefined}
        side={side}
        lines={lines}
        band={band}
        testId="curve-chart"
        emptyText="Type a price and a quantity to see the curve."
        width={chartWidth}
        height={chartWidth ? Math.min(260, Math.max(180, chartWidth * 0.6)) : undefined}
      />
      <dl class="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
        <dt class="text-slate-500">Latest RT, {zone}</dt>
        <dd class="tabular-nums text-slate-800" data-testid="latest-price">
          {price?.rt
            ? `${withUnit(price.rt.lmp)} at ${marketClock(zone, Date.parse(price.rt.interval_start))}`
            : "no price yet"}
        </dd>
        {canForecast && (
          <>
            <dt class="text-slate-500">Forecast</dt>
            <dd
              class="text-slate-800"
              data-testid="forecast"
              data-forecast={fc ? "shown" : fc === null ? "none" : "loading"}
            >
              {fc
                ? (
                  <>
                    <span class="font-semibold tabular-nums" data-forecast-p50={fc.p50}>{withUnit(fc.p50)}</span>
                    {fc.p10 !== null && fc.p90 !== null && (
                      <span class="tabular-nums">, 10–90 %: {bare(fc.p10)} to {bare(fc.p90)}</span>
                    )}
                    <span class="block text-slate-500">
                      DA forecast of this hour, made {madeAtText(fc.made_at, new Date(), zone)} by {modelText(fc.model)}
                    </span>
                  </>
                )
                : <span class="text-slate-500">{fc === null ? "no forecast for this interval" : "…"}</span>}
            </dd>
          </>
        )}
        <dt class="text-slate-500">DA price</dt>
        <dd class="tabular-nums text-slate-800" data-testid="da-price">
          {typeof da === "number"
            ? `${withUnit(da)} (published)`
            : <span class="text-slate-500">{da === null ? "not published yet" : "…"}</span>}
        </dd>
      </dl>
    </div>
  );
}
