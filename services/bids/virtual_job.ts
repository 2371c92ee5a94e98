/**
 * The clearing job's part for virtual bids (called by clearing_job.ts on each pass). A virtual bid clears
 * against the DA price of its location and settles against the RT prices of the same hour: the location's
 * own prices (location_prices) or, for the zone's reference location (virtual_rules.ts), the zone's price
 * (market_prices). The arithmetic is the pure `settleVirtual` (virtual.ts); each bid moves in its own
 * transaction with `transition`'s version check, as physical bids do.
 */
import type { Database } from "../../db/database.ts";
import { ISOS } from "../market/zones.ts";
import { recordClearing, SYSTEM } from "./clearing_job.ts";
import { clearingSide, type Segment, type VirtualSide } from "./schema.ts";
import { transition } from "./store.ts";
import { settleVirtual } from "./virtual.ts";
import { referenceLocation, VIRTUAL_RULES } from "./virtual_rules.ts";

const BATCH = 500;

/** The zone's reference location in SQL (the list is ours, not input). */
function referenceSql(zone: string): string {
  const cases = ISOS.flatMap((z) => {
    const rules = VIRTUAL_RULES[z];
    return rules ? [`WHEN '${z}' THEN '${referenceLocation(rules).replaceAll("'", "''")}'`] : [];
  });
  return `CASE ${zone} ${cases.join(" ")} END`;
}

const ms = (col: string) => `(extract(epoch FROM ${col}) * 1000)::float8`;

export async function clearVirtuals(db: Database): Promise<number> {
  const rows = await db.query<
    { id: string; org_id: string; version: number; side: VirtualSide; segments: Segment[]; lmp: number }
  >(
    `SELECT b.id, b.org_id, b.version, b.side, b.segments,
            coalesce(lp.lmp, CASE WHEN b.location = ${referenceSql("b.zone")} THEN mp.lmp END)::float8 AS lmp
       FROM bids b
       LEFT JOIN location_prices lp ON lp.zone = b.zone AND lp.location = b.location AND lp.market = 'DA'
        AND lp.interval_start = b.interval_start
       LEFT JOIN market_prices mp ON mp.zone = b.zone AND mp.market = 'DA' AND mp.interval_start = b.interval_start
      WHERE b.status = 'submitted' AND b.kind = 'virtual'
        AND coalesce(lp.lmp, CASE WHEN b.location = ${referenceSql("b.zone")} THEN mp.lmp END) IS NOT NULL
      ORDER BY b.interval_start LIMIT $1`,
    [BATCH],
  );
  let n = 0;
  for (const b of rows) if (await recordClearing(db, { ...b, side: clearingSide(b.side) })) n++;
  return n;
}

interface ClearedVirtual {
  id: string;
  org_id: string;
  version: number;
  side: VirtualSide;
  awarded_mw: number;
  clearing_price: number;
  start: number;
  end: number;
  fee_per_mwh: number;
  own: { start: number; end: number; lmp: number }[];
  zonal: { start: number; end: number; lmp: number }[];
  reference: boolean;
}

const covers = (prices: { start: number; end: number }[], b: { start: number; end: number }) =>
  prices.reduce((m, r) => m + (r.end - r.start), 0) >= b.end - b.start;

export async function settleVirtuals(db: Database): Promise<number> {
  const rt = (table: string, extra: string) =>
    `(SELECT coalesce(json_agg(json_build_object('start', ${ms("p.interval_start")}, 'end', ${
      ms("p.interval_end")
    }, 'lmp', p.lmp::float8) ORDER BY p.interval_start), '[]')
        FROM ${table} p WHERE p.zone = b.zone AND p.market = 'RT' ${extra}
         AND p.interval_start >= b.interval_start AND p.interval_end <= b.interval_end)`;
  const rows = await db.query<ClearedVirtual>(
    `SELECT b.id, b.org_id, b.version, b.side, b.awarded_mw::float8 AS awarded_mw,
            b.clearing_price::float8 AS clearing_price, ${ms("b.interval_start")} AS start,
            ${ms("b.interval_end")} AS "end", coalesce(s.fee_per_mwh, 0)::float8 AS fee_per_mwh,
            ${rt("location_prices", "AND p.location = b.location")} AS own,
            CASE WHEN b.location = ${referenceSql("b.zone")} THEN ${rt("market_prices", "")} ELSE '[]' END AS zonal,
            b.location = ${referenceSql("b.zone")} AS reference
       FROM bids b LEFT JOIN virtual_settings s ON s.org_id = b.org_id
      WHERE b.status = 'cleared' AND b.kind = 'virtual' AND b.interval_end <= now()
      ORDER BY b.interval_end LIMIT $1`,
    [BATCH],
  );
  let n = 0;
  for (const b of rows) {
    const prices = covers(b.own, b) ? b.own : b.reference && covers(b.zonal, b) ? b.zonal : null;
    if (!prices) continue; // the RT prices of the hour are not all in yet
    const s = settleVirtual(
      { side: b.side, awardedMw: b.awarded_mw, daLmp: b.clearing_price, hours: (b.end - b.start) / 3_600_000 },
      prices.map((p) => ({ lmp: p.lmp, hours: (p.end - p.start) / 3_600_000 })),
      b.fee_per_mwh,
    );
    const round = (v: number) => Math.round(v * 10_000) / 10_000;
    const money = {
      revenue: round(s.total),
      da_revenue: round(s.da_revenue),
      rt_revenue: round(s.rt_revenue),
      fee: round(s.fee),
    };
    try {
      await db.transaction((tx) =>
        transition(tx, b.org_id, b.id, ["cleared"], "settled", SYSTEM, {
          expectedVersion: b.version,
          set: { ...money, settled_at: new Date() },
          details: {
            ...money,
            awarded_mw: b.awarded_mw,
            clearing_price: b.clearing_price,
            rt_intervals: prices.length,
          },
        })
      );
      n++;
    } catch (e) {
      if ((e as { status?: number }).status !== 409) throw e;
    }
  }
  return n;
}
