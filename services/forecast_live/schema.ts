/**
 * Shapes of the forecasts API (`GET /api/forecasts`, `GET /api/forecasts/accuracy`). Browser-safe: the market
 * pages' islands read the same types.
 */
import { z } from "zod";
import { instant } from "../schemas/instant.ts";
import { ISOS } from "../market/zones.ts";

/** The longest [from, to) one forecasts request may span. */
export const MAX_FORECAST_RANGE_DAYS = 31;
export const MAX_ACCURACY_DAYS = 366;

/** Zones as the market routes spell them, in any case ("pjm" is PJM). */
export const forecastZone = z.preprocess(
  (v) => (typeof v === "string" ? v.trim().toUpperCase() : v),
  z.enum(ISOS),
);

const iso = instant();

export const forecastsQuery = z.object({
  zone: forecastZone,
  from: iso.describe("First delivery interval start, inclusive (ISO-8601)"),
  to: iso.describe(`End, exclusive (ISO-8601); at most ${MAX_FORECAST_RANGE_DAYS} days after \`from\``),
  asOf: iso.optional().describe("What was known at this instant: the latest run made at or before it. Default: now"),
}).strict().superRefine((q, ctx) => {
  const from = Date.parse(q.from), to = Date.parse(q.to);
  if (from >= to) ctx.addIssue({ code: "custom", path: ["from"], message: "from must be before to" });
  else if (to - from > MAX_FORECAST_RANGE_DAYS * 86_400_000) {
    ctx.addIssue({
      code: "custom",
      path: ["to"],
      message: `the range may span at most ${MAX_FORECAST_RANGE_DAYS} days`,
    });
  }
});
export type ForecastsQuery = z.infer<typeof forecastsQuery>;

export const forecastModelRef = z.object({
  id: z.uuid(),
  name: z.string(),
  version: z.number().int(),
}).strict().meta({ id: "ForecastModelRef" });

export const forecastItem = z.object({
  interval_start: z.string().describe("ISO-8601 UTC"),
  interval_end: z.string().describe("ISO-8601 UTC"),
  delivery_date: z.string().describe("The zone's operating day (YYYY-MM-DD, market clock)"),
  p10: z.number().nullable().describe("$/MWh; null until the model has enough past errors for a band"),
  p50: z.number().describe("$/MWh"),
  p90: z.number().nullable(),
  made_at: z.string().describe("When the run was made (ISO-8601 UTC)"),
  run_id: z.uuid(),
  model: forecastModelRef,
}).strict().meta({ id: "PriceForecast" });
export type ForecastItem = z.infer<typeof forecastItem>;

export const forecastsResponse = z.object({
  zone: z.enum(ISOS),
  market: z.literal("DA"),
  as_of: z.string(),
  items: z.array(forecastItem),
  next_cursor: z.null().describe("Always null: the range (≤ 31 days of hours) is one page"),
}).strict().meta({ id: "PriceForecasts" });
export type ForecastsResponse = z.infer<typeof forecastsResponse>;

export const accuracyQuery = z.object({
  zone: forecastZone,
  days: z.coerce.number().int().min(1).max(MAX_ACCURACY_DAYS).default(30),
}).strict();

export const accuracyDay = z.object({
  date: z.string(),
  mae: z.number(),
  rmae: z.number().nullable().describe("null when the naive forecast's day is missing or its MAE is 0"),
}).strict();

export const accuracyResponse = z.object({
  zone: z.enum(ISOS),
  days: z.number().int(),
  n_days: z.number().int().describe("Days with both a forecast made before their gate and DA prices"),
  n_hours: z.number().int(),
  mae: z.number().nullable().describe("$/MWh"),
  rmae: z.number().nullable().describe(
    "MAE / MAE of the weekly-seasonal naive (Tue–Fri: day before; Sat–Mon: week before)",
  ),
  smape: z.number().nullable().describe("A fraction (0.12 = 12 %)"),
  coverage_80: z.number().nullable().describe("Share of hours inside [p10, p90], over hours with a band (nominal 0.8)"),
  daily: z.array(accuracyDay),
}).strict().meta({ id: "ForecastAccuracy" });
export type AccuracyResponse = z.infer<typeof accuracyResponse>;
