/**
 * Clears and settles bids as prices arrive. A submitted bid clears when the
 * price of its own zone, market and interval is in market_prices (for DA:
 * once the zone's results for the day are published); a cleared bid settles
 * once its interval is over and the real-time prices covering it are in.
 *
 * The job only loads data: what a settlement comes to is the pure
 * `settleBid` (deviation.ts): an RT award at the RT price, a DA position at
 * the DA price plus its metered deviation at the RT price. Each bid moves in
 * its own transaction with the version check of `transition`, so a bid
 * withdrawn or settled meanwhile is simply skipped.
 */
import type { Database, Queryable } from "../../db/database.ts";
import { log } from "../log/logger.ts";
import { clearBid } from "./clearing.ts";
import { type Metering, type RtPrice, settleBid } from "./deviation.ts";
import type { BidSide, Segment } from "./schema.ts";
import { transition } from "./store.ts";
import { clearVirtuals, settleVirtuals } from "./virtual_job.ts";

export const SYSTEM = { system: "clearing" };
const BATCH = 500;

interface Pending {
  id: string;
  org_id: string;
  version: number;
  side: BidSide;
  segments: { price: number; quantity: number }[];
  lmp: number;
}

export async function clearSubmitted(db: Database): Promise<number> {
  const rows = await db.query<Pending>(
    `SELECT b.id, b.org_id, b.version, b.side, b.segments, p.lmp::float8 AS lmp
       FROM bids b JOIN market_prices p
         ON p.zone = b.zone AND p.market = b.market AND p.interval_start = b.interval_start
      WHERE b.status = 'submitted' AND b.kind = 'physical' ORDER BY b.interval_start LIMIT $1`,
    [BATCH],
  );
  let n = 0;
  for (const b of rows) {
    if (await recordClearing(db, b)) n++;
  }
  return n;
}

/**
 * Clears one submitted bid (either kind; `side` as clearing takes it) against `lmp`: cleared with its award,
 * or rejected when no segment is in the money. false: the bid changed meanwhile (it is someone else's now).
 */
export async function recordClearing(
  db: Database,
  b: { id: string; org_id: string; version: number; side: BidSide; segments: Segment[]; lmp: number },
): Promise<boolean> {
  const award = clearBid({ side: b.side, segments: b.segments }, b.lmp);
  const to = award.awarded_mw > 0 ? "cleared" : "rejected";
  try {
    await db.transaction((tx) =>
      transition(tx, b.org_id, b.id, ["submitted"], to, SYSTEM, {
        expectedVersion: b.version,
        set: to === "cleared"
          ? { awarded_mw: award.awarded_mw, clearing_price: b.lmp, cleared_at: new Date() }
          : { awarded_mw: 0, clearing_price: b.lmp, reject_reason: `no segment in the money at $${b.lmp}/MWh` },
        details: { awarded_mw: award.awarded_mw, clearing_price: b.lmp },
      })
    );
    return true;
  } catch (e) {
    if ((e as { status?: number }).status !== 409) throw e; // changed meanwhile: it is someone else's now
    return false;
  }
}

interface Cleared {
  id: string;
  org_id: string;
  asset_id: string;
  version: number;
  side: BidSide;
  market: "DA" | "RT";
  awarded_mw: number;
  clearing_price: number;
  start: number;
  end: number;
  rt: RtPrice[];
}

/**
 * How long after its hour a DA position of a metered asset waits for the readings that complete it. An
 * asset that reports meter data pushes it per interval (telemetry), so a reading later than this is a
 * meter fault: the hour settles with what it has, the rest as delivered, rather than keep the P&L open.
 */
export const METER_WAIT_MINUTES = 120;

const ms = (col: string) => `(extract(epoch FROM ${col}) * 1000)::float8`;

export async function settleCleared(db: Database): Promise<number> {
  // A DA bid settles once its interval is over and every RT price of it is in, and — when its asset
  // reports meter data — once readings cover the hour or METER_WAIT_MINUTES have passed. Waiting bids are
  // left out here, not skipped below, so they never fill the batch and hold up the others.
  const rows = await db.query<Cleared>(
    `SELECT b.id, b.org_id, b.asset_id, b.version, b.side, b.market, b.awarded_mw::float8 AS awarded_mw,
            b.clearing_price::float8 AS clearing_price, ${ms("b.interval_start")} AS start,
            ${ms("b.interval_end")} AS "end",
            coalesce(json_agg(json_build_object('start', ${ms("p.interval_start")}, 'end', ${ms("p.interval_end")},
                                                'lmp', p.lmp::float8)
                     ORDER BY p.interval_start) FILTER (WHERE p.zone IS NOT NULL), '[]') AS rt
       FROM bids b LEFT JOIN market_prices p
         ON p.zone = b.zone AND p.market = 'RT' AND p.interval_start >= b.interval_start
        AND p.interval_end <= b.interval_end
      WHERE b.status = 'cleared' AND b.kind = 'physical' AND b.interval_end <= now()
        AND (b.market = 'RT' OR b.interval_end <= now() - make_interval(mins => $2)
             OR NOT EXISTS (SELECT 1 FROM meter_readings m WHERE m.org_id = b.org_id AND m.asset_id = b.asset_id)
             OR (SELECT sum(extract(epoch FROM least(m.interval_end, b.interval_end)
                                               - greatest(m.interval_start, b.interval_start)))
                   FROM meter_readings m
                  WHERE m.org_id = b.org_id AND m.asset_id = b.asset_id AND m.interval_start < b.interval_end
                    AND m.interval_start > b.interval_start - interval '1 hour' AND m.interval_end > b.interval_start)
                >= extract(epoch FROM b.interval_end - b.interval_start))
      GROUP BY b.id ORDER BY b.interval_end LIMIT $1`,
    [BATCH, METER_WAIT_MINUTES],
  );
  let n = 0;
  for (const b of rows) {
    const covered = b.rt.reduce((m, r) => m + (r.end - r.start), 0);
    if (covered < b.end - b.start) continue; // the RT prices of the interval are not all in yet
    try {
      const settled = await db.transaction(async (tx) => {
        const metering = b.market === "DA" ? await loadMetering(tx, b) : { readings: [], others: [] };
        if (!metering) return false; // changed since the batch was read: the next pass sees it as it is now
        const s = settleBid(
          {
            market: b.market,
            side: b.side,
            awardedMw: b.awarded_mw,
            clearingPrice: b.clearing_price,
            start: b.start,
            end: b.end,
          },
          b.rt,
          metering,
        );
        const round = (v: number) => Math.round(v * 10_000) / 10_000;
        const money = { revenue: round(s.total), da_revenue: round(s.da_revenue), rt_revenue: round(s.rt_revenue) };
        await transition(tx, b.org_id, b.id, ["cleared"], "settled", SYSTEM, {
          expectedVersion: b.version,
          set: { ...money, settled_at: new Date() },
          details: {
            ...money,
            awarded_mw: b.awarded_mw,
            clearing_price: b.clearing_price,
            ...(s.intervals
              ? {
                metered_intervals: s.metered_intervals,
                rt_intervals: s.rt_intervals,
                deviation_mwh: s.deviation_mwh,
                intervals: s.intervals,
              }
              : {}),
          },
        });
        return true;
      });
      if (settled) n++;
    } catch (e) {
      if ((e as { status?: number }).status !== 409) throw e;
    }
  }
  return n;
}

/**
 * The asset's readings and other awards over a DA bid's hour. The bid is locked first: a meter write
 * locks the DA bids it touches before it checks them (services/assets/meter_store.ts), so either it
 * commits before these reads see the readings, or it waits and then finds the bid settled. null: the bid
 * changed since the batch was read.
 */
async function loadMetering(tx: Queryable, b: Cleared): Promise<Metering | null> {
  const locked = await tx.query(
    `SELECT 1 FROM bids WHERE org_id = $1 AND id = $2 AND version = $3 AND status = 'cleared' FOR UPDATE`,
    [b.org_id, b.id, b.version],
  );
  if (!locked.length) return null;
  const [row] = await tx.query<Metering>(
    `SELECT
       (SELECT coalesce(json_agg(json_build_object('start', ${ms("m.interval_start")}, 'end', ${ms("m.interval_end")},
                                                   'mw', m.mw::float8)), '[]')
          FROM meter_readings m
         WHERE m.org_id = $1 AND m.asset_id = $2 AND m.interval_start < $4::timestamptz
           AND m.interval_start > $3::timestamptz - interval '1 hour'
           AND m.interval_end > $3::timestamptz) AS readings,
       (SELECT coalesce(json_agg(json_build_object('start', ${ms("o.interval_start")}, 'end', ${ms("o.interval_end")},
                                                   'market', o.market,
                                                   'mw', CASE o.side WHEN 'offer' THEN 1 ELSE -1 END
                                                         * o.awarded_mw::float8)), '[]')
          FROM bids o
         WHERE o.org_id = $1 AND o.asset_id = $2 AND o.id <> $5 AND o.status IN ('cleared', 'settled')
           AND o.interval_start < $4::timestamptz AND o.interval_end > $3::timestamptz) AS others`,
    [b.org_id, b.asset_id, new Date(b.start).toISOString(), new Date(b.end).toISOString(), b.id],
  );
  return row;
}

export function startClearingJob(opts: { db: () => Database; everyMs?: number; onChange?: () => void }) {
  let running: Promise<void> | null = null;
  const run = () => {
    running ??= (async () => {
      try {
        const cleared = await clearSubmitted(opts.db()) + await clearVirtuals(opts.db());
        const settled = await settleCleared(opts.db()) + await settleVirtuals(opts.db());
        if (cleared || settled) {
          log.info("bids cleared and settled", { cleared, settled });
          opts.onChange?.();
        }
      } catch (e) {
        log.warn("clearing pass failed; retrying", { error: e instanceof Error ? e.message : String(e) });
      }
    })().finally(() => (running = null));
    return running;
  };
  const timer = setInterval(run, opts.everyMs ?? 5_000);
  return {
    run,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
