/**
 * Prediction intervals from the model's own recent errors (split-conformal style): for day `d`, the
 * empirical 10/50/90 % quantiles of the residuals (actual − forecast) of the same hour over a trailing
 * window of days strictly before `d` are added to the point forecast of `d`. Per hour because the
 * error spread of the evening peak is several times that of the night. Only days < d are read, so
 * the band of day `d` is known when its point forecast is.
 *
 * Residuals are day-major (`day·24 + hour`); NaN marks a day/hour with no residual (no forecast or
 * no price yet) and is skipped, so a gap shrinks the sample rather than stopping the intervals.
 */
import { HOURS } from "./features.ts";
import { coverage, pinball } from "./metrics.ts";

export const QUANTILE_LEVELS = [0.1, 0.5, 0.9] as const;

export interface IntervalOptions {
  /** Trailing window of days before `d` whose residuals are used (default 182). */
  lookback?: number;
  /** Fewest residuals an hour needs before intervals are produced (default 28). */
  minHistory?: number;
}

/** Quantile forecasts of one day (24 values each); `q10 ≤ q50 ≤ q90` hour by hour. */
export interface QuantileForecast {
  q10: Float64Array;
  q50: Float64Array;
  q90: Float64Array;
}

/**
 * Empirical quantile of an ascending sample with linear interpolation between order statistics
 * (numpy's default, "type 7"): position p·(n − 1). Monotone in p, which keeps q10 ≤ q50 ≤ q90.
 */
export function empiricalQuantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError("empty sample");
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile level ${p} outside [0, 1]`);
  const pos = p * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/** Residuals actual − forecast, day-major; same length required. */
export function residuals(actual: ArrayLike<number>, forecast: ArrayLike<number>): Float64Array {
  if (actual.length !== forecast.length) throw new RangeError("series differ in length");
  const out = new Float64Array(actual.length);
  for (let i = 0; i < actual.length; i++) out[i] = actual[i] - forecast[i];
  return out;
}

/**
 * The 10/50/90 % residual quantiles per hour for day `d`, from days max(0, d − lookback) … d − 1 of
 * `residual`; undefined while any hour has fewer than `minHistory` residuals.
 */
export function residualQuantiles(
  residual: Float64Array,
  d: number,
  options: IntervalOptions = {},
): QuantileForecast | undefined {
  const lookback = options.lookback ?? 182;
  const minHistory = options.minHistory ?? 28;
  if (!(lookback >= 1) || !(minHistory >= 1)) throw new RangeError("lookback and minHistory must be ≥ 1");
  const from = Math.max(0, d - lookback);
  const to = Math.min(d, Math.floor(residual.length / HOURS));
  const out: QuantileForecast = {
    q10: new Float64Array(HOURS),
    q50: new Float64Array(HOURS),
    q90: new Float64Array(HOURS),
  };
  const sample = new Float64Array(Math.max(0, to - from));
  for (let h = 0; h < HOURS; h++) {
    let n = 0;
    for (let day = from; day < to; day++) {
      const r = residual[day * HOURS + h];
      if (!Number.isNaN(r)) sample[n++] = r;
    }
    if (n < minHistory) return undefined;
    const sorted = sample.subarray(0, n).sort();
    out.q10[h] = empiricalQuantile(sorted, 0.1);
    out.q50[h] = empiricalQuantile(sorted, 0.5);
    out.q90[h] = empiricalQuantile(sorted, 0.9);
  }
  return out;
}

/**
 * Quantile forecast of day `d`: its 24-hour point forecast shifted by the residual quantiles of the
 * days before it (so q50 is the point forecast corrected for its recent median bias).
 */
export function predictionIntervals(
  point: ArrayLike<number>,
  residual: Float64Array,
  d: number,
  options: IntervalOptions = {},
): QuantileForecast | undefined {
  if (point.length !== HOURS) throw new RangeError(`point forecast has ${point.length} hours, not ${HOURS}`);
  const rq = residualQuantiles(residual, d, options);
  if (!rq) return undefined;
  for (let h = 0; h < HOURS; h++) {
    rq.q10[h] += point[h];
    rq.q50[h] += point[h];
    rq.q90[h] += point[h];
  }
  return rq;
}

export interface IntervalEvaluation {
  /** Days that had intervals (enough history). */
  days: number;
  /** First day (index into the series) with intervals, or −1. */
  firstDay: number;
  /** Fraction of actual prices inside [q10, q90] (nominal 0.8). */
  coverage80: number;
  /** Mean pinball loss over the three quantiles. */
  pinballMean: number;
  pinball: { q10: number; q50: number; q90: number };
  /** Day-major bands of the evaluated days (NaN on days without intervals). */
  bands: QuantileForecast;
}

/**
 * Walk-forward evaluation of the intervals over a backtest: day-major `actual` and `forecast` of the
 * same days; each day's band uses the residuals of the earlier days of the slice only.
 */
export function evaluateIntervals(
  actual: Float64Array,
  forecast: Float64Array,
  options: IntervalOptions = {},
): IntervalEvaluation | undefined {
  const nDays = actual.length / HOURS;
  if (!Number.isInteger(nDays) || forecast.length !== actual.length) throw new RangeError("need whole, equal days");
  const residual = residuals(actual, forecast);
  const bands: QuantileForecast = {
    q10: new Float64Array(actual.length).fill(NaN),
    q50: new Float64Array(actual.length).fill(NaN),
    q90: new Float64Array(actual.length).fill(NaN),
  };
  const a: number[] = [], q10: number[] = [], q50: number[] = [], q90: number[] = [];
  let firstDay = -1;
  let days = 0;
  for (let d = 0; d < nDays; d++) {
    const qf = predictionIntervals(forecast.subarray(d * HOURS, (d + 1) * HOURS), residual, d, options);
    if (!qf) continue;
    if (firstDay < 0) firstDay = d;
    days++;
    bands.q10.set(qf.q10, d * HOURS);
    bands.q50.set(qf.q50, d * HOURS);
    bands.q90.set(qf.q90, d * HOURS);
    for (let h = 0; h < HOURS; h++) {
      a.push(actual[d * HOURS + h]);
      q10.push(qf.q10[h]);
      q50.push(qf.q50[h]);
      q90.push(qf.q90[h]);
    }
  }
  if (days === 0) return undefined;
  const pb = { q10: pinball(a, q10, 0.1), q50: pinball(a, q50, 0.5), q90: pinball(a, q90, 0.9) };
  return {
    days,
    firstDay,
    coverage80: coverage(a, q10, q90),
    pinballMean: (pb.q10 + pb.q50 + pb.q90) / 3,
    pinball: pb,
    bands,
  };
}
