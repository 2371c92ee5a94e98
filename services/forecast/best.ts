/**
 * Our best model: the LEAR ensemble (lear.ts, the paper's four windows) averaged with an ensemble of
 * walk-forward MLPs (mlp.ts) of several seeds — two model classes whose errors are less correlated
 * than two LEARs'. Every setting here was fixed on the validation period before the test period
 * (2016-09-06 … 2016-12-26, see README), never on the 728 test days; a learnt weight, if any, comes
 * from the days before the forecast day only (combine.ts).
 */
import { type CombineMethod, combineWalkForward } from "./combine.ts";
import { PAPER_WINDOWS } from "./lear.ts";
import { MLP_DEFAULTS, type MlpOptions } from "./mlp.ts";

export interface BestModel {
  learWindows: readonly number[];
  /** The MLP settings shared by every seed. */
  mlp: Omit<MlpOptions, "seed">;
  mlpSeeds: readonly number[];
  /** How the LEAR ensemble (first) and the MLP ensemble (second) are combined. */
  combine: CombineMethod;
  description: string;
}

export const BEST_MODEL: BestModel = {
  learWindows: PAPER_WINDOWS,
  mlp: { ...MLP_DEFAULTS, weightDecay: 1 },
  mlpSeeds: [1, 2, 3, 4],
  combine: { kind: "equal" },
  description: "½ LEAR ensemble (56+84+1092+1456) + ½ MLP ensemble (4 seeds)",
};

/** The MLP members' settings, one per seed. */
export function mlpMembers(model: BestModel): MlpOptions[] {
  return model.mlpSeeds.map((seed) => ({ ...model.mlp, seed }));
}

/**
 * The best model's forecasts over day-major series, from its two ensembles' forecasts; `actual` is
 * read only through past-only weights (combine.ts), never for the day being combined.
 */
export function bestForecast(
  actual: ArrayLike<number>,
  learEnsemble: ArrayLike<number>,
  mlpEnsemble: ArrayLike<number>,
  model: BestModel,
): Float64Array {
  return combineWalkForward(actual, [learEnsemble, mlpEnsemble], model.combine);
}
