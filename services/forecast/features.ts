/**
 * The LEAR inputs for a target day D, laid out exactly as epftoolbox's `_build_and_split_XYs`:
 *   [0, 96)        prices: for each hour h, the price at h of D−1, D−2, D−3, D−7 (index 4h + k);
 *   [96, 96+72e)   exogenous, for each hour h: for each lag in (D−1, D−7): each series at h;
 *                  then each series at h of D itself (index 96 + h·3e + …);
 *   last 7         day-of-week dummies of D, Monday first.
 * With two exogenous series (system and zonal load forecasts) that is 96 + 144 + 7 = 247 columns.
 *
 * Series are day-major: value (day d, hour h) at d·24 + h. Days are calendar days of 24 values, the
 * convention of the benchmark's data set (its index is a fixed hourly grid with no DST gaps or
 * repeats: the 23-hour spring day carries an interpolated hour and the 25-hour autumn day one value
 * per hour slot). So "D−7 at hour h" is the same clock hour a week earlier, on DST days too.
 *
 * A row for D reads prices of days < D only and exogenous values of days ≤ D (day-ahead forecasts,
 * known before the gate). Nothing else is read: that is what makes the forecast free of look-ahead.
 */

export const HOURS = 24;
export const PRICE_LAGS = [1, 2, 3, 7] as const;
export const EXOGENOUS_LAGS_PAPER = [1, 7] as const;
export const WEEKDAYS = 7;

export interface DailySeries {
  /** Prices, day-major, days × 24. NaN where unknown (e.g. the target day). */
  price: Float64Array;
  /** Exogenous inputs known a day ahead (load forecasts), same layout. May be empty (price-only). */
  exogenous: Float64Array[];
  /** ISO date (YYYY-MM-DD) of day index 0; the weekday dummies follow from it. */
  firstDay: string;
}

export interface FeatureLayout {
  priceLags: readonly number[];
  exogenousLags: readonly number[];
  nExogenous: number;
  /** Total columns. */
  width: number;
  /** Deepest lag: the first `maxLag` days of a window only serve as lags. */
  maxLag: number;
}

export function featureLayout(
  nExogenous: number,
  exogenousLags: readonly number[] = EXOGENOUS_LAGS_PAPER,
  priceLags: readonly number[] = PRICE_LAGS,
): FeatureLayout {
  const width = HOURS * priceLags.length + HOURS * nExogenous * (exogenousLags.length + 1) + WEEKDAYS;
  const maxLag = Math.max(...priceLags, ...exogenousLags);
  return { priceLags, exogenousLags, nExogenous, width, maxLag };
}

/** Number of days in a series (its price length / 24). */
export function dayCount(series: DailySeries): number {
  return Math.floor(series.price.length / HOURS);
}

/** Weekday of day index `d`, Monday = 0 … Sunday = 6 (pandas' `dayofweek`). */
export function weekday(firstDay: string, d: number): number {
  const t = Date.parse(`${firstDay}T00:00:00Z`);
  if (Number.isNaN(t)) throw new RangeError(`bad firstDay ${firstDay}`);
  const js = new Date(t + d * 86_400_000).getUTCDay(); // Sunday = 0
  return (js + 6) % 7;
}

/** ISO date of day index `d`. */
export function dayDate(firstDay: string, d: number): string {
  return new Date(Date.parse(`${firstDay}T00:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10);
}

/** Day index of an ISO date. */
export function dayIndex(firstDay: string, date: string): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${firstDay}T00:00:00Z`)) / 86_400_000);
}

/** Writes the feature row of day `d` into `out` at `offset`. */
export function writeFeatureRow(
  series: DailySeries,
  layout: FeatureLayout,
  d: number,
  out: Float64Array,
  offset = 0,
): void {
  if (d - layout.maxLag < 0) throw new RangeError(`day ${d} has no lag ${layout.maxLag}`);
  let f = offset;
  const { price, exogenous } = series;
  for (let h = 0; h < HOURS; h++) {
    for (const lag of layout.priceLags) out[f++] = price[(d - lag) * HOURS + h];
  }
  for (let h = 0; h < HOURS; h++) {
    for (const lag of layout.exogenousLags) {
      for (const ex of exogenous) out[f++] = ex[(d - lag) * HOURS + h];
    }
    for (const ex of exogenous) out[f++] = ex[d * HOURS + h];
  }
  const dow = weekday(series.firstDay, d);
  for (let k = 0; k < WEEKDAYS; k++) out[f++] = k === dow ? 1 : 0;
}

/** Feature matrix (rows × width, row-major) for the days `from` … `to − 1`. */
export function featureMatrix(series: DailySeries, layout: FeatureLayout, from: number, to: number): Float64Array {
  const rows = to - from;
  const out = new Float64Array(rows * layout.width);
  for (let r = 0; r < rows; r++) writeFeatureRow(series, layout, from + r, out, r * layout.width);
  return out;
}

/** Targets (rows × 24): the prices of days `from` … `to − 1`. */
export function targetMatrix(series: DailySeries, from: number, to: number): Float64Array {
  return series.price.slice(from * HOURS, to * HOURS);
}

export interface TrainTest {
  /** Training inputs and targets, one row per day. */
  xTrain: Float64Array;
  yTrain: Float64Array;
  rows: number;
  /** Inputs of the target day. */
  xTest: Float64Array;
  layout: FeatureLayout;
}

/**
 * epftoolbox's split for forecasting day `d` with a window of `window` days: the window is the
 * `window` days just before d; its first `maxLag` days are only lags, so there are `window − maxLag`
 * training rows (days d − window + maxLag … d − 1).
 */
export function trainTestSplit(
  series: DailySeries,
  d: number,
  window: number,
  exogenousLags: readonly number[] = EXOGENOUS_LAGS_PAPER,
): TrainTest {
  const layout = featureLayout(series.exogenous.length, exogenousLags);
  if (window <= layout.maxLag + 1) throw new RangeError(`window ${window} too short for lag ${layout.maxLag}`);
  const first = d - window + layout.maxLag;
  if (d - window < 0) throw new RangeError(`day ${d} has fewer than ${window} days of history`);
  return {
    xTrain: featureMatrix(series, layout, first, d),
    yTrain: targetMatrix(series, first, d),
    rows: d - first,
    xTest: featureMatrix(series, layout, d, d + 1),
    layout,
  };
}
