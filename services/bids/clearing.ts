/**
 * Clearing and settlement as pure functions of bids and prices.
 *
 * Clearing is price-taking: OptiBid's bids are too small to move an ISO's price, so a bid clears against
 * the LMP the market published for its zone, market and interval. Every awarded MW is paid the LMP
 * (uniform pricing), whatever the segment's own price.
 *
 * Sign convention for money and positions: a position is signed MW of net injection — positive when the
 * asset sells (an offer's award, generation, storage discharging), negative when it buys (a bid's award,
 * storage charging). Revenue = signed MW × hours × $/MWh, so selling earns + and buying pays −, and a
 * negative LMP turns both around (a seller pays, a buyer is paid), as it does on an ISO statement.
 */
import type { Market } from "../market/types.ts";
import type { Iso } from "../market/zones.ts";
import type { BidSide } from "./schema.ts";

export interface ClearingSegment {
  price: number;
  quantity: number;
}

export interface ClearableBid {
  side: BidSide;
  segments: readonly ClearingSegment[];
}

export interface ClearingResultOne {
  /** MW awarded (≥ 0, unsigned: the bid's side says which way it flows). */
  awarded_mw: number;
  /** The price every awarded MW is paid: the LMP. */
  price: number;
}

/**
 * Awards carry at most the 3–4 decimals quantities are stored with; rounding to a millionth of a MW
 * removes float noise from sums (0.1 + 0.2) and changes nothing a user entered.
 */
const roundMw = (mw: number) => Math.round(mw * 1e6) / 1e6;

/**
 * An offer is awarded the MW of its segments priced at or below the LMP (it is willing to sell there); a
 * bid the MW of its segments priced at or above it (willing to buy). A segment exactly at the LMP is in:
 * the marginal unit is dispatched. All segments are summed rather than stopping at the first one out of
 * the money, so an unsorted curve (an old row, a hand-written test) still clears by its prices.
 */
export function clearBid(bid: ClearableBid, lmp: number): ClearingResultOne {
  return { awarded_mw: awardedMw(bid, lmp), price: lmp };
}

function awardedMw(bid: ClearableBid, lmp: number): number {
  const segs = bid.segments;
  let mw = 0;
  if (bid.side === "offer") {
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      if (s.price <= lmp) mw += s.quantity;
    }
  } else {
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      if (s.price >= lmp) mw += s.quantity;
    }
  }
  return roundMw(mw);
}

// ---------------------------------------------------------------------------------------------------
// Many bids. Not on the request path: the clearing job (clearing_job.ts) joins each bid with its price in
// SQL and calls `clearBid`. `clearBids` and `clearColumns` clear in bulk, in memory (bench/clearing.ts,
// backtests over price files: tests/unit/bids_pjm_prices_test.ts); their tests check them against
// `clearBid`, the reference rule.

export interface ClearingBid extends ClearableBid {
  id: string;
  zone: Iso;
  market: Market;
  /** ISO-8601 string or a Date (as a timestamptz column comes back from the database). */
  interval_start: string | Date;
}

export interface Award extends ClearingResultOne {
  bid_id: string;
}

export interface ClearingOutcome {
  awards: Award[];
  /** Bids whose interval has no (finite) price yet: not cleared, to be retried when the price is in. */
  unpriced: ClearingBid[];
}

/** A price map, or a function answering by zone, market and interval start (ISO string, UTC, with ms). */
export type PriceSource =
  | ReadonlyMap<string, number>
  | ((zone: Iso, market: Market, intervalStart: string) => number | undefined);

/**
 * The key of a price in a `PriceSource` map. Built from the instant, not the string, so that
 * "2025-07-01T14:00:00Z", "…00.000Z" and "2025-07-01T10:00:00-04:00" are the same interval.
 */
export function priceKey(zone: Iso, market: Market, intervalStart: string | Date | number): string {
  const t = typeof intervalStart === "number"
    ? intervalStart
    : typeof intervalStart === "string"
    ? Date.parse(intervalStart)
    : intervalStart.getTime();
  if (!Number.isFinite(t)) throw new RangeError(`not a date-time: ${String(intervalStart)}`);
  return `${zone}|${market}|${t}`;
}

/**
 * Clears each bid against the price of its interval. Work is one pass over the segments plus one price
 * look-up per distinct (zone, market, interval_start) — memoised by the interval_start as given, since
 * parsing a date and building a key per bid cost more than clearing its ten segments — and no
 * allocation per segment.
 */
export function clearBids(bids: readonly ClearingBid[], prices: PriceSource): ClearingOutcome {
  const awards: Award[] = [];
  const unpriced: ClearingBid[] = [];
  // zone+market → interval_start (the string, or a Date's ms) → LMP, NaN when there is none.
  const memo = new Map<string, Map<string | number, number>>();
  let lastGroup = "", group: Map<string | number, number> | undefined;
  for (let b = 0; b < bids.length; b++) {
    const bid = bids[b];
    const groupKey = bid.zone + bid.market;
    if (groupKey !== lastGroup || !group) {
      group = memo.get(groupKey);
      if (!group) memo.set(groupKey, group = new Map());
      lastGroup = groupKey;
    }
    const raw = bid.interval_start;
    const startKey = typeof raw === "string" ? raw : raw.getTime();
    let lmp = group.get(startKey);
    if (lmp === undefined) {
      lmp = lookUp(prices, bid) ?? NaN;
      group.set(startKey, lmp);
    }
    // A NaN or missing price must not clear as "nothing awarded": the interval is simply not priced yet.
    if (!Number.isFinite(lmp)) {
      unpriced.push(bid);
      continue;
    }
    awards.push({ bid_id: bid.id, awarded_mw: awardedMw(bid, lmp), price: lmp });
  }
  return { awards, unpriced };
}

function lookUp(prices: PriceSource, bid: ClearingBid): number | undefined {
  const t = typeof bid.interval_start === "string" ? Date.parse(bid.interval_start) : bid.interval_start.getTime();
  if (!Number.isFinite(t)) throw new RangeError(`bid ${bid.id}: not a date-time: ${String(bid.interval_start)}`);
  if (typeof prices === "function") return prices(bid.zone, bid.market, new Date(t).toISOString());
  return prices.get(priceKey(bid.zone, bid.market, t));
}

/**
 * Bids in columns, for bulk clearing (backtests, the benchmark): bid b owns segments
 * `start[b] .. start[b+1]-1` of `price` and `quantity`; `side[b]` is 0 for an offer, 1 for a bid.
 */
export interface SegmentColumns {
  start: Uint32Array;
  price: Float64Array;
  quantity: Float64Array;
  side: Uint8Array;
}

/**
 * `clearBid` over columns: `lmp[b]` is bid b's price; the award in MW goes to `out[b]` (NaN where the
 * price is not finite: unpriced). The same rule as `clearBid`, in typed arrays and one loop.
 */
export function clearColumns(cols: SegmentColumns, lmp: Float64Array, out = new Float64Array(cols.side.length)) {
  const { start, price, quantity, side } = cols;
  const n = side.length;
  if (start.length !== n + 1 || lmp.length !== n || out.length !== n) {
    throw new RangeError(
      `columns disagree: ${n} bids, ${start.length} starts, ${lmp.length} prices, ${out.length} outputs`,
    );
  }
  for (let b = 0; b < n; b++) {
    const p = lmp[b];
    if (!Number.isFinite(p)) {
      out[b] = NaN;
      continue;
    }
    let mw = 0;
    const end = start[b + 1];
    if (side[b] === 0) {
      for (let i = start[b]; i < end; i++) if (price[i] <= p) mw += quantity[i];
    } else {
      for (let i = start[b]; i < end; i++) if (price[i] >= p) mw += quantity[i];
    }
    out[b] = roundMw(mw);
  }
  return out;
}

/** Signed net injection of an award: + for an offer (selling), − for a bid (buying). */
export function signedMw(side: BidSide, mw: number): number {
  return side === "offer" ? mw : -mw;
}

// ---------------------------------------------------------------------------------------------------
// Two-settlement

/** $; see the sign convention at the top. Not rounded: round once, on the statement, not per interval. */
export interface Settlement {
  da_revenue: number;
  rt_revenue: number;
  total: number;
}

export interface RtInterval {
  /** Real-time price of the interval, $/MWh. */
  rtLmp: number;
  /** Length of the interval in hours (5 minutes = 5/60). */
  hours: number;
  /** Metered (or forecast) net injection, signed MW. Wins over `rtAwardMw` when both are given. */
  actualMw?: number;
  /** Signed MW awarded in the RT market, taken as delivered when no `actualMw` is given. */
  rtAwardMw?: number;
}

function finite(name: string, v: number): number {
  if (!Number.isFinite(v)) throw new RangeError(`${name} must be a finite number, got ${v}`);
  return v;
}

/**
 * Two-settlement, as the ISOs run it: the DA position is paid at the DA LMP for its hours; every
 * real-time interval settles the deviation from it, (actual − DA) × RT LMP × hours. "Actual" is the
 * metered injection when known; otherwise the DA position plus any RT award (an RT award is a position
 * taken in real time, delivered as awarded). So an RT-only bid earns its award × RT LMP, and a DA seller
 * who under-delivers buys the shortfall back at the RT price.
 */
export function settle(
  da: { daAwardMw: number; daLmp: number; daHours?: number },
  rt: readonly RtInterval[],
): Settlement {
  const daMw = finite("daAwardMw", da.daAwardMw);
  const daHours = finite("daHours", da.daHours ?? 1);
  // No DA position: its price does not matter (and may not exist, for an RT-only bid).
  const daRevenue = daMw === 0 ? 0 : daMw * finite("daLmp", da.daLmp) * daHours;
  let rtRevenue = 0;
  for (let i = 0; i < rt.length; i++) {
    const r = rt[i];
    const hours = finite(`rt[${i}].hours`, r.hours);
    if (hours <= 0) throw new RangeError(`rt[${i}].hours must be positive, got ${hours}`);
    const actual = r.actualMw !== undefined
      ? finite(`rt[${i}].actualMw`, r.actualMw)
      : daMw + (r.rtAwardMw === undefined ? 0 : finite(`rt[${i}].rtAwardMw`, r.rtAwardMw));
    const deviation = actual - daMw;
    if (deviation !== 0) rtRevenue += deviation * finite(`rt[${i}].rtLmp`, r.rtLmp) * hours;
  }
  return { da_revenue: daRevenue, rt_revenue: rtRevenue, total: daRevenue + rtRevenue };
}
