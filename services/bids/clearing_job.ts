/**
 * Clears and settles bids as prices arrive. A submitted bid clears when the
 * price of its own zone, market and interval is in market_prices (for DA:
 * once the zone's results for the day are published); a cleared bid settles
 * once its interval is over and the real-time prices covering it are in.
 *
 * Settlement without meter data takes the award as delivered, so the
 * real-time deviation of a DA position is zero until actuals are recorded;
 * an RT award settles at the RT price. Each bid moves in its own transaction
 * with the version check of `transition`, so a bid withdrawn or settled
 * meanwhile is simply skipped.
 */
import type { Database } from "../../db/database.ts";
import { log } from "../log/logger.ts";
import { clearBid, settle, signedMw } from "./clearing.ts";
import type { BidSide } from "./schema.ts";
import { transition } from "./store.ts";

const SYSTEM = { system: "clearing" };
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
      WHERE b.status = 'submitted' ORDER BY b.interval_start LIMIT $1`,
    [BATCH],
  );
  let n = 0;
  for (const b of rows) {
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
      n++;
    } catch (e) {
      if ((e as { status?: number }).status !== 409) throw e; // changed meanwhile: it is someone else's now
    }
  }
  return n;
}

interface Cleared {
  id: string;
  org_id: string;
  version: number;
  side: BidSide;
  market: "DA" | "RT";
  awarded_mw: number;
  clearing_price: number;
  rt: { lmp: number; minutes: number }[];
}

export async function settleCleared(db: Database): Promise<number> {
  const rows = await db.query<Cleared>(
    `SELECT b.id, b.org_id, b.version, b.side, b.market, b.awarded_mw::float8 AS awarded_mw,
            b.clearing_price::float8 AS clearing_price,
            coalesce(json_agg(json_build_object('lmp', p.lmp::float8,
                     'minutes', extract(epoch FROM p.interval_end - p.interval_start) / 60)
                     ORDER BY p.interval_start) FILTER (WHERE p.zone IS NOT NULL), '[]') AS rt
       FROM bids b LEFT JOIN market_prices p
         ON p.zone = b.zone AND p.market = 'RT' AND p.interval_start >= b.interval_start
        AND p.interval_end <= b.interval_end
      WHERE b.status = 'cleared' AND b.interval_end <= now()
      GROUP BY b.id ORDER BY b.interval_end LIMIT $1`,
    [BATCH],
  );
  let n = 0;
  for (const b of rows) {
    const covered = b.rt.reduce((m, r) => m + r.minutes, 0);
    const length = b.market === "DA" ? 60 : 5;
    if (covered < length) continue; // the RT prices of the interval are not all in yet
    const mw = signedMw(b.side, b.awarded_mw);
    const s = b.market === "DA"
      ? settle({ daAwardMw: mw, daLmp: b.clearing_price }, b.rt.map((r) => ({ rtLmp: r.lmp, hours: r.minutes / 60 })))
      : settle({ daAwardMw: 0, daLmp: 0 }, b.rt.map((r) => ({ rtLmp: r.lmp, hours: r.minutes / 60, rtAwardMw: mw })));
    const round = (v: number) => Math.round(v * 10_000) / 10_000;
    try {
      await db.transaction((tx) =>
        transition(tx, b.org_id, b.id, ["cleared"], "settled", SYSTEM, {
          expectedVersion: b.version,
          set: {
            da_revenue: round(s.da_revenue),
            rt_revenue: round(s.rt_revenue),
            revenue: round(s.total),
            settled_at: new Date(),
          },
          details: { revenue: round(s.total), awarded_mw: b.awarded_mw, clearing_price: b.clearing_price },
        })
      );
      n++;
    } catch (e) {
      if ((e as { status?: number }).status !== 409) throw e;
    }
  }
  return n;
}

export function startClearingJob(opts: { db: () => Database; everyMs?: number; onChange?: () => void }) {
  let running: Promise<void> | null = null;
  const run = () => {
    running ??= (async () => {
      try {
        const cleared = await clearSubmitted(opts.db());
        const settled = await settleCleared(opts.db());
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
