/** The dashboard's queries: an organization's DA bids near today, DA and RT prices by hour, recent outcomes. */
import type { Queryable } from "../../db/database.ts";
import { isoUtc } from "../../db/sql.ts";

export interface PositionBid {
  asset_id: string;
  asset_name: string;
  zone: string;
  interval_start: string;
  interval_end: string;
  side: "offer" | "bid";
  status: "draft" | "submitted" | "cleared" | "settled";
  awarded_mw: number | null;
  clearing_price: number | null;
}

/** The organization's live and pending DA bids of its assets delivering in [from, to) (virtual bids have none). */
export function positionBids(q: Queryable, orgId: string, from: Date, to: Date): Promise<PositionBid[]> {
  return q.query<PositionBid>(
    `SELECT b.asset_id, a.name AS asset_name, b.zone, ${isoUtc("b.interval_start")} AS interval_start,
            ${isoUtc("b.interval_end")} AS interval_end, b.side, b.status, b.awarded_mw::float8 AS awarded_mw,
            b.clearing_price::float8 AS clearing_price
       FROM bids b JOIN assets a ON a.id = b.asset_id
      WHERE b.org_id = $1 AND b.market = 'DA' AND b.status IN ('draft', 'submitted', 'cleared', 'settled')
        AND b.interval_start >= $2 AND b.interval_start < $3
      ORDER BY a.name, b.asset_id, b.interval_start`,
    [orgId, from, to],
  );
}

export interface HourPrices {
  zone: string;
  /** Hour start, epoch ms. */
  start: number;
  da: number | null;
  /** Mean of the hour's RT intervals so far (null: none yet). */
  rt: number | null;
}

/** DA price and mean RT price per zone and hour starting in [from, to). */
export function hourlyPrices(q: Queryable, from: Date, to: Date): Promise<HourPrices[]> {
  return q.query<HourPrices>(
    `WITH rt AS (
       SELECT zone, date_trunc('hour', interval_start) AS h, avg(lmp)::float8 AS rt FROM market_prices
        WHERE market = 'RT' AND interval_start >= $1 AND interval_start < $2 GROUP BY 1, 2),
     da AS (
       SELECT zone, interval_start AS h, lmp::float8 AS da FROM market_prices
        WHERE market = 'DA' AND interval_start >= $1 AND interval_start < $2)
     SELECT coalesce(da.zone, rt.zone) AS zone, (extract(epoch FROM coalesce(da.h, rt.h)) * 1000)::float8 AS start,
            da.da, rt.rt
       FROM da FULL JOIN rt ON rt.zone = da.zone AND rt.h = da.h
      ORDER BY 1, 2`,
    [from, to],
  );
}

export interface OutcomeRow {
  at: string;
  bid_id: string;
  asset_name: string;
  zone: string;
  market: "DA" | "RT";
  interval_start: string;
  interval_end: string;
  status: "cleared" | "rejected" | "settled";
  awarded_mw: number | null;
  clearing_price: number | null;
  revenue: number | null;
  reject_reason: string | null;
}

/** The organization's latest market outcomes (bid cleared, rejected, settled), newest first. */
export function latestOutcomes(q: Queryable, orgId: string, limit: number): Promise<OutcomeRow[]> {
  return q.query<OutcomeRow>(
    `SELECT ${isoUtc("e.at")} AS at, b.id AS bid_id,
            coalesce(a.name, 'Virtual ' || upper(b.side) || ' ' || b.location) AS asset_name, b.zone, b.market,
            ${isoUtc("b.interval_start")} AS interval_start, ${isoUtc("b.interval_end")} AS interval_end,
            e.to_status AS status, b.awarded_mw::float8 AS awarded_mw, b.clearing_price::float8 AS clearing_price,
            b.revenue::float8 AS revenue, b.reject_reason
       FROM bid_events e JOIN bids b ON b.id = e.bid_id LEFT JOIN assets a ON a.id = b.asset_id
      WHERE e.org_id = $1 AND e.to_status IN ('cleared', 'rejected', 'settled')
        AND e.from_status IS DISTINCT FROM e.to_status
      ORDER BY e.id DESC LIMIT $2`,
    [orgId, limit],
  );
}
