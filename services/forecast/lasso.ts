/**
 * LASSO by cyclic coordinate descent, with the semantics of scikit-learn's `Lasso` (the refit step of
 * the LEAR model): minimise (1 / 2n)‖y − Xw − b‖² + α‖w‖₁ with an unpenalised intercept b (X and y are
 * centred first), coefficients updated in feature order from zero, stopping when the largest update
 * is below `tol` × the largest coefficient AND the duality gap is below `tol` × ‖y − ȳ‖².
 *
 * It works on the Gram matrix of the centred design (sklearn's `precompute=True` path): one p × p
 * product per calibration window serves the 24 hourly models and both the LARS path and the refit,
 * and a coordinate update costs O(p) instead of O(n). The iterates are the same as sklearn's
 * data-based loop up to rounding. Standardising the inputs is the caller's job.
 */

/** A centred design: shared by every target fitted on the same inputs. */
export interface Design {
  /** Samples (days) and features. */
  n: number;
  p: number;
  /** Row-major n × p inputs as given (not centred). */
  x: Float64Array;
  /** Column means (the centring removed before fitting). */
  xMean: Float64Array;
  /** Xcᵀ Xc of the centred inputs, p × p, symmetric. */
  gram: Float64Array;
  /**
   * The centred inputs column by column (p × n, column j at j·n): every product with the design then
   * runs along contiguous memory. Entry (j, i) is exactly x[i·p + j] − xMean[j].
   */
  xcT: Float64Array;
}

export function prepareDesign(x: Float64Array, n: number, p: number): Design {
  if (x.length !== n * p) throw new RangeError(`design has ${x.length} values, not ${n}×${p}`);
  if (n < 2) throw new RangeError("a design needs at least two samples");
  const xMean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) xMean[j] += x[i * p + j];
  for (let j = 0; j < p; j++) xMean[j] /= n;
  const xcT = new Float64Array(p * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) xcT[j * n + i] = x[i * p + j] - xMean[j];
  // The upper triangle as dot products of columns (one accumulator each, rows in order: the same sums
  // as accumulating the rows' outer products), mirrored into the lower triangle. Blocked two columns a
  // by four columns b: eight independent chains of additions keep the FPU busy, and each loaded value
  // serves four (or two) products instead of one, the loads being what bounds this loop.
  const gram = new Float64Array(p * p);
  const dot = (ca: number, cb: number) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += xcT[ca + i] * xcT[cb + i];
    return s;
  };
  let a = 0;
  for (; a + 1 < p; a += 2) {
    const ca = a * n;
    const cA = ca + n;
    // Column pair (a, a + 1): the block starts at b = a + 1 (for a) and its diagonal entries apart.
    gram[a * p + a] = dot(ca, ca);
    let b = a + 1;
    for (; b + 3 < p; b += 4) {
      const c0 = b * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (let i = 0; i < n; i++) {
        const xa = xcT[ca + i];
        const xA = xcT[cA + i];
        const x0 = xcT[c0 + i], x1 = xcT[c1 + i], x2 = xcT[c2 + i], x3 = xcT[c3 + i];
        s0 += xa * x0;
        s1 += xa * x1;
        s2 += xa * x2;
        s3 += xa * x3;
        t0 += xA * x0;
        t1 += xA * x1;
        t2 += xA * x2;
        t3 += xA * x3;
      }
      gram[a * p + b] = s0;
      gram[a * p + b + 1] = s1;
      gram[a * p + b + 2] = s2;
      gram[a * p + b + 3] = s3;
      // Row a + 1 only needs b ≥ a + 1; its entry at b = a + 1 is its diagonal (the same sum).
      gram[(a + 1) * p + b] = t0;
      gram[(a + 1) * p + b + 1] = t1;
      gram[(a + 1) * p + b + 2] = t2;
      gram[(a + 1) * p + b + 3] = t3;
    }
    for (; b < p; b++) {
      const cb = b * n;
      gram[a * p + b] = dot(ca, cb);
      gram[(a + 1) * p + b] = dot(cA, cb);
    }
  }
  if (a < p) gram[a * p + a] = dot(a * n, a * n);
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) gram[a * p + b] = gram[b * p + a];
  return { n, p, x, xMean, gram, xcT };
}

/** The target's side of the centred problem: Xcᵀ yc, ȳ and ‖yc‖². */
export interface CentredTarget {
  xty: Float64Array;
  yMean: number;
  yy: number;
  /** y − ȳ. */
  yc: Float64Array;
}

export function centreTarget(design: Design, y: ArrayLike<number>): CentredTarget {
  const { n, p, xcT } = design;
  if (y.length !== n) throw new RangeError(`target has ${y.length} values, design ${n} rows`);
  let yMean = 0;
  for (let i = 0; i < n; i++) yMean += y[i];
  yMean /= n;
  const yc = new Float64Array(n);
  let yy = 0;
  for (let i = 0; i < n; i++) {
    const yi = y[i] - yMean;
    yc[i] = yi;
    yy += yi * yi;
  }
  const xty = new Float64Array(p);
  let j = 0;
  for (; j + 3 < p; j += 4) { // four independent sums at a time, as in prepareDesign
    const c0 = j * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let i = 0; i < n; i++) {
      const yi = yc[i];
      s0 += xcT[c0 + i] * yi;
      s1 += xcT[c1 + i] * yi;
      s2 += xcT[c2 + i] * yi;
      s3 += xcT[c3 + i] * yi;
    }
    xty[j] = s0;
    xty[j + 1] = s1;
    xty[j + 2] = s2;
    xty[j + 3] = s3;
  }
  for (; j < p; j++) {
    const col = j * n;
    let s = 0;
    for (let i = 0; i < n; i++) s += xcT[col + i] * yc[i];
    xty[j] = s;
  }
  return { xty, yMean, yy, yc };
}

export interface LassoOptions {
  /** Maximum sweeps over the features (sklearn default 1000; the LEAR model uses 2500). */
  maxIter?: number;
  /** Relative tolerance on the updates and on the duality gap (sklearn default 1e-4). */
  tol?: number;
}

export interface LassoFit {
  coef: Float64Array;
  intercept: number;
  /** Sweeps run. */
  nIter: number;
  /** Duality gap at the last check, in the (unnormalised) units of ½‖r‖². */
  gap: number;
  converged: boolean;
}

/** Soft thresholding S(z, t) = sign(z)·max(|z| − t, 0): the orthogonal-design LASSO solution. */
export function softThreshold(z: number, t: number): number {
  return z > t ? z - t : z < -t ? z + t : 0;
}

/** Fits the LASSO at penalty `alpha` (sklearn's scale: the loss is divided by 2n). */
export function lasso(design: Design, y: ArrayLike<number>, alpha: number, options: LassoOptions = {}): LassoFit {
  return lassoCentred(design, centreTarget(design, y), alpha, options);
}

export function lassoCentred(
  design: Design,
  target: CentredTarget,
  alpha: number,
  { maxIter = 1000, tol = 1e-4 }: LassoOptions = {},
): LassoFit {
  if (!(alpha >= 0)) throw new RangeError(`alpha must be ≥ 0, got ${alpha}`);
  const { n, p, gram } = design;
  const { xty: q, yy } = target;
  const penalty = alpha * n;
  const w = new Float64Array(p);
  const hw = new Float64Array(p); // gram · w, kept up to date so an update costs O(p)
  const gapTol = tol * yy;
  let gap = Infinity;
  let converged = false;
  let sweep = 0;
  for (; sweep < maxIter; sweep++) {
    let wMax = 0;
    let dwMax = 0;
    for (let j = 0; j < p; j++) {
      const hjj = gram[j * p + j];
      if (hjj === 0) continue;
      const old = w[j];
      const next = softThreshold(q[j] - hw[j] + hjj * old, penalty) / hjj;
      if (next !== old) {
        const d = next - old;
        const col = j * p;
        for (let k = 0; k < p; k++) hw[k] += d * gram[col + k];
        w[j] = next;
      }
      const dw = Math.abs(next - old);
      if (dw > dwMax) dwMax = dw;
      if (Math.abs(next) > wMax) wMax = Math.abs(next);
    }
    if (wMax === 0 || dwMax / wMax < tol || sweep === maxIter - 1) {
      gap = dualityGap(w, hw, q, yy, penalty);
      if (gap < gapTol) {
        converged = true;
        sweep++;
        break;
      }
    }
  }
  return { coef: w, intercept: interceptOf(design, target, w), nIter: sweep, gap, converged };
}

/** The intercept of a fit on the centred problem: ȳ − x̄ · coef. */
export function interceptOf(design: Design, target: CentredTarget, coef: Float64Array): number {
  let intercept = target.yMean;
  for (let j = 0; j < design.p; j++) intercept -= design.xMean[j] * coef[j];
  return intercept;
}

/** The LASSO duality gap from Gram quantities (the residual is never formed). */
function dualityGap(w: Float64Array, hw: Float64Array, q: Float64Array, yy: number, penalty: number): number {
  let dualNorm = 0;
  let wq = 0;
  let whw = 0;
  let l1 = 0;
  for (let k = 0; k < w.length; k++) {
    const xtr = Math.abs(q[k] - hw[k]);
    if (xtr > dualNorm) dualNorm = xtr;
    wq += w[k] * q[k];
    whw += w[k] * hw[k];
    l1 += Math.abs(w[k]);
  }
  const rr = Math.max(yy + whw - 2 * wq, 0);
  let scale = 1;
  let gap = rr;
  if (dualNorm > penalty) {
    scale = penalty / dualNorm;
    gap = 0.5 * (rr + rr * scale * scale);
  }
  return gap + penalty * l1 - scale * (yy - wq);
}

/** ŷ = x·w + b for one row of inputs. */
export function predictRow(fit: { coef: Float64Array; intercept: number }, row: ArrayLike<number>): number {
  let s = fit.intercept;
  for (let j = 0; j < fit.coef.length; j++) s += fit.coef[j] * row[j];
  return s;
}
