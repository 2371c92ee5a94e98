/**
 * Robust standardisation and the variance-stabilising transforms (VSTs) of Uniejewski, Weron and Ziel
 * (2018): each column is centred on its median, divided by its MAD scaled to be a consistent estimator
 * of the standard deviation under normality (statsmodels' `mad`, i.e. median(|x − median|) / Φ⁻¹(3/4)),
 * then passed through a VST: asinh ("invariant", as the LEAR benchmark), the mirror-log ("mlog") or the
 * normal probability integral transform ("npit", Φ⁻¹ of the window's empirical CDF). Models fitted on
 * differently transformed data make different errors, so their average beats each (ibid.).
 * Pure functions; a matrix is a Float64Array of `rows × cols` values, row-major (one row per day).
 */
import { normalCdf } from "./dm.ts";

/** Φ⁻¹(3/4): dividing the raw MAD by it makes it estimate σ for normal data. */
export const MAD_NORMAL_CONSISTENCY = 0.6744897501960817;

/** Median as numpy computes it: the mean of the two middle values when the count is even. */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) throw new RangeError("median of an empty sample");
  // Selection instead of a full sort: the backtest takes ~500 medians per window-day, and a sort was
  // 6 % of its time. The values picked are the same elements a sort would put in the middle.
  const a = Float64Array.from(values);
  const mid = n >> 1;
  const upper = selectInPlace(a, mid);
  if (n % 2 === 1) return upper;
  // After selection everything left of `mid` is ≤ a[mid]: the lower middle value is their maximum.
  let lower = a[0];
  for (let i = 1; i < mid; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

/** The k-th smallest value (0-based) of `a`, partially reordering it (Hoare's quickselect, median-of-3 pivot). */
export function selectInPlace(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const m = (lo + hi) >> 1;
    // Median of three as the pivot keeps sorted and constant runs (common in prices) from going quadratic.
    if (a[m] < a[lo]) swap(a, m, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[m]) swap(a, hi, m);
    const pivot = a[m];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** Median absolute deviation around the median, scaled by 1/Φ⁻¹(3/4). */
export function mad(values: ArrayLike<number>, center = median(values)): number {
  const dev = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) dev[i] = Math.abs(values[i] - center);
  return median(dev) / MAD_NORMAL_CONSISTENCY;
}

export type TransformKind = "median" | "invariant" | "mlog" | "npit";

/** Per-column location and scale, fitted once on the calibration window and reused on the test day. */
export interface ColumnScaler {
  kind: TransformKind;
  median: Float64Array;
  mad: Float64Array;
  /** "npit" only: each column's standardised window values, sorted (its empirical CDF). */
  sorted?: Float64Array[];
}

/** The mirror-log's constant c (Uniejewski, Weron and Ziel 2018 use 1/3). */
const MLOG_C = 1 / 3;

/**
 * Φ⁻¹(p), the standard normal quantile: Acklam's rational approximation (relative error 1.2e-9)
 * refined by one Halley step on normalCdf, so Φ(Φ⁻¹(p)) = p to about 1e-15.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile of ${p}`);
  const a = [
    -39.69683028665376,
    220.9460984245205,
    -275.9285104469687,
    138.357751867269,
    -30.66479806614716,
    2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293,
    -0.3223964580411365,
    -2.400758277161838,
    -2.549732539343734,
    4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    if (p > 1 - low) x = -x;
  } else {
    const q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

/**
 * The window's empirical CDF at z, linear between the sorted values placed at (i + ½)/n and held at
 * ½/n and 1 − ½/n outside them, so Φ⁻¹ of it stays finite for values beyond the window's range.
 */
function ecdf(sorted: Float64Array, z: number): number {
  const n = sorted.length;
  if (z <= sorted[0]) return 0.5 / n;
  if (z >= sorted[n - 1]) return 1 - 0.5 / n;
  let lo = 0, hi = n - 1; // sorted[lo] < z ≤ sorted[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < z) lo = mid;
    else hi = mid;
  }
  // Ties: the run of equal values ending at hi is one step of the CDF, placed at its middle.
  let top = hi;
  while (top + 1 < n && sorted[top + 1] === sorted[hi]) top++;
  if (sorted[hi] === z) return ((hi + top) / 2 + 0.5) / n;
  const t = (z - sorted[lo]) / (sorted[hi] - sorted[lo]);
  return (lo + 0.5 + t * (hi - lo)) / n;
}

/** The inverse of `ecdf`: the window's quantile at u, linear between the sorted values. */
function ecdfQuantile(sorted: Float64Array, u: number): number {
  const n = sorted.length;
  const pos = u * n - 0.5;
  if (pos <= 0) return sorted[0];
  if (pos >= n - 1) return sorted[n - 1];
  const i = Math.floor(pos);
  return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
}

/** The VST of one standardised value z of column j. */
function vst(scaler: ColumnScaler, j: number, z: number): number {
  switch (scaler.kind) {
    case "invariant":
      return Math.asinh(z);
    case "mlog":
      return Math.sign(z) * (Math.log(Math.abs(z) + 1 / MLOG_C) + Math.log(MLOG_C));
    case "npit":
      return normalQuantile(ecdf(scaler.sorted![j], z));
    case "median":
      return z;
  }
}

/** The inverse VST of one transformed value v of column j (a standardised value). */
function inverseVst(scaler: ColumnScaler, j: number, v: number): number {
  switch (scaler.kind) {
    case "invariant":
      return Math.sinh(v);
    case "mlog":
      return Math.sign(v) * (Math.exp(Math.abs(v) - Math.log(MLOG_C)) - 1 / MLOG_C);
    case "npit":
      return ecdfQuantile(scaler.sorted![j], normalCdf(v));
    case "median":
      return v;
  }
}

/**
 * Fits median and MAD of every column of a row-major `rows × cols` matrix.
 * A constant column (MAD 0) gets scale 1, so it stays finite (centred at 0) instead of becoming NaN;
 * on real prices and loads this never happens, on a simulator's flat series it can.
 */
export function fitScaler(data: Float64Array, rows: number, cols: number, kind: TransformKind): ColumnScaler {
  if (data.length !== rows * cols) throw new RangeError(`matrix has ${data.length} values, not ${rows}×${cols}`);
  const med = new Float64Array(cols);
  const scale = new Float64Array(cols);
  const column = new Float64Array(rows);
  const sorted: Float64Array[] = [];
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rows; i++) column[i] = data[i * cols + j];
    med[j] = median(column);
    const m = mad(column, med[j]);
    scale[j] = m > 0 && Number.isFinite(m) ? m : 1;
    if (kind === "npit") sorted.push(column.map((v) => (v - med[j]) / scale[j]).sort());
  }
  return kind === "npit" ? { kind, median: med, mad: scale, sorted } : { kind, median: med, mad: scale };
}

/** (x − median) / MAD, then the scaler's VST. Returns a new matrix. */
export function transform(scaler: ColumnScaler, data: Float64Array, rows: number): Float64Array {
  const cols = scaler.median.length;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const z = (data[i * cols + j] - scaler.median[j]) / scaler.mad[j];
      out[i * cols + j] = vst(scaler, j, z);
    }
  }
  return out;
}

/** The inverse of `transform`: the inverse VST, then × MAD + median. */
export function inverseTransform(scaler: ColumnScaler, data: Float64Array, rows: number): Float64Array {
  const cols = scaler.median.length;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      out[i * cols + j] = inverseVst(scaler, j, v) * scaler.mad[j] + scaler.median[j];
    }
  }
  return out;
}
