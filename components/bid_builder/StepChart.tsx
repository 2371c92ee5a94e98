/**
 * The curve as a step chart against the latest RT price and the hour's DA price, drawn at its box's size
 * so its labels stay readable from a phone to a wide screen, with those prices spelled out under it.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { CurveChart, type RefLine } from "../CurveChart.tsx";
import { usd, utcMinute } from "../bid_format.ts";
import type { Segment } from "../../services/bids/schema.ts";
import type { Iso } from "../../services/market/zones.ts";
import type { LatestPrice } from "./types.ts";

export function StepChart({ segments, side, zone, price, fc }: {
  segments: Segment[];
  side: "offer" | "bid";
  zone: Iso;
  price: LatestPrice | undefined;
  /** The DA price of the interval's hour, once read. */
  fc: number | null | undefined;
}) {
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
  if (price?.rt) lines.push({ kind: "latest", label: "Latest RT", price: price.rt.lmp });
  if (typeof fc === "number") lines.push({ kind: "forecast", label: "DA", price: fc });
  return (
    <div class="min-w-0 space-y-2" ref={chartBox}>
      <CurveChart
        segments={segments}
        side={side}
        lines={lines}
        testId="curve-chart"
        emptyText="Type a price and a quantity to see the curve."
        width={chartWidth}
        height={chartWidth ? Math.min(260, Math.max(180, chartWidth * 0.6)) : undefined}
      />
      <dl class="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
        <dt class="text-slate-500">Latest RT, {zone}</dt>
        <dd class="tabular-nums text-slate-800" data-testid="latest-price">
          {price?.rt
            ? `${usd(price.rt.lmp)}/MWh at ${utcMinute(price.rt.interval_start).slice(11)} UTC`
            : "no price yet"}
        </dd>
        <dt class="text-slate-500">Forecast</dt>
        <dd class="text-slate-800" data-testid="forecast">
          {typeof fc === "number"
            ? `DA price of this hour: ${usd(fc)}/MWh (published)`
            : <span class="text-slate-500">no forecast yet</span>}
        </dd>
      </dl>
    </div>
  );
}
