/**
 * Portfolio analytics of one organization over [from, to): always on Postgres (bids live there), every
 * query scoped by the caller's org_id. Revenue groupings reuse the P&L (services/bids/pnl.ts).
 */
import type { Queryable } from "../../db/database.ts";
import { pnl } from "../bids/pnl.ts";
import type { PortfolioAnalytics } from "./schema.ts";

const BEST_WORST = 5;
const MWH = `b.awarded_mw * extract(epoch FROM b.interval_end - b.interval_start) / 3600`;

export async function portfolioAnalytics(
  q: Queryable,
  orgId: string,
  range: { from: Date; to: Date },
): Promise<PortfolioAnalytics> {
  const f = { from: range.from, to: range.to };
  const args = [orgId, range.from, range.to];
  const inRange = `b.org_id = $1 AND b.interval_start >= $2 AND b.interval_start < $3`;
  const [byAsset, byZone, byDay, capture, [clearing], batteries] = await Promise.all([
    pnl(q, orgId, { ...f, groupBy: "asset" }),
    pnl(q, orgId, { ...f, groupBy: "zone" }),
    pnl(q, orgId, { ...f, groupBy: "market_day" }),
    q.query<PortfolioAnalytics["capture"][number]>(
      `SELECT o.zone, o.mwh::float8 AS offered_mwh, o.revenue::float8 AS revenue,
              CASE WHEN o.mwh > 0 THEN (o.revenue / o.mwh)::float8 END AS capture_price,
              (SELECT avg(p.lmp)::float8 FROM market_prices p
                WHERE p.zone = o.zone AND p.market = 'DA' AND p.interval_start >= $2 AND p.interval_start < $3)
                AS twap
         FROM (SELECT b.zone, sum(${MWH}) AS mwh, sum(b.revenue) AS revenue FROM bids b
                WHERE ${inRange} AND b.status = 'settled' AND b.side = 'offer' GROUP BY b.zone) o
        ORDER BY o.zone`,
      args,
    ),
    q.query<PortfolioAnalytics["clearing"]>(
      `SELECT count(*)::int AS submitted, count(*) FILTER (WHERE b.awarded_mw > 0)::int AS cleared,
              CASE WHEN count(*) > 0 THEN (count(*) FILTER (WHERE b.awarded_mw > 0))::float8 / count(*) END
                AS clear_rate,
              coalesce(round(sum(${MWH}), 4), 0)::float8 AS cleared_mwh
         FROM bids b WHERE ${inRange} AND b.status IN ('cleared', 'settled')`,
      args,
    ),
    q.query<PortfolioAnalytics["batteries"][number]>(
      `SELECT a.id::text AS asset_id, a.name,
              coalesce(sum(${MWH}) FILTER (WHERE b.side = 'offer'), 0)::float8 AS discharged_mwh,
              (coalesce(sum(${MWH}) FILTER (WHERE b.side = 'offer'), 0) / a.energy_mwh)::float8 AS cycles,
              coalesce(round(sum(b.revenue), 2), 0)::float8 AS revenue,
              CASE WHEN coalesce(sum(${MWH}) FILTER (WHERE b.side = 'offer'), 0) > 0
                   THEN (sum(b.revenue) / (sum(${MWH}) FILTER (WHERE b.side = 'offer') / a.energy_mwh))::float8
              END AS revenue_per_cycle
         FROM assets a JOIN bids b ON b.asset_id = a.id AND ${inRange} AND b.status = 'settled'
        WHERE a.org_id = $1 AND a.kind = 'storage'
        GROUP BY a.id, a.name, a.energy_mwh ORDER BY a.name`,
      args,
    ),
  ]);
  const days = [...byDay.items];
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    totals: byAsset.total,
    by_asset: byAsset.items,
    by_zone: byZone.items,
    by_day: byDay.items,
    capture,
    clearing,
    batteries,
    best_days: days.sort((a, b) => b.revenue - a.revenue || a.key.localeCompare(b.key)).slice(0, BEST_WORST),
    worst_days: [...days].sort((a, b) => a.revenue - b.revenue || a.key.localeCompare(b.key)).slice(0, BEST_WORST),
  };
}
