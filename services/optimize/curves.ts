/**
 * A storage schedule as DA bids: per planned hour one curve — an offer for a discharge hour, a bid for
 * a charge hour, nothing for an idle one — priced so that the battery does not act when the real
 * price falls on the wrong side of its round trip, with "wrong" read off the forecast's quantiles:
 *
 * - An **offer** is priced at what the energy it sells cost, at the least: the energy was bought in the
 *   plan's charge hours, at most at the dearest of them, and 1/RTE MWh was bought per MWh sold, plus wear
 *   on both legs. The dearest charge hour's 10 % quantile stands for its price: a real price below that
 *   cost (p10 / RTE + wear) means the round trip lost money in all but the cheapest tenth of outcomes,
 *   so the battery keeps its energy.
 * - A **bid** likewise at what the energy it buys can be sold for, at the most: the cheapest planned
 *   discharge hour's 90 % quantile × RTE − wear. Above it the battery would buy what it cannot resell.
 *
 * Without quantiles the point forecast stands in for them. A day that only discharges (energy already
 * stored) offers at the wear cost; one that only charges (to reach the required end state of charge)
 * must charge, and bids at the zone's cap. Each price is clamped so that the curve clears its planned
 * MW when the real price equals the forecast (the plan is what the battery does if the forecast is
 * right), and within the zone's floor and cap. One segment per curve (all of the hour's MW share the
 * same reason to act or not), its quantity rounded down to the thousandth of a MW: every curve passes
 * `checkBid` (services/bids/schema.ts).
 *
 * Measured on three months of PJM prices (bench/storage_backtest.ts): splitting an hour's MW between
 * the break-even and the hour's own quantile (act less when the hour surprises) lost a third of the
 * revenue, because a half-filled charge leaves a later discharge award short, bought back at RT.
 */
import type { BidInput } from "../bids/schema.ts";
import { type Iso, ZONES } from "../market/zones.ts";
import type { ForecastHour, StoragePlan } from "./types.ts";

/** A DA bid ready for `createBids`: the asset's, one hour, one side. */
export type BidCurve = BidInput & { market: "DA" };

export interface CurveAsset {
  id: string;
  zone: Iso;
  round_trip_efficiency: number;
}

const MIN_MW = 0.001;
const floorMw = (x: number) => Math.floor(x * 1000 + 1e-6) / 1000;
const cents = (x: number, dir: "down" | "up") =>
  (dir === "down" ? Math.floor(x * 100 + 1e-6) : Math.ceil(x * 100 - 1e-6)) / 100;

export function planToCurves(
  plan: StoragePlan,
  forecast: readonly ForecastHour[],
  asset: CurveAsset,
): BidCurve[] {
  if (forecast.length !== plan.hours.length) {
    throw new RangeError(`the plan has ${plan.hours.length} hours, the forecast ${forecast.length}`);
  }
  const rte = asset.round_trip_efficiency;
  const k = plan.degradation_cost_per_mwh;
  const rules = ZONES[asset.zone];
  const clamp = (p: number) => Math.min(rules.offerCap, Math.max(rules.offerFloor, p));

  // The quantile that stands for each planned hour's price in the other leg's break-even.
  let dearestCharge = -Infinity, cheapestDischarge = Infinity;
  plan.hours.forEach((h, t) => {
    if (h.charge_mw >= MIN_MW) dearestCharge = Math.max(dearestCharge, forecast[t].p10 ?? h.price);
    if (h.discharge_mw >= MIN_MW) cheapestDischarge = Math.min(cheapestDischarge, forecast[t].p90 ?? h.price);
  });
  const offerBreakEven = Number.isFinite(dearestCharge) ? dearestCharge / rte + k / rte + k : k;
  const bidBreakEven = Number.isFinite(cheapestDischarge) ? cheapestDischarge * rte - k * rte - k : rules.offerCap;

  const curves: BidCurve[] = [];
  plan.hours.forEach((h, t) => {
    const f = forecast[t];
    const offer = h.discharge_mw >= MIN_MW;
    const mw = floorMw(offer ? h.discharge_mw : h.charge_mw);
    if (mw < MIN_MW) return;
    const price = offer
      ? cents(clamp(Math.min(offerBreakEven, f.price)), "down")
      : cents(clamp(Math.max(bidBreakEven, f.price)), "up");
    curves.push({
      asset_id: asset.id,
      market: "DA",
      interval_start: new Date(Date.parse(h.start)).toISOString(),
      side: offer ? "offer" : "bid",
      segments: [{ price, quantity: mw }],
    });
  });
  return curves;
}
