/**
 * Robust standardisation and the asinh ("invariant") variance-stabilising transform of Uniejewski,
 * Weron and Ziel (2018), as the LEAR benchmark applies them: each column is centred on its median,
 * divided by its MAD scaled to be a consistent estimator of the standard deviation under normality
 * (statsmodels' `mad`, i.e. median(|x − median|) / Φ⁻¹(3/4)), then passed through asinh.
 * Pure functions; a matrix is a Float64Array of `rows × cols` values, row-major (one row per day).
 */

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

export type TransformKind = "median" | "invariant";

/** Per-column location and scale, fitted once on the calibration window and reused on the test day. */
export interface ColumnScaler {
  kind: TransformKind;
  median: Float64Array;
  mad: Float64Array;
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
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rows; i++) column[i] = data[i * cols + j];
    med[j] = median(column);
    const m = mad(column, med[j]);
    scale[j] = m > 0 && Number.isFinite(m) ? m : 1;
  }
  return { kind, median: med, mad: scale };
}

/** (x − median) / MAD, then asinh for the invariant kind. Returns a new matrix. */
export function transform(scaler: ColumnScaler, data: Float64Array, rows: number): Float64Array {
  const cols = scaler.median.length;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const z = (data[i * cols + j] - scaler.median[j]) / scaler.mad[j];
      out[i * cols + j] = scaler.kind === "invariant" ? Math.asinh(z) : z;
    }
  }
  return out;
}

/** The inverse of `transform`: sinh for the invariant kind, then × MAD + median. */
export function inverseTransform(scaler: ColumnScaler, data: Float64Array, rows: number): Float64Array {
  const cols = scaler.median.length;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      out[i * cols + j] = (scaler.kind === "invariant" ? Math.sinh(v) : v) * scaler.mad[j] + scaler.median[j];
    }
  }
  return out;
}
