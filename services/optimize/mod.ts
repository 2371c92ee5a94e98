/**
 * Battery bid optimisation (pure but for the solver): a storage asset's best schedule for a delivery
 * day at forecast prices (lp.ts, a linear programme solved by HiGHS), and that schedule as DA curves
 * that pass the bid validation (curves.ts). Infeasible or malformed input is a DomainError `invalid`
 * (400) saying why.
 */
import { highs } from "./highs.ts";
import { solveStorageDay } from "./lp.ts";
import type { StorageDayInput, StoragePlan } from "./types.ts";

export type { ForecastHour, PlanHour, StorageDayInput, StorageParams, StoragePlan } from "./types.ts";
export { type BidCurve, type CurveAsset, planToCurves } from "./curves.ts";

/** The schedule that maximises the day's expected revenue at the forecast's point prices. */
export async function optimiseStorage(input: StorageDayInput): Promise<StoragePlan> {
  return solveStorageDay(await highs(), input);
}

/** The same, for many days or assets in a loop: the solver is loaded once, each solve is synchronous. */
export async function storageOptimiser(): Promise<(input: StorageDayInput) => StoragePlan> {
  const h = await highs();
  return (input) => solveStorageDay(h, input);
}
