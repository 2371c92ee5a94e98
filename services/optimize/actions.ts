/**
 * Optimising a storage asset's delivery day, as the API and the asset page do it: the caller's asset
 * (another organization's is not found), the zone's latest stored DA forecast of that day
 * (services/forecast_live), the LP, the curves; and "Create bids": the same, then the curves as drafts
 * in one batch through the bid actions (all or nothing, each curve validated as any bid).
 */
import type { Queryable } from "../../db/database.ts";
import { getAsset } from "../assets/store.ts";
import { type ActionOptions, type BidDeps, type Caller, createBids, type Outcome } from "../bids/actions.ts";
import type { BidView } from "../bids/store.ts";
import { DomainError, invalid } from "../errors.ts";
import { forecastsAsOf } from "../forecast_live/store.ts";
import { localDayBounds } from "../market/clock.ts";
import { ZONES } from "../market/zones.ts";
import { type ForecastHour, optimiseStorage, planToCurves } from "./mod.ts";
import type { Optimisation, OptimiseRequest } from "./schemas.ts";

const HOUR = 3_600_000;

export async function optimiseAsset(
  db: Queryable,
  orgId: string,
  assetId: string,
  req: OptimiseRequest,
  now = new Date(),
): Promise<Optimisation> {
  const asset = await getAsset(db, orgId, assetId);
  if (asset.kind !== "storage") {
    throw invalid(`Only storage assets can be optimised; ${asset.name} is a ${asset.kind} asset`, {
      code: "not_storage",
    });
  }
  const zone = asset.zone;
  const [from, to] = localDayBounds(ZONES[zone].timeZone, req.delivery_date);
  const items = await forecastsAsOf(db, zone, new Date(from), new Date(to), now);
  const hours = Math.round((to - from) / HOUR);
  if (items.length < hours) {
    throw new DomainError(
      "unprocessable",
      `No complete DA price forecast for ${zone} on ${req.delivery_date} yet (${items.length} of ${hours} hours): ` +
        `the forecast job stores the next operating day's before its gate`,
      { code: "no_forecast" },
    );
  }
  const forecast: ForecastHour[] = items.map((i) => ({
    start: i.interval_start,
    price: i.p50,
    ...(i.p10 !== null && i.p90 !== null ? { p10: i.p10, p90: i.p90 } : {}),
  }));
  const socStart = req.soc_start ?? asset.min_soc!;
  const socEnd = req.soc_end ?? socStart;
  const params = {
    charge_mw: asset.charge_mw!,
    discharge_mw: asset.discharge_mw!,
    energy_mwh: asset.energy_mwh!,
    round_trip_efficiency: asset.round_trip_efficiency!,
    min_soc: asset.min_soc!,
    max_soc: asset.max_soc!,
  };
  const plan = await optimiseStorage({
    asset: params,
    forecast,
    soc_start: socStart,
    soc_end: socEnd,
    max_cycles: req.max_cycles,
    degradation_cost: req.degradation_cost,
  });
  const latest = items.reduce((a, b) => (a.made_at >= b.made_at ? a : b));
  return {
    asset_id: asset.id,
    zone,
    delivery_date: req.delivery_date,
    forecast: { run_id: latest.run_id, made_at: latest.made_at, model: latest.model },
    soc_start: socStart,
    soc_end: socEnd,
    max_cycles: req.max_cycles ?? null,
    degradation_cost: plan.degradation_cost_per_mwh,
    soc_start_mwh: plan.soc_start_mwh,
    energy_mwh: params.energy_mwh,
    hours: plan.hours.map((h, t) => ({
      start: h.start,
      price: h.price,
      p10: items[t].p10,
      p90: items[t].p90,
      charge_mw: h.charge_mw,
      discharge_mw: h.discharge_mw,
      soc_mwh: h.soc_mwh,
    })),
    expected_revenue: plan.expected_revenue,
    energy_revenue: plan.energy_revenue,
    degradation_total: plan.degradation_cost,
    cycles: plan.cycles,
    curves: planToCurves(plan, forecast, { id: asset.id, zone, round_trip_efficiency: params.round_trip_efficiency }),
  };
}

/** Optimises the day again (the forecast may be newer than what the caller saw) and writes its curves as drafts. */
export async function createOptimisedBids(
  deps: BidDeps,
  c: Caller,
  assetId: string,
  req: OptimiseRequest,
  opts: ActionOptions = {},
): Promise<Outcome<{ items: BidView[] }>> {
  const result = await optimiseAsset(deps.db, c.principal.orgId, assetId, req, deps.now?.() ?? new Date());
  if (!result.curves.length) {
    throw new DomainError("unprocessable", "The optimal schedule leaves the battery idle all day: no bids to create", {
      code: "nothing_to_bid",
    });
  }
  return await createBids(deps, c, { bids: result.curves }, opts);
}
