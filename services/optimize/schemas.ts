/** What the optimise endpoints and the asset page take and answer (zod: validation and OpenAPI). */
import { z } from "zod";
import { bidInputSchema } from "../bids/schema.ts";
import { ISOS } from "../market/zones.ts";
import { forecastModelRef } from "../forecast_live/schema.ts";

const fraction = (what: string) =>
  z.number().finite().min(0).max(1).describe(`${what}, a fraction of the asset's energy (0–1)`);

export const optimiseRequest = z.strictObject({
  // Years outside 2000–2099 hold no forecast, and the calendar arithmetic of years 0–99 is JavaScript's 1900s.
  delivery_date: z.iso.date().refine((d) => d >= "2000-01-01" && d <= "2099-12-31", {
    error: "delivery_date must be a day from 2000-01-01 to 2099-12-31",
  }).describe("The zone's operating day to schedule (YYYY-MM-DD, market clock)"),
  soc_start: fraction("State of charge when the day starts").optional()
    .describe("State of charge when the day starts, a fraction of the asset's energy; default its min_soc"),
  soc_end: fraction("Least state of charge at the day's end").optional()
    .describe("Least state of charge at the day's end, a fraction of the asset's energy; default soc_start"),
  max_cycles: z.number().finite().min(0).max(24).optional()
    .describe("Most full cycles (usable energy discharged) in the day; default no limit"),
  degradation_cost: z.number().finite().min(0).max(10_000).optional()
    .describe("$ per MWh of throughput (charge and discharge); default 0"),
}).meta({ id: "OptimiseRequest" });
export type OptimiseRequest = z.infer<typeof optimiseRequest>;

export const optimisedHour = z.object({
  start: z.string().describe("Start of the delivery hour, ISO-8601 UTC"),
  price: z.number().describe("Forecast (50 %) price the hour was planned at, $/MWh"),
  p10: z.number().nullable().describe("Forecast 10 % quantile, $/MWh; null when the model has no band yet"),
  p90: z.number().nullable(),
  charge_mw: z.number().describe("Planned draw from the grid, MW"),
  discharge_mw: z.number().describe("Planned injection, MW"),
  soc_mwh: z.number().describe("State of charge at the end of the hour, MWh"),
}).strict().meta({ id: "OptimisedHour" });

export const optimisation = z.object({
  asset_id: z.uuid(),
  zone: z.enum(ISOS),
  delivery_date: z.string(),
  forecast: z.object({ run_id: z.uuid(), made_at: z.string(), model: forecastModelRef }).strict()
    .describe("The forecast run used (the latest made so far)"),
  soc_start: z.number(),
  soc_end: z.number(),
  max_cycles: z.number().nullable(),
  degradation_cost: z.number(),
  soc_start_mwh: z.number(),
  energy_mwh: z.number(),
  hours: z.array(optimisedHour),
  expected_revenue: z.number().describe("$ at the forecast prices, net of degradation"),
  energy_revenue: z.number(),
  degradation_total: z.number().describe("$ of degradation over the day"),
  cycles: z.number(),
  curves: z.array(bidInputSchema).describe("The schedule as DA bids (POST /api/bids/batch accepts them as they are)"),
}).strict().meta({ id: "StorageOptimisation" });
export type Optimisation = z.infer<typeof optimisation>;
