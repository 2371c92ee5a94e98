/**
 * Settlement of one cleared bid from the data the clearing job loads: its award, the real-time prices
 * of its interval and, for a day-ahead position, the asset's meter readings and its other awards. Pure:
 * the same data always settles to the same money, so a settlement can be recomputed and tested by hand.
 *
 * What "delivered" means (the two-settlement rule): an RT award is taken as delivered; a DA
 * position is compared with what the meter says. In each RT interval the asset's imbalance is
 * metered − scheduled, scheduled being every award the asset holds there (its DA positions and RT
 * awards, which their own bids already settle), so RT energy is not paid twice. The imbalance is paid at
 * the RT LMP and carried by the interval's DA bids in proportion to their awarded MW (storage may hold an
 * offer and a bid in one hour). The part of an interval no reading covers counts as delivered.
 */
import { settle, type Settlement, signedMw } from "./clearing.ts";
import type { BidSide } from "./schema.ts";

/** Signed MW over [start, end) (epoch ms): a meter reading, or another award of the asset. */
export interface TimedMw {
  start: number;
  end: number;
  mw: number;
}

export interface RtPrice {
  start: number;
  end: number;
  lmp: number;
}

export interface ClearedBid {
  market: "DA" | "RT";
  side: BidSide;
  /** Unsigned, as the bid stores it. */
  awardedMw: number;
  clearingPrice: number;
  start: number;
  end: number;
}

export interface Metering {
  readings: readonly TimedMw[];
  /** The asset's other cleared or settled awards overlapping the bid, signed, by market. */
  others: readonly (TimedMw & { market: "DA" | "RT" })[];
}

/** One RT interval of a DA position as settled: what the meter said, and this bid's part of the imbalance. */
export interface IntervalUse {
  start: string;
  rt_lmp: number;
  /** The asset's average metered MW over the part of the interval readings cover; null: none did. */
  actual_mw: number | null;
  /** This bid's deviation (MW over the whole interval), settled at `rt_lmp`. */
  deviation_mw: number;
}

export interface BidSettlement extends Settlement {
  /** RT intervals of a DA bid with a reading in them; 0 for an RT bid. */
  metered_intervals: number;
  rt_intervals: number;
  /** This bid's deviation energy, MWh (0 when nothing was metered). */
  deviation_mwh: number;
  /** Per RT interval, only when a reading was used: what the history shows. */
  intervals: IntervalUse[] | null;
}

const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));

const round4 = (v: number) => Math.round(v * 10_000) / 10_000;

export function settleBid(bid: ClearedBid, rt: readonly RtPrice[], metering: Metering): BidSettlement {
  const own = signedMw(bid.side, bid.awardedMw);
  const hoursOf = (p: RtPrice) => (p.end - p.start) / 3_600_000;
  if (bid.market === "RT") {
    const s = settle({ daAwardMw: 0, daLmp: 0 }, rt.map((p) => ({ rtLmp: p.lmp, hours: hoursOf(p), rtAwardMw: own })));
    return { ...s, metered_intervals: 0, rt_intervals: rt.length, deviation_mwh: 0, intervals: null };
  }

  const intervals: IntervalUse[] = [];
  let metered = 0;
  let deviationMwh = 0;
  const rtIntervals = rt.map((p) => {
    const ms = p.end - p.start;
    let coveredMs = 0;
    let meteredMwMs = 0;
    // Imbalance in MW·ms: metered minus every award the asset holds, over the parts readings cover.
    let imbalance = 0;
    for (const r of metering.readings) {
      const seg = { start: Math.max(r.start, p.start), end: Math.min(r.end, p.end) };
      const len = seg.end - seg.start;
      if (len <= 0) continue;
      coveredMs += len;
      meteredMwMs += r.mw * len;
      let scheduled = own * len;
      for (const o of metering.others) scheduled += o.mw * overlap(o, seg);
      imbalance += r.mw * len - scheduled;
    }
    if (coveredMs === 0) {
      intervals.push({ start: new Date(p.start).toISOString(), rt_lmp: p.lmp, actual_mw: null, deviation_mw: 0 });
      return { rtLmp: p.lmp, hours: hoursOf(p) };
    }
    let daMw = Math.abs(own);
    for (const o of metering.others) if (o.market === "DA" && overlap(o, p) > 0) daMw += Math.abs(o.mw);
    const deviation = (Math.abs(own) / daMw) * imbalance / ms;
    metered++;
    deviationMwh += deviation * hoursOf(p);
    intervals.push({
      start: new Date(p.start).toISOString(),
      rt_lmp: p.lmp,
      actual_mw: round4(meteredMwMs / coveredMs),
      deviation_mw: round4(deviation),
    });
    return { rtLmp: p.lmp, hours: hoursOf(p), actualMw: own + deviation };
  });
  const s = settle(
    { daAwardMw: own, daLmp: bid.clearingPrice, daHours: (bid.end - bid.start) / 3_600_000 },
    rtIntervals,
  );
  return {
    ...s,
    metered_intervals: metered,
    rt_intervals: rt.length,
    deviation_mwh: round4(deviationMwh),
    intervals: metered ? intervals : null,
  };
}
