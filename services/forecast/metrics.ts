/**
 * Point and probabilistic accuracy measures of the EPF literature, as epftoolbox defines them:
 * MAE, RMSE, sMAPE (mean of |a − f| / ((|a| + |f|) / 2), a fraction: × 100 for percent), and rMAE,
 * the MAE scaled by that of a naive forecast (which one matters: see `rmaeEpftoolbox`). Plus the pinball
 * loss of a quantile forecast and the empirical coverage of an interval.
 * Series are flat (day-major hours) and of equal length; NaN anywhere is an error, not a silent skip.
 */
import { HOURS, weekday } from "./features.ts";

function check(actual: ArrayLike<number>, forecast: ArrayLike<number>): void {
  if (actual.length !== forecast.length) {
    throw new RangeError(`series differ in length: ${actual.length} vs ${forecast.length}`);
  }
  if (actual.length === 0) throw new RangeError("empty series");
}

export function mae(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  check(actual, forecast);
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += Math.abs(actual[i] - forecast[i]);
  return s / actual.length;
}

export function rmse(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  check(actual, forecast);
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += (actual[i] - forecast[i]) ** 2;
  return Math.sqrt(s / actual.length);
}

/** Symmetric MAPE as a fraction (epftoolbox's `sMAPE`); a term with |a| + |f| = 0 counts as 0. */
export function smape(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  check(actual, forecast);
  let s = 0;
  for (let i = 0; i < actual.length; i++) {
    const den = (Math.abs(actual[i]) + Math.abs(forecast[i])) / 2;
    if (den > 0) s += Math.abs(actual[i] - forecast[i]) / den;
  }
  return s / actual.length;
}

/**
 * Naive forecasts (epftoolbox's `naive_forecast`, its `m` argument):
 *  - "standard" (m=None): Tuesday–Friday repeat the day before, Saturday–Monday the same day a week before;
 *  - "weekly" (m="W"): every day repeats the same day a week before;
 *  - "daily" (m="D"): every day repeats the day before.
 */
export type NaiveKind = "standard" | "weekly" | "daily";

function naiveLag(kind: NaiveKind, firstDay: string, d: number): number {
  if (kind === "weekly") return 7;
  if (kind === "daily") return 1;
  const dow = weekday(firstDay, d);
  return dow === 0 || dow === 5 || dow === 6 ? 7 : 1;
}

/** The naive forecast of day `d` of a day-major price series. */
export function naiveDay(price: Float64Array, firstDay: string, d: number, kind: NaiveKind = "standard"): Float64Array {
  const lag = naiveLag(kind, firstDay, d);
  if (d - lag < 0) throw new RangeError(`day ${d} has no day ${lag} before it`);
  return price.slice((d - lag) * HOURS, (d - lag + 1) * HOURS);
}

/**
 * The mean daily profile of the `days` days before `d`, hour by hour: a price-only forecast that keeps
 * the shape of the recent days (when the cheap and dear hours fall) and averages out one day's noise.
 * Better than the day before for scheduling a battery, whose revenue depends on the order of the hours
 * more than on their level (bench/storage_backtest.ts).
 */
export function profileMeanDay(price: Float64Array, d: number, days = 7): Float64Array {
  if (!(days >= 1) || d - days < 0) throw new RangeError(`day ${d} has fewer than ${days} days before it`);
  const out = new Float64Array(HOURS);
  for (let k = 1; k <= days; k++) for (let h = 0; h < HOURS; h++) out[h] += price[(d - k) * HOURS + h];
  for (let h = 0; h < HOURS; h++) out[h] /= days;
  return out;
}

/** The naive forecast of days `from` … `to − 1`, flat. */
export function naiveForecast(
  price: Float64Array,
  firstDay: string,
  from: number,
  to: number,
  kind: NaiveKind = "standard",
): Float64Array {
  const out = new Float64Array((to - from) * HOURS);
  for (let d = from; d < to; d++) out.set(naiveDay(price, firstDay, d, kind), (d - from) * HOURS);
  return out;
}

/** MAE of `forecast` divided by the MAE of `naive` on the same actual values. */
export function rmae(actual: ArrayLike<number>, forecast: ArrayLike<number>, naive: ArrayLike<number>): number {
  return mae(actual, forecast) / mae(actual, naive);
}

/**
 * rMAE exactly as epftoolbox's `rMAE(p_real, p_pred, m)` computes it: the naive forecast is built
 * from the evaluated prices alone, so its MAE leaves out the first week (the first day for "daily").
 * `actual` and `forecast` are the evaluated days (day-major); `firstDay` is the date of the first.
 * The benchmark's published rMAE (DNN 0.452, LEAR 0.476 on PJM) is this with kind "weekly".
 */
export function rmaeEpftoolbox(
  actual: Float64Array,
  forecast: ArrayLike<number>,
  firstDay: string,
  kind: NaiveKind,
): number {
  const days = actual.length / HOURS;
  const skip = kind === "daily" ? 1 : 7;
  if (!Number.isInteger(days) || days <= skip) throw new RangeError(`need more than ${skip} whole days`);
  const naive = naiveForecast(actual, firstDay, skip, days, kind);
  return mae(actual, forecast) / mae(actual.subarray(skip * HOURS), naive);
}

/** Mean pinball (quantile) loss of the `q`-quantile forecast, q in (0, 1). */
export function pinball(actual: ArrayLike<number>, quantile: ArrayLike<number>, q: number): number {
  check(actual, quantile);
  if (!(q > 0 && q < 1)) throw new RangeError(`quantile level ${q} outside (0, 1)`);
  let s = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = actual[i] - quantile[i];
    s += e >= 0 ? q * e : (q - 1) * e;
  }
  return s / actual.length;
}

/** Fraction of actual values inside [lower, upper] (both ends included). */
export function coverage(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>): number {
  check(actual, lower);
  check(actual, upper);
  let inside = 0;
  for (let i = 0; i < actual.length; i++) if (actual[i] >= lower[i] && actual[i] <= upper[i]) inside++;
  return inside / actual.length;
}

export interface PointMetrics {
  mae: number;
  rmse: number;
  /** Fraction (× 100 for percent). */
  smape: number;
  rmae: number;
}

export function pointMetrics(
  actual: ArrayLike<number>,
  forecast: ArrayLike<number>,
  naive: ArrayLike<number>,
): PointMetrics {
  const m = mae(actual, forecast);
  return { mae: m, rmse: rmse(actual, forecast), smape: smape(actual, forecast), rmae: m / mae(actual, naive) };
}
