/**
 * market_prices: batched, idempotent writes and the reads the API and pages need.
 * Prices are numeric in the table (exact cents) and float8 in answers (JSON numbers).
 */
import { isoUtc, pgArray } from "../../db/sql.ts";
import type { Database, Queryable } from "../../db/database.ts";
import type { Market, PriceTick } from "./types.ts";
import type { Iso } from "./zones.ts";

/** Rows per INSERT: parameters are arrays (unnest), so a batch is one statement with 9 parameters. */
export const WRITE_CHUNK = 5000;

/**
 * Upserts ticks. Within one call the last tick of a (zone, market, interval)
 * wins, as Postgres refuses to update one row twice in a statement.
 */
export async function writeTicks(q: Queryable, ticks: PriceTick[], source: string): Promise<number> {
  const unique = new Map<string, PriceTick>();
  for (const t of ticks) unique.set(`${t.zone}|${t.market}|${t.interval_start}`, t);
  const rows = [...unique.values()];
  for (let i = 0; i < rows.length; i += WRITE_CHUNK) {
    const chunk = rows.slice(i, i + WRITE_CHUNK);
    await q.query(
      `INSERT INTO market_prices (zone, market, interval_start, interval_end, lmp, energy, congestion, loss, source)
       SELECT z, m, s, e, l, en, c, lo, $9
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::numeric[], $6::numeric[],
                     $7::numeric[], $8::numeric[]) AS t(z, m, s, e, l, en, c, lo)
       ON CONFLICT (zone, market, interval_start) DO UPDATE
         SET interval_end = excluded.interval_end, lmp = excluded.lmp, energy = excluded.energy,
             congestion = excluded.congestion, loss = excluded.loss, source = excluded.source,
             ingested_at = now()`,
      [
        pgArray(chunk.map((t) => t.zone)),
        pgArray(chunk.map((t) => t.market)),
        pgArray(chunk.map((t) => t.interval_start)),
        pgArray(chunk.map((t) => t.interval_end)),
        pgArray(chunk.map((t) => t.lmp)),
        pgArray(chunk.map((t) => t.energy)),
        pgArray(chunk.map((t) => t.congestion)),
        pgArray(chunk.map((t) => t.loss)),
        source,
      ],
    );
  }
  return rows.length;
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

export async function countTicks(db: Database): Promise<number> {
  const [r] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM market_prices`);
  return r.n;
}
