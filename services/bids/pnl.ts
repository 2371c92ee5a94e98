/**
 * Profit and loss of settled bids, grouped by asset, zone, UTC day, operating day (each bid's day on its
 * zone's market clock, as traders count them) or kind. Offers earn (+), bids pay (−). Virtual bids have their
 * own line (`by_kind.virtual`; grouped by asset, each location is a row "Virtual · WESTERN HUB"), and their fees
 * (`fees`) are already out of `revenue`.
 */
import type { Queryable } from "../../db/database.ts";
import { ISOS, ZONES } from "../market/zones.ts";

export interface PnlRow {
  key: string;
  label: string;
  bids: number;
  awarded_mwh: number;
  da_revenue: number;
  rt_revenue: number;
  /** Virtual bids' per-MWh fees, $ (≥ 0; `revenue` = day-ahead + real-time − fees). */
  fees: number;
  revenue: number;
}

export type PnlTotal = Omit<PnlRow, "key" | "label">;

const GROUPS = {
  asset: {
    key: "coalesce(b.asset_id::text, 'virtual:' || b.zone || ':' || b.location)",
    label: "coalesce(a.name, 'Virtual · ' || b.location)",
  },
  kind: { key: "b.kind", label: "CASE b.kind WHEN 'virtual' THEN 'Virtual (INC/DEC)' ELSE 'Physical' END" },
  zone: { key: "b.zone", label: "b.zone" },
  day: {
    key: "to_char(b.interval_start AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    label: "to_char(b.interval_start AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
  },
  market_day: { key: operatingDaySql(), label: operatingDaySql() },
} as const;

/** The bid's operating day in SQL: its start on the zone's market clock (the zone list is ours, not input). */
function operatingDaySql(): string {
  const tz = `CASE b.zone ${ISOS.map((z) => `WHEN '${z}' THEN '${ZONES[z].timeZone}'`).join(" ")} ELSE 'UTC' END`;
  return `to_char(b.interval_start AT TIME ZONE (${tz}), 'YYYY-MM-DD')`;
}

export async function pnl(
  q: Queryable,
  orgId: string,
  f: { from: Date | string; to: Date | string; groupBy: keyof typeof GROUPS; asset_id?: string },
): Promise<{ items: PnlRow[]; total: PnlTotal; by_kind: { physical: PnlTotal; virtual: PnlTotal } }> {
  const g = GROUPS[f.groupBy];
  const items = await q.query<PnlRow>(
    `SELECT ${g.key} AS key, min(${g.label}) AS label, count(*)::int AS bids,
            round(sum(b.awarded_mw * extract(epoch FROM b.interval_end - b.interval_start) / 3600), 4)::float8
              AS awarded_mwh,
            round(sum(b.da_revenue), 2)::float8 AS da_revenue, round(sum(b.rt_revenue), 2)::float8 AS rt_revenue,
            round(coalesce(sum(b.fee), 0), 2)::float8 AS fees, round(sum(b.revenue), 2)::float8 AS revenue
       FROM bids b LEFT JOIN assets a ON a.id = b.asset_id
      WHERE b.org_id = $1 AND b.status = 'settled' AND b.interval_start >= $2 AND b.interval_start < $3
        AND ($4::uuid IS NULL OR b.asset_id = $4::uuid)
      GROUP BY 1 ORDER BY 1`,
    [orgId, f.from, f.to, f.asset_id ?? null],
  );
  // The kinds' lines in the same range, whatever the grouping.
  const kinds = g === GROUPS.kind ? items : (await pnl(q, orgId, { ...f, groupBy: "kind" })).items;
  const line = (k: string) => totalOf(kinds.filter((r) => r.key === k));
  return { items, total: totalOf(items), by_kind: { physical: line("physical"), virtual: line("virtual") } };
}

function totalOf(items: readonly PnlRow[]): PnlTotal {
  // Money to the cent, energy to the fraction of a MWh the rows carry.
  const sum = (k: keyof PnlTotal, scale = 100) => Math.round(items.reduce((s, r) => s + r[k], 0) * scale) / scale;
  return {
    bids: sum("bids", 1),
    awarded_mwh: sum("awarded_mwh", 10_000),
    da_revenue: sum("da_revenue"),
    rt_revenue: sum("rt_revenue"),
    fees: sum("fees"),
    revenue: sum("revenue"),
  };
}

/**
 * What deviating from day-ahead positions earned (+) or cost (−): the real-time revenue of settled DA
 * bids, which is their metered deviation at the RT price (services/bids/deviation.ts).
 */
export async function deviationRevenue(
  q: Queryable,
  orgId: string,
  f: { from: Date | string; to: Date | string; asset_id: string },
): Promise<{ bids: number; revenue: number }> {
  const [row] = await q.query<{ bids: number; revenue: number }>(
    `SELECT count(*)::int AS bids, round(coalesce(sum(b.rt_revenue), 0), 2)::float8 AS revenue
       FROM bids b
      WHERE b.org_id = $1 AND b.asset_id = $2 AND b.market = 'DA' AND b.status = 'settled'
        AND b.interval_start >= $3 AND b.interval_start < $4`,
    [orgId, f.asset_id, f.from, f.to],
  );
  return row;
}
