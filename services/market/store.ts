/**
 * market_prices: batched, idempotent writes and the reads the API and pages need.
 * Prices are numeric in the table (exact cents) and float8 in answers (JSON numbers).
 */
import { isoUtc } from "../../db/sql.ts";
import { UPSERT_CHUNK, upsertRows, type UpsertSpec } from "../../db/upsert.ts";
import type { Database, Queryable, Transaction } from "../../db/database.ts";
import type { Market, PriceTick } from "./types.ts";
import type { Iso } from "./zones.ts";

/**
 * Most ticks the ingest consumer writes in one call (services/coalesce.ts groups batches up to it). On
 * Postgres a call is one COPY of any size (the unnest path takes UPSERT_CHUNK at a time); every call pays a
 * commit and a run of the hourly rollup's trigger, and 20,000 a call cut the database's time for an ingest
 * by a fifth against 5,000. A transaction's rows stay within work_mem in the trigger's transition table.
 */
export const WRITE_CHUNK = 4 * UPSERT_CHUNK;

const MARKET_PRICES = {
  table: "market_prices",
  columns: [
    { name: "zone", type: "text", value: (t) => t.zone },
    { name: "market", type: "text", value: (t) => t.market },
    { name: "interval_start", type: "timestamptz", value: (t) => t.interval_start },
    { name: "interval_end", type: "timestamptz", value: (t) => t.interval_end },
    { name: "lmp", type: "numeric", value: (t) => t.lmp },
    { name: "energy", type: "numeric", value: (t) => t.energy },
    { name: "congestion", type: "numeric", value: (t) => t.congestion },
    { name: "loss", type: "numeric", value: (t) => t.loss },
  ],
  key: ["zone", "market", "interval_start"],
  // A revision is news for the ClickHouse relay, which reads rows in ingested_at order.
  touch: "ingested_at = now()",
} satisfies UpsertSpec<PriceTick>;

/**
 * Upserts ticks (db/upsert.ts: COPY on Postgres, all of a call in one transaction). Within one call the last
 * tick of a (zone, market, interval) wins; a tick stored already with the same values is left as it is.
 */
export async function writeTicks(
  q: Database | Transaction,
  ticks: readonly PriceTick[],
  source: string,
): Promise<number> {
  return await upsertRows(q, { ...MARKET_PRICES, fixed: [{ name: "source", type: "text", value: source }] }, ticks);
}

/** A price row as a `PriceTick` (ISO times, numbers). */
export const TICK_COLUMNS = `zone, market,
  ${isoUtc("interval_start")} AS interval_start, ${isoUtc("interval_end")} AS interval_end,
  lmp::float8 AS lmp, energy::float8 AS energy, congestion::float8 AS congestion, loss::float8 AS loss`;

/** The newest tick per zone and market. */
export async function latestTicks(q: Queryable, zones: readonly Iso[]): Promise<PriceTick[]> {
  return await q.query<PriceTick>(
    `SELECT DISTINCT ON (zone, market) ${TICK_COLUMNS}
       FROM market_prices WHERE zone = ANY($1::text[]) AND interval_start <= now()
      ORDER BY zone, market, interval_start DESC`,
    [zones],
  );
}

export interface HistoryQuery {
  zone: Iso;
  market: Market;
  from: Date;
  to: Date;
  limit: number;
  /** interval_start of the last row of the previous page (ISO). */
  after?: string;
}

/** Oldest first, keyset-paginated on interval_start. */
export async function history(q: Queryable, h: HistoryQuery): Promise<{ items: PriceTick[]; next: string | null }> {
  const rows = await q.query<PriceTick>(
    `SELECT ${TICK_COLUMNS} FROM market_prices
      WHERE zone = $1 AND market = $2 AND interval_start >= $3 AND interval_start < $4
        AND ($5::timestamptz IS NULL OR interval_start > $5::timestamptz)
      ORDER BY interval_start LIMIT $6`,
    [h.zone, h.market, h.from, h.to, h.after ?? null, h.limit + 1],
  );
  const more = rows.length > h.limit;
  const items = more ? rows.slice(0, h.limit) : rows;
  return { items, next: more ? items[items.length - 1].interval_start : null };
}

/**
 * Where an interrupted or outdated RT history resumes: the end of the least advanced zone's newest RT
 * interval (null when a zone has none). One index probe per zone.
 */
export async function rtHistoryEnd(db: Database, zones: readonly string[]): Promise<Date | null> {
  let least: Date | null = null;
  for (const zone of zones) {
    const [r] = await db.query<{ t: Date | null }>(
      `SELECT interval_end AS t FROM market_prices WHERE zone = $1 AND market = 'RT'
        ORDER BY interval_start DESC LIMIT 1`,
      [zone],
    );
    if (!r?.t) return null;
    const t = new Date(r.t);
    if (!least || t < least) least = t;
  }
  return least;
}
