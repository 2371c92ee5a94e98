/**
 * Shapes of the analytics API (`GET /api/analytics/market`, `GET /api/analytics/portfolio`). Browser-safe:
 * the /analytics page's islands read the same types.
 */
import { z } from "zod";
import { zoneListQuery } from "../market/api_schemas.ts";
import { rangeCheck, rangeFields, type RangeRule } from "../http/range.ts";
import { ISOS } from "../market/zones.ts";

/** Without `from`: the last 30 days; at most three years, so daily rows stay a few thousand at most. */
export const MARKET_RANGE: RangeRule = { defaultDays: 30, maxDays: 1_100 };
export const PORTFOLIO_RANGE: RangeRule = { defaultDays: 30, maxDays: 1_100 };

export const ANALYTICS_MARKETS = ["RT", "DA", "SPREAD"] as const;

export const marketQuery = z.object({
  zones: zoneListQuery.describe(
    "Comma-separated zones; the first is the one the single-zone panels are about, all of them enter the " +
      "correlation matrix and forecast accuracy. Default: all seven (PJM first).",
  ),
  market: z.enum(ANALYTICS_MARKETS).default("RT").describe(
    "RT (5-minute), DA (hourly) or SPREAD (per hour: DA minus the hour's mean RT)",
  ),
  ...rangeFields(MARKET_RANGE),
  threshold: z.coerce.number().min(2).max(50).default(6).describe(
    "|robust z-score| at or above which an RT interval is a spike",
  ),
}).strict().superRefine(rangeCheck(MARKET_RANGE));
export type MarketQuery = z.infer<typeof marketQuery>;

const num = z.number();
const nnum = z.number().nullable();

const percentiles = z.object({ p5: nnum, p25: nnum, p50: nnum, p75: nnum, p95: nnum, p99: nnum }).strict();

export const statsSchema = z.object({
  count: z.number().int(),
  mean: nnum,
  median: nnum.describe("The 50th percentile (nearest rank)"),
  stddev: nnum.describe("Population standard deviation"),
  percentiles,
  min: nnum,
  min_at: z.string().nullable().describe("The first interval at the minimum"),
  max: nnum,
  max_at: z.string().nullable().describe("The first interval at the maximum"),
  negative_share: nnum.describe("Share of intervals below 0 $/MWh"),
}).strict().meta({ id: "AnalyticsStats" });

export const marketResponse = z.object({
  engine: z.enum(["postgres", "clickhouse"]).describe("Which engine answered the market panels"),
  zone: z.enum(ISOS),
  zones: z.array(z.enum(ISOS)),
  market: z.enum(ANALYTICS_MARKETS),
  from: z.string(),
  to: z.string(),
  percentile_definition: z.string(),
  stats: statsSchema.extend({ spikes: z.number().int().describe("RT spikes in the range") }),
  heatmap: z.array(z.object({ dow: z.number().int(), hour: z.number().int(), mean: num, count: z.number().int() }))
    .describe("Mean by weekday (1 = Monday) × hour of day on the zone's market clock"),
  duration: z.array(z.object({ share: num, price: num })).describe(
    "Price duration curve: the price met or exceeded `share` of the time (101 points)",
  ),
  series: z.object({
    bucket_seconds: z.number().int(),
    items: z.array(z.object({ t: z.string(), mean: num, min: num, max: num })),
  }),
  spread: z.object({
    distribution: statsSchema.describe("Of the hourly DA − RT spread"),
    by_hour: z.array(z.object({ hour: z.number().int(), mean: num, count: z.number().int() })),
    daily: z.array(
      z.object({ date: z.string(), hours: z.number().int(), spread: num, inc: num, dec: num }),
    ).describe("Per operating day; inc/dec: cumulative $ of 1 MW INC (DA − RT) or DEC (RT − DA) every hour"),
  }),
  volatility: z.object({
    window_days: z.number().int(),
    items: z.array(z.object({ date: z.string(), std: nnum, n: z.number().int() })),
  }).describe(
    "Rolling standard deviation of hourly RT returns: changes of the hourly mean RT price within a day ($/MWh)",
  ),
  spikes: z.object({
    threshold: num,
    count: z.number().int(),
    items: z.array(z.object({ t: z.string(), price: num, baseline: num, score: num })),
  }),
  correlation: z.object({
    zones: z.array(z.enum(ISOS)),
    matrix: z.array(z.array(nnum)),
    n: z.array(z.array(z.number().int())).describe("Hours in common per pair"),
  }),
  forecast_accuracy: z.array(z.object({
    zone: z.enum(ISOS),
    days: z.number().int(),
    n_days: z.number().int(),
    mae: nnum,
    rmae: nnum,
  })).describe("Live DA forecasts over the last 30 operating days; n_days 0: not available"),
}).strict().meta({ id: "MarketAnalytics" });
export type MarketAnalytics = z.infer<typeof marketResponse>;

export const portfolioQuery = z.object({ ...rangeFields(PORTFOLIO_RANGE) }).strict()
  .superRefine(rangeCheck(PORTFOLIO_RANGE));

const revenueRow = z.object({
  key: z.string(),
  label: z.string(),
  bids: z.number().int(),
  awarded_mwh: num,
  da_revenue: num,
  rt_revenue: num,
  revenue: num,
});

export const portfolioResponse = z.object({
  from: z.string(),
  to: z.string(),
  totals: z.object({
    bids: z.number().int(),
    awarded_mwh: num,
    da_revenue: num,
    rt_revenue: num,
    revenue: num,
  }),
  by_asset: z.array(revenueRow),
  by_zone: z.array(revenueRow),
  by_day: z.array(revenueRow).describe("Per operating day (market clock)"),
  capture: z.array(z.object({
    zone: z.enum(ISOS),
    offered_mwh: num,
    revenue: num,
    capture_price: nnum.describe("$/MWh realised by settled offers"),
    twap: nnum.describe("Time-weighted average DA price of the zone over the range"),
  })),
  clearing: z.object({
    submitted: z.number().int().describe("Bids that reached clearing (cleared or settled)"),
    cleared: z.number().int().describe("Of those, with an award above 0 MW"),
    clear_rate: nnum,
    cleared_mwh: num,
  }),
  batteries: z.array(z.object({
    asset_id: z.string(),
    name: z.string(),
    discharged_mwh: num,
    cycles: num.describe("Discharged MWh / energy capacity"),
    revenue: num,
    revenue_per_cycle: nnum,
  })),
  best_days: z.array(revenueRow),
  worst_days: z.array(revenueRow),
}).strict().meta({ id: "PortfolioAnalytics" });
export type PortfolioAnalytics = z.infer<typeof portfolioResponse>;
