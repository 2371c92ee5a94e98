/**
 * What a strategy bids for a delivery day: pure, data → bid inputs (or why it bids nothing), so the
 * runner's rules are tested without a database. The bids still go through the bid actions' checks.
 */
import { type AssetLimits, type BidInput, type Segment, sideLimitMw } from "../bids/schema.ts";
import type { MarketHour } from "../market/market_time.ts";
import { type Iso, ZONES } from "../market/zones.ts";
import type { StrategyInput } from "./schema.ts";

/** The kinds planned here, without a solver (battery arbitrage is arbitrage.ts). */
type Planned = Exclude<StrategyInput, { kind: "battery_arbitrage" }>;
export interface PlanStrategy {
  kind: Planned["kind"];
  params: Planned["params"];
}

export interface HourForecast {
  p10: number | null;
  p50: number;
  p90: number | null;
}

export type Plan = { bids: BidInput[] } | { nothing: string };

const round = (x: number, decimals: number) => Number(x.toFixed(decimals));

/**
 * The bids of `strategy` for the operating day whose `hours` are given, for `asset` (id and limits).
 * `forecast`: the live forecast per hour start (ms), needed by forecast-following only.
 */
export function planDay(
  strategy: PlanStrategy,
  asset: AssetLimits & { id: string },
  hours: readonly MarketHour[],
  forecast: ReadonlyMap<number, HourForecast>,
): Plan {
  const bid = (h: MarketHour, side: BidInput["side"], segments: Segment[]): BidInput => ({
    asset_id: asset.id,
    market: "DA",
    interval_start: h.start.toISOString(),
    side,
    segments,
  });
  if (strategy.kind === "fixed_curve") {
    const p = strategy.params as Extract<StrategyInput, { kind: "fixed_curve" }>["params"];
    const chosen = p.hours ? hours.filter((h) => p.hours!.includes(h.he)) : hours;
    if (!chosen.length) return { nothing: "none of its hours is in this operating day" };
    return { bids: chosen.map((h) => bid(h, p.side, p.segments.map((s) => ({ ...s })))) };
  }
  const p = strategy.params as Extract<StrategyInput, { kind: "forecast_following" }>["params"];
  const limit = sideLimitMw(asset, p.side);
  if (limit === null) return { nothing: `a ${asset.kind} asset cannot ${p.side === "bid" ? "buy" : "sell"}` };
  const quantity = round(limit * (p.quantity_share ?? 1), 3);
  if (quantity <= 0) return { nothing: "its share of the asset's power rounds to 0 MW" };
  const missing = hours.filter((h) => !forecast.has(h.start.getTime()));
  if (missing.length) {
    return {
      nothing: missing.length === hours.length
        ? `no live forecast for ${hours[0]?.date ?? "the day"} yet`
        : `the live forecast covers ${hours.length - missing.length} of the day's ${hours.length} hours`,
    };
  }
  const rules = ZONES[asset.zone as Iso];
  const basis = p.basis ?? "p50";
  const bids: BidInput[] = [];
  for (const h of hours) {
    const f = forecast.get(h.start.getTime())!;
    const base = f[basis];
    if (base === null) return { nothing: `the forecast has no ${basis.toUpperCase()} band yet` };
    const raw = p.side === "offer" ? base + p.margin : base - p.margin;
    // Within what the zone accepts, so a spike in the forecast never makes an invalid bid.
    const price = round(Math.min(rules.offerCap, Math.max(rules.offerFloor, raw)), 2);
    bids.push(bid(h, p.side, [{ price, quantity }]));
  }
  return { bids };
}
