/**
 * The battery-arbitrage strategy's day: the optimiser's schedule for the storage asset at the zone's live
 * forecast (services/optimize, the same path as the asset page's Optimise), as DA curves. No forecast yet,
 * or an idle optimum, is a plan that makes nothing, with the reason.
 */
import type { Queryable } from "../../db/database.ts";
import { DomainError } from "../errors.ts";
import { optimiseAsset } from "../optimize/actions.ts";
import type { Plan } from "./plan.ts";
import type { batteryArbitrageParams } from "./schema.ts";
import type { z } from "zod";

export async function arbitragePlan(
  q: Queryable,
  orgId: string,
  assetId: string,
  date: string,
  params: z.infer<typeof batteryArbitrageParams>,
  now: Date,
): Promise<Plan> {
  try {
    const result = await optimiseAsset(q, orgId, assetId, { ...params, delivery_date: date }, now);
    if (!result.curves.length) return { nothing: "the optimal schedule leaves the battery idle all day" };
    return { bids: result.curves };
  } catch (e) {
    // The optimiser's refusals (no forecast yet, infeasible settings) are why this day makes nothing.
    if (e instanceof DomainError && (e.kind === "unprocessable" || e.kind === "invalid")) return { nothing: e.message };
    throw e;
  }
}
