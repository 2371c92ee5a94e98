/**
 * The LASSO regularisation path by LARS (Efron, Hastie, Johnstone, Tibshirani 2004, with the lasso
 * modification: a variable whose coefficient would cross zero leaves the active set) and the choice
 * of the penalty on it by an information criterion, as scikit-learn's `LassoLarsIC` does it.
 *
 * The path follows sklearn's `lars_path(method="lasso")` step by step on the Gram matrix: the same
 * α = max|Xᵀr| / n at each knot, the same equiangular step (γ = min of the entering, the crossing and
 * the remaining-correlation bounds), the same numerical guards (a candidate whose Cholesky pivot is
 * below 1e-7 is "dropped for good", the path stops when α stops decreasing or reaches float32 eps).
 *
 * Two criteria are offered because the two sklearn generations differ and the published LEAR
 * forecasts of Lago et al. (2021) were made with the first:
 *  - "legacy" (sklearn ≤ 1.0, the default then): inputs normalised to unit L2 norm after centring,
 *    AIC = n·MSE/Var(y) + 2·df (Zou, Hastie, Tibshirani 2007, eq. 2.15). Works for n ≤ p (the 56-
 *    and 84-day windows have 49 and 77 samples for 247 features).
 *  - "ols" (sklearn ≥ 1.1): AIC = n·log(2πσ²) + RSS/σ² + 2·df with σ² from the OLS fit,
 *    RSS_ols / (n − p − 1); sklearn refuses n ≤ p + 1 and so does this. No normalisation (sklearn 1.2
 *    removed it).
 * df is the number of non-zero coefficients at the knot (|w| > double eps), as in both.
 */
import { type CentredTarget, centreTarget, type Design, interceptOf } from "./lasso.ts";

const FLOAT64_EPS = 2.220446049250313e-16;
const FLOAT32_EPS = 1.1920928955078125e-7;
const FLOAT32_TINY = 1.1754943508222875e-38;

export interface LarsPath {
  /** α at each knot, decreasing; the first is max|Xᵀy| / n. */
  alphas: Float64Array;
  /** Coefficients at each knot (in the scale of the Gram matrix given). */
  coefs: Float64Array[];
  /** ‖y − Xw‖² at each knot (NaN when ‖y‖² was not given). */
  rss: Float64Array;
  /**
   * The column order sklearn's data-based path leaves its X in: it swaps an entering column into the
   * active block and bubbles a leaving one out, in place. Column i of that X is original column order[i].
   */
  order: Int32Array;
  /** Variables active at the end, in order of entry. */
  active: number[];
  nIter: number;
}

export interface LarsOptions {
  /** Maximum number of LARS steps (sklearn default 500; the LEAR model uses 2500). */
  maxIter?: number;
  /** Floor of a Cholesky pivot (sklearn: double eps). */
  eps?: number;
  /**
   * Stop the path at this penalty, interpolating linearly between the two knots around it (sklearn's
   * `alpha_min`): the last point is then the exact LASSO solution at `alphaMin`.
   */
  alphaMin?: number;
}

/** Smallest strictly positive value, or +∞ when there is none (sklearn's `min_pos`). */
function minPositive(values: Float64Array, count: number): number {
  let best = Infinity;
  for (let i = 0; i < count; i++) if (values[i] > 0 && values[i] < best) best = values[i];
  return best;
}

/**
 * The lasso path from the Gram matrix `gram` (p × p, symmetric) and `xty` = Xᵀy of a centred problem
 * with `n` samples; `yy` = ‖y‖² only serves the RSS of the knots (NaN without it).
 *
 * The coefficients are computed with the arithmetic of a straightforward implementation (every sum in
 * the same order, so bit for bit the same path), only organised for speed, since each LEAR forecast
 * runs 48 of these paths on p = 247 inputs: a step costs O(k·(p − k) + k²) with k active variables
 * instead of O(k·p + k²), with the triangular solves along contiguous rows and no p × p allocation.
 */
export function larsLassoPath(
  gram: Float64Array,
  xty: Float64Array,
  n: number,
  { maxIter = 500, eps = FLOAT64_EPS, alphaMin = 0 }: LarsOptions = {},
  yy?: number,
): LarsPath {
  const p = xty.length;
  const cov = Float64Array.from(xty); // Xᵀr, meaningful for inactive variables
  const isActive = new Uint8Array(p);
  const order = Int32Array.from({ length: p }, (_, i) => i);
  const active: number[] = [];
  const signs: number[] = [];
  const maxK = p;
  // L: the lower Cholesky factor of the active Gram, row-major (stride maxK); Lt its transpose, so both
  // the forward and the back substitution run along contiguous rows.
  const { L, Lt } = workspace(p);
  // z = L⁻¹·signs. Row i of the forward substitution only reads rows ≤ i of L and of the signs, which
  // an entering variable leaves untouched (it appends a row), so z is extended, not recomputed; a
  // leaving variable invalidates it from its position on. `zValid` rows are up to date.
  const z = new Float64Array(maxK);
  let zValid = 0;
  const alphas: number[] = [];
  const coefs: Float64Array[] = [];
  let coef = new Float64Array(p);
  let prevAlpha = 0;
  let nIter = 0;
  let drop = false;
  let dropped: number[] = [];
  const work = new Float64Array(maxK);
  const ls = new Float64Array(maxK);
  const corrEq = new Float64Array(p);
  const ratios = new Float64Array(p);
  const rss: number[] = [];
  // ‖y − Xw‖² = ‖y‖² − 2wᵀXᵀy + wᵀGw, and with w on the active set A, wᵀGw = w_Aᵀ L Lᵀ w_A = ‖ltw‖²
  // with ltw = Lᵀw_A. A step adds γ·ls to w_A, and Lᵀls = aa·L⁻¹signs = aa·z, so ltw follows in O(k): an entering
  // variable adds a zero, a leaving one takes its (rounding-sized) coefficient out and the Givens
  // rotations of the factor. So the RSS costs O(k) a knot, where carrying G·w along the path would need
  // every active variable's correlation with the direction, O(k²) a step. (The identity Xⱼᵀr = sⱼ·n·α
  // would be O(p) too, but fails after a degenerate candidate, which lowers α below the active
  // correlations as sklearn does; the collinear weekday dummies make one on every long path.)
  // Not computed without ‖y‖².
  const wantRss = yy !== undefined;
  const yy2 = yy ?? 0;
  const ltw = new Float64Array(maxK); // Lᵀw_A
  const act = new Int32Array(maxK); // `active` as a typed array, for the inner loops
  const inact = new Int32Array(p);
  const knotRss = (w: Float64Array) => {
    let wq = 0;
    let wgw = 0;
    for (let a = 0; a < active.length; a++) {
      wq += w[active[a]] * xty[active[a]];
      wgw += ltw[a] * ltw[a];
    }
    return Math.max(yy2 - 2 * wq + wgw, 0);
  };
  /** ltw from scratch (after a jittered direction, which is not the factor's). */
  const resetV = (w: Float64Array) => {
    for (let i = 0; i < active.length; i++) {
      const row = i * maxK;
      let s = 0;
      for (let j = i; j < active.length; j++) s += Lt[row + j] * w[active[j]];
      ltw[i] = s;
    }
  };
  // Between knots the active set of the segment is not the factor's (a variable may have left at its
  // end), so the point at alphaMin takes wᵀGw from the Gram itself.
  const pointRss = (w: Float64Array) => {
    let wq = 0;
    let wgw = 0;
    for (let a = 0; a < p; a++) {
      if (w[a] === 0) continue;
      wq += w[a] * xty[a];
      let ga = 0;
      for (let b = 0; b < p; b++) if (w[b] !== 0) ga += gram[a * p + b] * w[b];
      wgw += w[a] * ga;
    }
    return Math.max(yy2 - 2 * wq + wgw, 0);
  };

  for (;;) {
    let cIdx = -1;
    let cSigned = 0;
    let c = 0;
    for (let j = 0; j < p; j++) {
      if (isActive[j]) continue;
      if (cIdx < 0 || Math.abs(cov[j]) > c) {
        cIdx = j;
        cSigned = cov[j];
        c = Math.abs(cov[j]);
      }
    }
    const alpha = c / n;
    alphas[nIter] = alpha;
    coefs[nIter] = coef;
    if (alpha <= alphaMin + FLOAT32_EPS) {
      // At α = 0 the path has reached the least-squares fit (or exhausted the data); above it, the
      // solution at alphaMin lies on the segment from the previous knot (the path is piecewise linear).
      let at = alpha;
      if (Math.abs(alpha - alphaMin) > FLOAT32_EPS && nIter > 0) {
        const ss = (prevAlpha - alphaMin) / (prevAlpha - alpha);
        const prev = coefs[nIter - 1];
        const w = new Float64Array(p);
        for (let j = 0; j < p; j++) w[j] = prev[j] + ss * (coef[j] - prev[j]);
        coefs[nIter] = w;
        coef = w;
        at = alphaMin;
      }
      alphas[nIter] = alphaMin;
      rss[nIter] = !wantRss ? NaN : at === alpha ? knotRss(coef) : pointRss(coef);
      break;
    }
    rss[nIter] = wantRss ? knotRss(coef) : NaN;
    if (nIter >= maxIter || active.length >= p) break;

    if (!drop) {
      // Append cIdx to the Cholesky factor: L w = G[active, j], pivot √(G_jj − w·w).
      const k = active.length;
      const cRow = cIdx * p;
      for (let a = 0; a < k; a++) work[a] = gram[cRow + active[a]];
      forwardSolve(L, maxK, k, work);
      let v = 0;
      for (let a = 0; a < k; a++) v += work[a] * work[a];
      const diag = Math.max(Math.sqrt(Math.abs(gram[cRow + cIdx] - v)), eps);
      if (diag < 1e-7) {
        // Degenerate with the active set: sklearn zeroes its correlation and looks again.
        cov[cIdx] = 0;
        continue;
      }
      for (let a = 0; a < k; a++) {
        L[k * maxK + a] = work[a];
        Lt[a * maxK + k] = work[a];
      }
      L[k * maxK + k] = diag;
      Lt[k * maxK + k] = diag;
      ltw[k] = 0;
      act[k] = cIdx;
      const at = order.indexOf(cIdx);
      order[at] = order[k];
      order[k] = cIdx;
      active.push(cIdx);
      signs.push(Math.sign(cSigned));
      isActive[cIdx] = 1;
    }

    if (nIter > 0 && prevAlpha < alpha) break; // rounding now dominates the remaining correlation

    // The equiangular direction: ls = aa·G_AA⁻¹·signs with aa = (signsᵀ G_AA⁻¹ signs)^(−½).
    const k = active.length;
    for (let i = zValid; i < k; i++) z[i] = signs[i];
    forwardSolve(L, maxK, k, z, zValid);
    zValid = k;
    ls.set(z.subarray(0, k));
    backSolveUpper(Lt, maxK, k, ls);
    let s = 0;
    for (let a = 0; a < k; a++) s += ls[a] * signs[a];
    let aa = 1 / Math.sqrt(s);
    const jittered = !Number.isFinite(aa);
    if (jittered) aa = jitteredDirection(L, maxK, k, signs, ls, eps);
    for (let a = 0; a < k; a++) ls[a] *= aa;

    // Each inactive variable's correlation with the direction, G[j, active]·ls (the active ones are
    // aa·sⱼ by construction and unused). Eight variables at a time (then four, then one): each sum keeps
    // its own single accumulator and order, and the loads of the active index and of ls, which bound
    // this loop, serve eight products instead of four.
    let nIn = 0;
    for (let j = 0; j < p; j++) if (!isActive[j]) inact[nIn++] = j;
    let t = 0;
    for (; t + 7 < nIn; t += 8) {
      const r0 = inact[t] * p, r1 = inact[t + 1] * p, r2 = inact[t + 2] * p, r3 = inact[t + 3] * p;
      const r4 = inact[t + 4] * p, r5 = inact[t + 5] * p, r6 = inact[t + 6] * p, r7 = inact[t + 7] * p;
      let u0 = 0, u1 = 0, u2 = 0, u3 = 0, u4 = 0, u5 = 0, u6 = 0, u7 = 0;
      for (let a = 0; a < k; a++) {
        const col = act[a];
        const la = ls[a];
        u0 += gram[r0 + col] * la;
        u1 += gram[r1 + col] * la;
        u2 += gram[r2 + col] * la;
        u3 += gram[r3 + col] * la;
        u4 += gram[r4 + col] * la;
        u5 += gram[r5 + col] * la;
        u6 += gram[r6 + col] * la;
        u7 += gram[r7 + col] * la;
      }
      corrEq[inact[t]] = u0;
      corrEq[inact[t + 1]] = u1;
      corrEq[inact[t + 2]] = u2;
      corrEq[inact[t + 3]] = u3;
      corrEq[inact[t + 4]] = u4;
      corrEq[inact[t + 5]] = u5;
      corrEq[inact[t + 6]] = u6;
      corrEq[inact[t + 7]] = u7;
    }
    for (; t + 3 < nIn; t += 4) {
      const r0 = inact[t] * p, r1 = inact[t + 1] * p, r2 = inact[t + 2] * p, r3 = inact[t + 3] * p;
      let u0 = 0, u1 = 0, u2 = 0, u3 = 0;
      for (let a = 0; a < k; a++) {
        const col = act[a];
        const la = ls[a];
        u0 += gram[r0 + col] * la;
        u1 += gram[r1 + col] * la;
        u2 += gram[r2 + col] * la;
        u3 += gram[r3 + col] * la;
      }
      corrEq[inact[t]] = u0;
      corrEq[inact[t + 1]] = u1;
      corrEq[inact[t + 2]] = u2;
      corrEq[inact[t + 3]] = u3;
    }
    for (; t < nIn; t++) {
      const row = inact[t] * p;
      let u = 0;
      for (let a = 0; a < k; a++) u += gram[row + act[a]] * ls[a];
      corrEq[inact[t]] = u;
    }
    // The step at which an inactive correlation would reach the active ones', from either side:
    // sklearn's min_pos over (C − cⱼ)/(A − aⱼ) and (C + cⱼ)/(A + aⱼ).
    let g1 = Infinity;
    let g2 = Infinity;
    for (let t = 0; t < nIn; t++) {
      const j = inact[t];
      const u = corrEq[j];
      const q1 = (c - cov[j]) / (aa - u + FLOAT32_TINY);
      if (q1 > 0 && q1 < g1) g1 = q1;
      const q2 = (c + cov[j]) / (aa + u + FLOAT32_TINY);
      if (q2 > 0 && q2 < g2) g2 = q2;
    }
    let gamma = Math.min(g1, g2, c / aa);

    drop = false;
    for (let a = 0; a < k; a++) ratios[a] = -coef[active[a]] / (ls[a] + FLOAT32_TINY);
    const zPos = minPositive(ratios, k);
    if (zPos < gamma) {
      dropped = [];
      for (let a = k - 1; a >= 0; a--) if (ratios[a] === zPos) dropped.push(a);
      gamma = zPos;
      drop = true;
    }

    nIter++;
    const next = new Float64Array(p);
    for (let a = 0; a < k; a++) next[active[a]] = coef[active[a]] + gamma * ls[a];
    for (let j = 0; j < p; j++) if (!isActive[j]) cov[j] -= gamma * corrEq[j];
    prevAlpha = alpha;
    coef = next;
    if (wantRss) {
      if (jittered) resetV(next);
      else for (let a = 0; a < k; a++) ltw[a] += gamma * aa * z[a];
    }

    if (drop) {
      // Positions in descending order, so earlier removals do not shift later ones.
      for (const pos of dropped) {
        const j = active[pos];
        for (let i = pos; i < active.length - 1; i++) [order[i], order[i + 1]] = [order[i + 1], order[i]];
        if (wantRss) {
          const row = pos * maxK;
          for (let i = 0; i <= pos; i++) ltw[i] -= L[row + i] * coef[j];
        }
        choleskyDelete(L, maxK, active.length, pos, wantRss ? ltw : undefined);
        act.copyWithin(pos, pos + 1, active.length);
        active.splice(pos, 1);
        signs.splice(pos, 1);
        isActive[j] = 0;
        // Rows from pos on changed (shifted and rotated): refresh their transpose and the cached z.
        for (let r = pos; r < active.length; r++) {
          for (let col = 0; col <= r; col++) Lt[col * maxK + r] = L[r * maxK + col];
        }
        if (zValid > pos) zValid = pos;
        // Its correlation with the current residual: Xⱼᵀ(y − Xw) = (Xᵀy)ⱼ − Gⱼ·w.
        let r = xty[j];
        const row = j * p;
        for (let a = 0; a < p; a++) if (coef[a] !== 0) r -= gram[row + a] * coef[a];
        cov[j] = r;
      }
    }
  }
  return {
    alphas: Float64Array.from(alphas.slice(0, coefs.length)),
    coefs,
    rss: Float64Array.from(rss.slice(0, coefs.length)),
    order,
    active,
    nIter,
  };
}

/**
 * The path's two p × p work matrices, kept from call to call: a LEAR forecast runs 48 paths, and fresh
 * megabyte buffers (page faults, zeroing) cost as much as a short window's whole path. L is cleared
 * as a fresh one would be; Lt is only read where this path has written it.
 */
let scratch: { p: number; L: Float64Array; Lt: Float64Array } | undefined;
function workspace(p: number) {
  if (scratch?.p !== p) scratch = { p, L: new Float64Array(p * p), Lt: new Float64Array(p * p) };
  else scratch.L.fill(0);
  return scratch;
}

/**
 * Solves L z = b in place (L lower, k × k, stride `ld`) for rows `from` … k − 1, rows before `from`
 * being solved already. Row i is b_i minus its terms in the order j = 0 … i − 1, then divided by the
 * pivot, as plain substitution does; but two rows run together, their shared terms j < i side by side,
 * so two independent chains of additions keep the FPU busy.
 */
function forwardSolve(L: Float64Array, ld: number, k: number, b: Float64Array, from = 0): void {
  let i = from;
  for (; i + 1 < k; i += 2) {
    const r0 = i * ld;
    const r1 = r0 + ld;
    let s0 = b[i];
    let s1 = b[i + 1];
    for (let j = 0; j < i; j++) {
      const bj = b[j];
      s0 -= L[r0 + j] * bj;
      s1 -= L[r1 + j] * bj;
    }
    const x0 = s0 / L[r0 + i];
    b[i] = x0;
    s1 -= L[r1 + i] * x0;
    b[i + 1] = s1 / L[r1 + i + 1];
  }
  if (i < k) {
    let s = b[i];
    const row = i * ld;
    for (let j = 0; j < i; j++) s -= L[row + j] * b[j];
    b[i] = s / L[row + i];
  }
}

/** Solves Lᵀ z = b in place. */
function backSolve(L: Float64Array, ld: number, k: number, b: Float64Array): void {
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < k; j++) s -= L[j * ld + i] * b[j];
    b[i] = s / L[i * ld + i];
  }
}

/**
 * Solves U z = b in place for U upper triangular, stored row-major (U = Lᵀ, so its rows are contiguous).
 * The loop is bound by its loads, so two rows run together and share the loads of b: row i takes its
 * terms j > i in order, as plain substitution does, and row i − 1 the same terms j > i first, then its
 * term j = i once b[i] is solved. Row i − 1's sum is thus in another order than plain substitution's
 * (which starts at j = i): rounding-level differences, see tests/unit/forecast_lars_reference_test.ts.
 */
function backSolveUpper(U: Float64Array, ld: number, k: number, b: Float64Array): void {
  let i = k - 1;
  for (; i >= 1; i -= 2) {
    const r0 = i * ld;
    const r1 = r0 - ld;
    let s0 = b[i];
    let s1 = b[i - 1];
    for (let j = i + 1; j < k; j++) {
      const bj = b[j];
      s0 -= U[r0 + j] * bj;
      s1 -= U[r1 + j] * bj;
    }
    const x0 = s0 / U[r0 + i];
    b[i] = x0;
    s1 -= U[r1 + i] * x0;
    b[i - 1] = s1 / U[r1 + i - 1];
  }
  if (i === 0) {
    let s = b[0];
    for (let j = 1; j < k; j++) s -= U[j] * b[j];
    b[0] = s / U[0];
  }
}

/** sklearn's remedy for an ill-conditioned factor: add growing multiples of eps to the diagonal. */
function jitteredDirection(
  L: Float64Array,
  ld: number,
  k: number,
  signs: number[],
  ls: Float64Array,
  eps: number,
): number {
  const Lj = new Float64Array(L);
  for (let i = 0;; i++) {
    for (let a = 0; a < k; a++) Lj[a * ld + a] += 2 ** i * eps;
    for (let a = 0; a < k; a++) ls[a] = signs[a];
    forwardSolve(Lj, ld, k, ls);
    backSolve(Lj, ld, k, ls);
    let s = 0;
    for (let a = 0; a < k; a++) s += ls[a] * signs[a];
    const aa = 1 / Math.sqrt(Math.max(s, eps));
    if (Number.isFinite(aa)) return aa;
  }
}

/**
 * Removes row and column `pos` from a k × k Cholesky factor, restoring triangularity by Givens
 * rotations of the column pairs (c, c + 1), c = pos … k − 2; `v` (Lᵀw, for the path's RSS) gets the same
 * rotations. Done row by row, so memory is read contiguously: row r takes rotations pos … r in turn,
 * rotation c being set by row c once the earlier ones have reached it, which is exactly the arithmetic
 * of rotating whole column pairs one after the other.
 */
function choleskyDelete(L: Float64Array, ld: number, k: number, pos: number, v?: Float64Array): void {
  L.copyWithin(pos * ld, (pos + 1) * ld, k * ld);
  for (let c = 0; c < k; c++) L[(k - 1) * ld + c] = 0;
  const cs = new Float64Array(k);
  const sn = new Float64Array(k);
  const skip = new Uint8Array(k); // a zero pair needs no rotation
  // Rotation r, set by row r once rotations pos … r − 1 have reached it, applied to row `row`.
  const rotate = (row: number, c: number) => {
    const x = L[row + c];
    const y = L[row + c + 1];
    L[row + c] = cs[c] * x + sn[c] * y;
    L[row + c + 1] = -sn[c] * x + cs[c] * y;
  };
  const setRotation = (r: number) => {
    const a = L[r * ld + r];
    const b = L[r * ld + r + 1];
    const h = Math.hypot(a, b);
    if (h === 0) {
      skip[r] = 1;
      return;
    }
    cs[r] = a / h;
    sn[r] = b / h;
  };
  // Two rows at a time (independent chains), each taking its rotations in order.
  let r = pos;
  for (; r + 1 < k - 1; r += 2) {
    const r0 = r * ld;
    const r1 = r0 + ld;
    for (let c = pos; c < r; c++) {
      if (skip[c]) continue;
      const x0 = L[r0 + c];
      const y0 = L[r0 + c + 1];
      const x1 = L[r1 + c];
      const y1 = L[r1 + c + 1];
      L[r0 + c] = cs[c] * x0 + sn[c] * y0;
      L[r0 + c + 1] = -sn[c] * x0 + cs[c] * y0;
      L[r1 + c] = cs[c] * x1 + sn[c] * y1;
      L[r1 + c + 1] = -sn[c] * x1 + cs[c] * y1;
    }
    setRotation(r);
    if (!skip[r]) {
      rotate(r0, r);
      rotate(r1, r);
    }
    setRotation(r + 1);
    if (!skip[r + 1]) rotate(r1, r + 1);
  }
  if (r < k - 1) {
    const row = r * ld;
    for (let c = pos; c < r; c++) if (!skip[c]) rotate(row, c);
    setRotation(r);
    if (!skip[r]) rotate(row, r);
  }
  if (!v) return;
  for (let c = pos; c < k - 1; c++) {
    if (skip[c]) continue;
    const x = v[c];
    const y = v[c + 1];
    v[c] = cs[c] * x + sn[c] * y;
    v[c + 1] = -sn[c] * x + cs[c] * y;
  }
  v[k - 1] = 0;
}

export type NoiseVariance = "legacy" | "ols";

export interface LassoLarsICOptions extends LarsOptions {
  criterion?: "aic" | "bic";
  /** How σ² is estimated (see the module comment). Default "legacy", as the published LEAR. */
  noiseVariance?: NoiseVariance;
  /** Normalise the centred inputs to unit norm before the path. Default: true for legacy, false for ols. */
  normalize?: boolean;
  /**
   * Reproduce a quirk of sklearn ≤ 1.0 (default: on with "legacy"): with `precompute="auto"` and
   * n ≤ p, `lars_path` runs on X itself without copying it and swaps its columns in place, and
   * `LassoLarsIC` then computes the residuals of the criterion with that permuted X. It changes the
   * penalty chosen for the 56- and 84-day windows, and the published forecasts carry it.
   */
  inPlaceSwapQuirk?: boolean;
}

export interface LassoLarsICFit {
  /** The selected penalty, in the scale of the problem the path was run on. */
  alpha: number;
  alphas: Float64Array;
  criterion: Float64Array;
  df: Int32Array;
  best: number;
  /** Coefficients at the selected knot, in the units of the original (unnormalised) inputs. */
  coef: Float64Array;
  intercept: number;
}

export function lassoLarsIC(design: Design, y: ArrayLike<number>, options: LassoLarsICOptions = {}): LassoLarsICFit {
  return lassoLarsICCentred(design, centreTarget(design, y), options);
}

export function lassoLarsICCentred(
  design: Design,
  target: CentredTarget,
  options: LassoLarsICOptions = {},
): LassoLarsICFit {
  const { n, p } = design;
  const noise = options.noiseVariance ?? "legacy";
  const normalize = options.normalize ?? noise === "legacy";
  const k = options.criterion === "bic" ? Math.log(n) : 2;
  const { scale, gram } = normalize ? normalized(design) : { scale: new Float64Array(p).fill(1), gram: design.gram };
  let xty = target.xty;
  if (normalize) {
    xty = new Float64Array(p);
    for (let j = 0; j < p; j++) xty[j] = target.xty[j] / scale[j];
  }
  let sigma2 = 0;
  if (noise === "ols") {
    if (n <= p + 1) {
      throw new RangeError(`the OLS noise variance needs more samples than features + 1 (n=${n}, p=${p})`);
    }
    sigma2 = olsResidualSumOfSquares(gram, xty, target.yy) / (n - p - 1);
  }
  const quirk = (options.inPlaceSwapQuirk ?? noise === "legacy") && n <= p;
  // The quirk takes its residuals from the permuted X, so the path's own RSS would go unused.
  const path = larsLassoPath(gram, xty, n, options, quirk ? undefined : target.yy);
  const m = path.coefs.length;
  const criterion = new Float64Array(m);
  const df = new Int32Array(m);
  for (let t = 0; t < m; t++) {
    const w = path.coefs[t];
    let count = 0;
    for (let j = 0; j < p; j++) if (Math.abs(w[j]) > FLOAT64_EPS) count++;
    const rss = quirk ? permutedRss(design, target, scale, path.order, w) : path.rss[t];
    df[t] = count;
    criterion[t] = noise === "legacy"
      ? rss / (target.yy / n + FLOAT64_EPS) + k * count
      : n * Math.log(2 * Math.PI * sigma2) + rss / sigma2 + k * count;
  }
  let best = 0;
  for (let t = 1; t < m; t++) if (criterion[t] < criterion[best]) best = t;
  const coef = new Float64Array(p);
  for (let j = 0; j < p; j++) coef[j] = path.coefs[best][j] / scale[j];
  const intercept = interceptOf(design, target, coef);
  return { alpha: path.alphas[best], alphas: path.alphas, criterion, df, best, coef, intercept };
}

const normalizedDesigns = new WeakMap<Design, { scale: Float64Array; gram: Float64Array }>();

/**
 * The Gram of the columns scaled to unit norm, and those norms: a property of the design alone, so
 * computed once for all the targets (hours) fitted on it.
 */
function normalized(design: Design): { scale: Float64Array; gram: Float64Array } {
  let out = normalizedDesigns.get(design);
  if (out) return out;
  const { p } = design;
  const scale = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const s = Math.sqrt(design.gram[j * p + j]);
    scale[j] = s > 0 ? s : 1;
  }
  const gram = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) gram[a * p + b] = design.gram[a * p + b] / (scale[a] * scale[b]);
  }
  out = { scale, gram };
  normalizedDesigns.set(design, out);
  return out;
}

/** ‖yc − Xc[:, order]·w‖² with the centred (and scaled) inputs: the residual sklearn's quirk computes. */
function permutedRss(
  design: Design,
  target: CentredTarget,
  scale: Float64Array,
  order: Int32Array,
  w: Float64Array,
): number {
  const { n, p, xcT } = design;
  // Column by column over contiguous memory; each row's fit still sums its terms in feature order.
  const fit = new Float64Array(n);
  for (let j = 0; j < p; j++) {
    const wj = w[j];
    if (wj === 0) continue;
    const col = order[j];
    const sc = scale[col];
    const base = col * n;
    for (let i = 0; i < n; i++) fit[i] += wj * xcT[base + i] / sc;
  }
  let rss = 0;
  for (let i = 0; i < n; i++) {
    const r = target.yc[i] - fit[i];
    rss += r * r;
  }
  return rss;
}

/**
 * RSS of the least-squares fit from Gram quantities, tolerating rank deficiency (the seven weekday
 * dummies sum to one, so after centring they are collinear): columns whose Cholesky pivot vanishes
 * relative to their norm are left out, which projects onto the same column space.
 */
function olsResidualSumOfSquares(gram: Float64Array, xty: Float64Array, yy: number): number {
  const p = xty.length;
  const kept: number[] = [];
  const L = new Float64Array(p * p);
  const w = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const k = kept.length;
    for (let a = 0; a < k; a++) w[a] = gram[kept[a] * p + j];
    forwardSolve(L, p, k, w);
    let v = 0;
    for (let a = 0; a < k; a++) v += w[a] * w[a];
    const d2 = gram[j * p + j] - v;
    if (!(d2 > 1e-10 * gram[j * p + j])) continue;
    for (let a = 0; a < k; a++) L[k * p + a] = w[a];
    L[k * p + k] = Math.sqrt(d2);
    kept.push(j);
  }
  const z = new Float64Array(kept.length);
  for (let a = 0; a < kept.length; a++) z[a] = xty[kept[a]];
  forwardSolve(L, p, kept.length, z);
  let explained = 0;
  for (let a = 0; a < z.length; a++) explained += z[a] * z[a];
  return Math.max(yy - explained, 0);
}
