/**
 * LEAR (Lasso Estimated AutoRegressive) of Lago, Marcjasz, De Schutter and Weron (2021): for a target
 * day, take the calibration window before it, build the 247 inputs (features.ts), pass inputs (but
 * not the weekday dummies) and the 24 targets through the invariant transform fitted on the window,
 * then for each hour pick the penalty by AIC on the LARS path and refit by coordinate descent at that
 * penalty. The forecast is the inverse transform of the 24 predictions. An ensemble averages the
 * forecasts of several windows (the paper: 56, 84, 1092 and 1456 days).
 */
import { type DailySeries, EXOGENOUS_LAGS_PAPER, HOURS, trainTestSplit, WEEKDAYS } from "./features.ts";
import {
  type CentredTarget,
  centreTarget,
  type Design,
  interceptOf,
  lassoCentred,
  predictRow,
  prepareDesign,
} from "./lasso.ts";
import { larsLassoPath, lassoLarsICCentred, type NoiseVariance } from "./lars.ts";
import { fitScaler, inverseTransform, transform, type TransformKind } from "./transforms.ts";

export const PAPER_WINDOWS = [56, 84, 1092, 1456] as const;

export interface LearOptions {
  /** Calibration window in days. */
  window: number;
  /** Variance-stabilising transform of inputs and targets. Default "invariant" (asinh), as the paper. */
  transform?: TransformKind;
  /** Information criterion that picks the penalty on the LARS path. Default "aic", as the paper. */
  criterion?: "aic" | "bic";
  /** How LassoLarsIC estimates σ² (lars.ts). Default "legacy", as the published forecasts. */
  noiseVariance?: NoiseVariance;
  /** sklearn ≤ 1.0's in-place column swap in the criterion for n ≤ p (lars.ts). Default: on with "legacy". */
  inPlaceSwapQuirk?: boolean;
  /** Lags of the exogenous inputs besides day D. Default [1, 7] (the paper). */
  exogenousLags?: readonly number[];
  /**
   * How the model is refitted at the chosen penalty: "cd", coordinate descent capped at 2500 sweeps
   * as the benchmark (it often stops there, short of the optimum), or "lars", the exact LASSO solution
   * read off the LARS path of the refit problem at that penalty (converged, and much faster).
   */
  refit?: "cd" | "lars";
  /** Iteration caps, 2500 each in the benchmark's code. */
  larsMaxIter?: number;
  cdMaxIter?: number;
  cdTol?: number;
}

export interface LearForecast {
  /** 24 hourly prices of the target day. */
  price: Float64Array;
  /** Penalty chosen per hour. */
  alpha: Float64Array;
  /** Non-zero coefficients per hour after the refit. */
  nonZero: Int32Array;
}

/** Recalibrates on the window before day `d` and forecasts day `d`. Reads nothing at or after d but exogenous(d). */
export function learForecastDay(series: DailySeries, d: number, options: LearOptions): LearForecast {
  const kind = options.transform ?? "invariant";
  const split = trainTestSplit(series, d, options.window, options.exogenousLags ?? EXOGENOUS_LAGS_PAPER);
  const { rows, layout } = split;
  const width = layout.width;
  const scaledWidth = width - WEEKDAYS;

  const yScaler = fitScaler(split.yTrain, rows, HOURS, kind);
  const y = transform(yScaler, split.yTrain, rows);

  // Scale every input column except the weekday dummies, with statistics of the window only.
  const xCore = new Float64Array(rows * scaledWidth);
  for (let i = 0; i < rows; i++) {
    xCore.set(split.xTrain.subarray(i * width, i * width + scaledWidth), i * scaledWidth);
  }
  const xScaler = fitScaler(xCore, rows, scaledWidth, kind);
  const xCoreScaled = transform(xScaler, xCore, rows);
  const x = new Float64Array(rows * width);
  for (let i = 0; i < rows; i++) {
    x.set(xCoreScaled.subarray(i * scaledWidth, (i + 1) * scaledWidth), i * width);
    x.set(split.xTrain.subarray(i * width + scaledWidth, (i + 1) * width), i * width + scaledWidth);
  }
  const xTest = new Float64Array(width);
  xTest.set(transform(xScaler, split.xTest.subarray(0, scaledWidth), 1));
  xTest.set(split.xTest.subarray(scaledWidth, width), scaledWidth);

  const design = prepareDesign(x, rows, width);
  const yh = new Float64Array(rows);
  const scaledForecast = new Float64Array(HOURS);
  const alpha = new Float64Array(HOURS);
  const nonZero = new Int32Array(HOURS);
  for (let h = 0; h < HOURS; h++) {
    for (let i = 0; i < rows; i++) yh[i] = y[i * HOURS + h];
    const target = centreTarget(design, yh);
    const ic = lassoLarsICCentred(design, target, {
      criterion: options.criterion ?? "aic",
      noiseVariance: options.noiseVariance ?? "legacy",
      inPlaceSwapQuirk: options.inPlaceSwapQuirk,
      maxIter: options.larsMaxIter ?? 2500,
    });
    const fit = options.refit === "lars"
      ? lassoByLars(design, target, ic.alpha, options.larsMaxIter ?? 2500)
      : lassoCentred(design, target, ic.alpha, { maxIter: options.cdMaxIter ?? 2500, tol: options.cdTol ?? 1e-4 });
    alpha[h] = ic.alpha;
    for (let j = 0; j < width; j++) if (fit.coef[j] !== 0) nonZero[h]++;
    scaledForecast[h] = predictRow(fit, xTest);
  }
  return { price: inverseTransform(yScaler, scaledForecast, 1), alpha, nonZero };
}

/** The LASSO at `alpha` as the end point of the LARS path stopped there. */
function lassoByLars(design: Design, target: CentredTarget, alpha: number, maxIter: number) {
  const path = larsLassoPath(design.gram, target.xty, design.n, { maxIter, alphaMin: alpha });
  const coef = path.coefs[path.coefs.length - 1];
  return { coef, intercept: interceptOf(design, target, coef) };
}

/** Mean of the forecasts of several windows (the LEAR ensemble). */
export function learEnsembleDay(
  series: DailySeries,
  d: number,
  windows: readonly number[] = PAPER_WINDOWS,
  options: Omit<LearOptions, "window"> = {},
): { price: Float64Array; members: Float64Array[] } {
  const members = windows.map((window) => learForecastDay(series, d, { ...options, window }).price);
  return { price: meanForecast(members), members };
}

/** Hour-by-hour mean of equally long forecasts. */
export function meanForecast(members: readonly Float64Array[]): Float64Array {
  if (members.length === 0) throw new RangeError("no forecasts to average");
  const out = new Float64Array(members[0].length);
  for (const m of members) for (let h = 0; h < out.length; h++) out[h] += m[h];
  for (let h = 0; h < out.length; h++) out[h] /= members.length;
  return out;
}
