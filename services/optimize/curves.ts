/**
 * A storage schedule as DA bids: per planned hour one curve — an offer for a discharge hour, a bid for
 * a charge hour, nothing for an idle one — priced so that the battery does not act when the real
 * price falls on the wrong side. Two prices per curve:
 *
 * - **Break-even** (all of the hour's MW clear above it for an offer, below it for a bid): the price
 *   at which the round trip stops paying. A MWh discharged was bought in the plan's charge hours, at
 *   most at the dearest of them, and cost 1/RTE MWh plus wear on both legs; selling below that loses
 *   money, so an offer never goes below it. Likewise a MWh charged is sold at the cheapest planned
 *   discharge hour at best, worth RTE of it minus wear; buying above that loses money. A day that
 *   only discharges (energy already stored) offers at the wear cost; one that only charges (to reach
 *   the required end state of charge) must charge, and bids at the zone's cap.
 * - **Quantile** (the hour's other share): the hour's 10 % quantile for an offer, its 90 % quantile
 *   for a bid. A real price beyond the forecast's band on the wrong side says the forecast missed the
 *   hour, so the battery does only part of what it planned there.
 *
 * Both are clamped so that the curve clears its planned MW when the real price equals the forecast
 * (the plan is what the battery does if the forecast is right), and within the zone's floor and cap.
 * Offer prices rise and bid prices fall along the curve, and quantities are rounded down to the
 * thousandth of a MW, so every curve passes `checkBid` (services/bids/schema.ts).
 */
import type { BidInput, Segment } from "../bids/schema.ts";
import { type Iso, ZONES } from "../market/zones.ts";
import type { ForecastHour, StoragePlan } from "./types.ts";

/** A DA bid ready for `createBids`: the asset's, one hour, one side. */
export type BidCurve = BidInput & { market: "DA" };

export interface CurveAsset {
  id: string;
  zone: Iso;
  round_trip_efficiency: number;
}

export interface CurveOptions {
  /** Share of an hour's MW priced at the quantile (the rest at break-even). Default 0.5. */
  quantileShare?: number;
}

const MIN_MW = 0.001;
const floorMw = (x: number) => Math.floor(x * 1000 + 1e-6) / 1000;
const cents = (x: number, dir: "down" | "up") =>
  (dir === "down" ? Math.floor(x * 100 + 1e-6) : Math.ceil(x * 100 - 1e-6)) / 100;

export function planToCurves(
  plan: StoragePlan,
  forecast: readonly ForecastHour[],
  asset: CurveAsset,
  options: CurveOptions = {},
): BidCurve[] {
  if (forecast.length !== plan.hours.length) {
    throw new RangeError(`the plan has ${plan.hours.length} hours, the forecast ${forecast.length}`);
  }
  const share = options.quantileShare ?? 0.5;
  const rte = asset.round_trip_efficiency;
  const k = plan.degradation_cost_per_mwh;
  const rules = ZONES[asset.zone];
  const clamp = (p: number) => Math.min(rules.offerCap, Math.max(rules.offerFloor, p));

  let dearestCharge = -Infinity, cheapestDischarge = Infinity;
  for (const h of plan.hours) {
    if (h.charge_mw >= MIN_MW) dearestCharge = Math.max(dearestCharge, h.price);
    if (h.discharge_mw >= MIN_MW) cheapestDischarge = Math.min(cheapestDischarge, h.price);
  }
  const offerBreakEven = Number.isFinite(dearestCharge) ? dearestCharge / rte + k / rte + k : k;
  const bidBreakEven = Number.isFinite(cheapestDischarge) ? cheapestDischarge * rte - k * rte - k : rules.offerCap;

  const curves: BidCurve[] = [];
  plan.hours.forEach((h, t) => {
    const f = forecast[t];
    const offer = h.discharge_mw >= MIN_MW;
    const mw = floorMw(offer ? h.discharge_mw : h.charge_mw);
    if (mw < MIN_MW) return;
    let segments: Segment[];
    if (offer) {
      const low = cents(clamp(Math.min(offerBreakEven, f.price)), "down");
      const high = cents(clamp(Math.min(Math.max(low, f.p10 ?? low), f.price)), "down");
      segments = split(mw, share, low, high);
    } else {
      const high = cents(clamp(Math.max(bidBreakEven, f.price)), "up");
      const low = cents(clamp(Math.max(Math.min(high, f.p90 ?? high), f.price)), "up");
      segments = split(mw, share, high, low);
    }
    curves.push({
      asset_id: asset.id,
      market: "DA",
      interval_start: new Date(Date.parse(h.start)).toISOString(),
      side: offer ? "offer" : "bid",
      segments,
    });
  });
  return curves;
}

/** [first price for mw·(1−share), second for the rest]; one segment when the prices agree or mw is tiny. */
function split(mw: number, share: number, first: number, second: number): Segment[] {
  const second_mw = floorMw(mw * share);
  const first_mw = floorMw(mw - second_mw);
  if (first === second || second_mw < MIN_MW || first_mw < MIN_MW) return [{ price: first, quantity: mw }];
  return [{ price: first, quantity: first_mw }, { price: second, quantity: second_mw }];
}
