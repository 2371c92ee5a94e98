/**
 * location_prices: the prices of pricing locations (hubs, load zones, nodes) beside each zone's own price in
 * market_prices, written the way market_prices is (db/upsert.ts), so a redelivered batch changes nothing.
 */
import type { Database, Transaction } from "../../db/database.ts";
import { upsertRows, type UpsertSpec } from "../../db/upsert.ts";
import type { LocationPrice } from "./types.ts";

const LOCATION_PRICES = {
  table: "location_prices",
  columns: [
    { name: "zone", type: "text", value: (p) => p.zone },
    { name: "location", type: "text", value: (p) => p.location },
    { name: "market", type: "text", value: (p) => p.market },
    { name: "interval_start", type: "timestamptz", value: (p) => p.interval_start },
    { name: "interval_end", type: "timestamptz", value: (p) => p.interval_end },
    { name: "lmp", type: "numeric", value: (p) => p.lmp },
  ],
  key: ["zone", "location", "market", "interval_start"],
} satisfies UpsertSpec<LocationPrice>;

/** Upserts location prices; within one call the last price of a (zone, location, market, interval) wins. */
export async function writeLocationPrices(
  q: Database | Transaction,
  prices: readonly LocationPrice[],
): Promise<number> {
  return await upsertRows(q, LOCATION_PRICES, prices);
}
