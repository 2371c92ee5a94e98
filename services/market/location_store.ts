/**
 * location_prices: the prices of pricing locations (hubs, load zones, nodes) beside each zone's own price in
 * market_prices. Written the way market_prices is (services/market/store.ts): unnest-array upserts of up to
 * WRITE_CHUNK rows per statement, so a redelivered batch changes nothing and a tick never costs a query of its own.
 */
import type { Queryable } from "../../db/database.ts";
import { pgArray } from "../../db/sql.ts";
import { WRITE_CHUNK } from "./store.ts";
import type { LocationPrice } from "./types.ts";

/** Upserts location prices; within one call the last price of a (zone, location, market, interval) wins. */
export async function writeLocationPrices(q: Queryable, prices: readonly LocationPrice[]): Promise<number> {
  const unique = new Map<string, LocationPrice>();
  for (const p of prices) unique.set(`${p.zone}|${p.location}|${p.market}|${p.interval_start}`, p);
  const rows = [...unique.values()];
  for (let i = 0; i < rows.length; i += WRITE_CHUNK) {
    const chunk = rows.slice(i, i + WRITE_CHUNK);
    await q.query(
      `INSERT INTO location_prices (zone, location, market, interval_start, interval_end, lmp)
       SELECT z, l, m, s, e, p
         FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::numeric[])
           AS t(z, l, m, s, e, p)
       ON CONFLICT (zone, location, market, interval_start) DO UPDATE
         SET interval_end = excluded.interval_end, lmp = excluded.lmp`,
      [
        pgArray(chunk.map((p) => p.zone)),
        pgArray(chunk.map((p) => p.location)),
        pgArray(chunk.map((p) => p.market)),
        pgArray(chunk.map((p) => p.interval_start)),
        pgArray(chunk.map((p) => p.interval_end)),
        pgArray(chunk.map((p) => p.lmp)),
      ],
    );
  }
  return rows.length;
}
