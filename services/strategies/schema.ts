/**
 * A saved strategy's shape: per asset, a named recipe for each DA delivery day's bids and when to run it
 * (`lead_minutes` before the zone's DA gate). Browser-safe (zod and the bid schema only).
 *
 * Kinds:
 * - `fixed_curve`: the same curve for every hour of the day (or the hours listed, by hour ending).
 * - `forecast_following`: one segment per hour at the live forecast (P10/P50/P90) plus a margin for an
 *   offer (minus it for a bid), for a share of the asset's power on that side.
 * - `battery_arbitrage`: a storage asset's day optimised on the live forecast (services/optimize), its
 *   schedule as price-responsive curves.
 */
import { z } from "zod";
import { text } from "../schemas/text.ts";
import { int4 } from "../schemas/numeric.ts";
import { BID_SIDES, MAX_SEGMENTS, segmentSchema } from "../bids/schema.ts";
import { optimiseRequest } from "../optimize/schemas.ts";

export const STRATEGY_KINDS = ["fixed_curve", "forecast_following", "battery_arbitrage"] as const;
export type StrategyKind = typeof STRATEGY_KINDS[number];

/** Hours by hour ending, 1–24 (the autumn DST day's repeated HE2 is bid with HE2). */
const hourEnding = z.number().int().min(1).max(24);

export const fixedCurveParams = z.strictObject({
  side: z.enum(BID_SIDES),
  segments: z.array(segmentSchema).min(1).max(MAX_SEGMENTS),
  hours: z.array(hourEnding).min(1).max(24).optional()
    .describe("Hour-ending numbers to bid (1–24); omitted: every hour of the day"),
});

export const forecastFollowingParams = z.strictObject({
  side: z.enum(BID_SIDES),
  margin: z.number().min(0).max(1000).refine((x) => Number(x.toFixed(2)) === x, "must have at most 2 decimals")
    .describe("$/MWh above the forecast for an offer, below it for a bid"),
  basis: z.enum(["p10", "p50", "p90"]).default("p50").describe("Which forecast quantile the price follows"),
  quantity_share: z.number().gt(0).max(1).default(1)
    .describe("Share of the asset's power on the side (discharge for offers, charge for bids)"),
});

/** The optimiser's settings for each day (the day itself is the run's). */
export const batteryArbitrageParams = optimiseRequest.omit({ delivery_date: true });

const common = {
  name: text({ min: 1, max: 100 }),
  asset_id: z.uuid(),
  lead_minutes: int4({ min: 5, max: 1440 }).describe("Run this many minutes before the zone's DA gate"),
  submit: z.boolean().default(false)
    .describe("Submit the bids (when the organization's policy lets strategies submit); else drafts"),
  enabled: z.boolean().default(true),
};

const fixedCurve = z.strictObject({ ...common, kind: z.literal("fixed_curve"), params: fixedCurveParams });
const forecastFollowing = z.strictObject({
  ...common,
  kind: z.literal("forecast_following"),
  params: forecastFollowingParams,
});

const batteryArbitrage = z.strictObject({
  ...common,
  kind: z.literal("battery_arbitrage"),
  params: batteryArbitrageParams,
});

export const strategyInput = z.discriminatedUnion("kind", [fixedCurve, forecastFollowing, batteryArbitrage])
  .meta({ id: "StrategyInput" });
export type StrategyInput = z.infer<typeof strategyInput>;

/** An edit: the whole strategy and the version it was read at. */
const version = { version: int4({ min: 1 }).describe("The version you read; a stale one gets 409") };
export const strategyUpdate = z.discriminatedUnion("kind", [
  fixedCurve.extend(version),
  forecastFollowing.extend(version),
  batteryArbitrage.extend(version),
])
  .meta({ id: "StrategyUpdate" });
export type StrategyParams = StrategyInput["params"];

export const strategySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  asset_id: z.uuid(),
  asset_name: z.string(),
  zone: z.string(),
  kind: z.enum(STRATEGY_KINDS),
  params: z.record(z.string(), z.unknown()),
  lead_minutes: z.number().int(),
  submit: z.boolean(),
  enabled: z.boolean(),
  owner_user_id: z.uuid().nullable(),
  owner_email: z.string().nullable(),
  version: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
}).meta({ id: "Strategy" });
export type StrategyView = z.infer<typeof strategySchema>;

export const strategyRunSchema = z.object({
  id: z.uuid(),
  strategy_id: z.uuid(),
  delivery_date: z.string(),
  trigger: z.enum(["schedule", "manual"]),
  outcome: z.enum(["created", "nothing"]).describe("`created`: it made bids; `nothing`: see `reason`"),
  bid_ids: z.array(z.uuid()),
  bid_status: z.string().nullable().describe("What its bids became: draft, submitted or pending_approval"),
  reason: z.string().nullable(),
  at: z.string(),
}).meta({ id: "StrategyRun" });
export type StrategyRunView = z.infer<typeof strategyRunSchema>;

export const runNowInput = z.strictObject({
  // The calendar arithmetic of years 0–99 is JavaScript's 1900s; no market day is outside 2000–2099 here.
  delivery_date: z.iso.date().refine((d) => d >= "2000-01-01" && d <= "2099-12-31", {
    error: "delivery_date must be a day from 2000-01-01 to 2099-12-31",
  }).optional().describe("Operating day (market clock); default: the next gate's"),
}).optional();
