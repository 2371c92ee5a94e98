/** The market data model shared by sources, the ingest pipeline, storage, the realtime hub and the pages. */
import { z } from "zod";
import { ISOS } from "./zones.ts";

export const MARKETS = ["DA", "RT"] as const;
export type Market = typeof MARKETS[number];

/**
 * One price for one zone, market and interval ($/MWh). `lmp = energy + congestion + loss`.
 * Times are ISO-8601 UTC strings; an interval is [start, end): 1 h for DA, 5 min for RT.
 */
export const priceTickSchema = z.object({
  zone: z.enum(ISOS),
  market: z.enum(MARKETS),
  interval_start: z.iso.datetime(),
  interval_end: z.iso.datetime(),
  lmp: z.number().finite(),
  energy: z.number().finite(),
  congestion: z.number().finite(),
  loss: z.number().finite(),
}).strict().meta({ id: "PriceTick" });
export type PriceTick = z.infer<typeof priceTickSchema>;

/**
 * Hourly system load of a zone (MW): the day-ahead forecast (known before the zone's DA gate for that day) and
 * the actual once the hour is over. Either may be missing.
 */
export interface LoadPoint {
  zone: typeof ISOS[number];
  interval_start: string;
  interval_end: string;
  actual_mw?: number | null;
  forecast_mw?: number | null;
}

/**
 * The price of one pricing location (a hub or load zone of services/bids/virtual_rules.ts, or a node) for one
 * market and interval, $/MWh: what virtual bids at that location clear and liquidate against (location_prices).
 * The zone's own price (PriceTick) stands for its reference location.
 */
export const locationPriceSchema = z.object({
  zone: z.enum(ISOS),
  location: z.string().min(1).max(64),
  market: z.enum(MARKETS),
  interval_start: z.iso.datetime(),
  interval_end: z.iso.datetime(),
  lmp: z.number().finite(),
}).strict();
export type LocationPrice = z.infer<typeof locationPriceSchema>;

/** A batch of ticks as it travels on the ingest bus (Kafka topic `market_data.<zone>` or the KV queue). */
export const TICK_BATCH_VERSION = 1;
export const tickBatchSchema = z.object({
  v: z.literal(TICK_BATCH_VERSION),
  source: z.string().min(1).max(64),
  ticks: z.array(priceTickSchema).max(5000),
  /** Hub/location prices travel beside the zone prices, through the same bus, consumer and idempotency. */
  locations: z.array(locationPriceSchema).max(5000).optional(),
}).strict().refine((b) => b.ticks.length + (b.locations?.length ?? 0) > 0, "a batch carries at least one price");
export type TickBatch = z.infer<typeof tickBatchSchema>;
