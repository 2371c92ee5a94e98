/**
 * The LASSO solver and the LARS path against exact answers: the orthogonal design (soft
 * thresholding, and a path whose knots are the sorted correlations), a small problem solved by
 * enumerating every sign pattern and checking the KKT conditions, and the consistency of the two
 * solvers (the LARS coefficients at a knot are the coordinate-descent solution at that penalty).
 */
import assert from "node:assert/strict";
import { centreTarget, lasso, predictRow, prepareDesign, softThreshold } from "../../services/forecast/lasso.ts";
import { larsLassoPath, lassoLarsIC } from "../../services/forecast/lars.ts";

/** Deterministic pseudo-random numbers (mulberry32), so the problems are fixed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

function close(actual: number, expected: number, tol: number, what: string) {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tol ${tol})`);
}

/** Columns of a 4-row Hadamard matrix without the constant one: centred and mutually orthogonal. */
const H4 = [
  [1, 1, 1],
  [1, -1, -1],
  [-1, 1, -1],
  [-1, -1, 1],
];

Deno.test("lasso: orthogonal design gives the soft-thresholded least squares, intercept included", () => {
  const x = Float64Array.from(H4.flat());
  // Xᵀy / n = (3, −2, 1) around a mean of 5.
  const y = [5 + 3 - 2 + 1, 5 + 3 + 2 - 1, 5 - 3 - 2 - 1, 5 - 3 + 2 + 1];
  const design = prepareDesign(x, 4, 3);
  for (const alpha of [0, 0.5, 1.5, 2.5, 3.5]) {
    const fit = lasso(design, y, alpha, { tol: 1e-12 });
    const expected = [3, -2, 1].map((c) => softThreshold(c, alpha));
    fit.coef.forEach((w, j) => close(w, expected[j], 1e-12, `alpha ${alpha} coef ${j}`));
    close(fit.intercept, 5, 1e-12, "intercept");
    assert.ok(fit.converged);
  }
  assert.equal(softThreshold(-3, 1), -2);
  assert.equal(softThreshold(0.5, 1), 0);
});

Deno.test("lasso: a 3-feature problem matches the solution found by enumerating all 27 sign patterns", () => {
  const r = rng(7);
  const n = 9;
  const p = 3;
  const x = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    x[i * p] = r() * 2;
    x[i * p + 1] = x[i * p] * 0.6 + r(); // correlated, so the answer is not soft thresholding
    x[i * p + 2] = r() * 1.5;
  }
  const y = Array.from({ length: n }, (_, i) => 1 + 2 * x[i * p] - 1.2 * x[i * p + 1] + 0.3 * x[i * p + 2] + r() * 0.4);
  const design = prepareDesign(x, n, p);
  for (const alpha of [0.01, 0.05, 0.15, 0.4]) {
    const exact = enumerateLasso(x, y, n, p, alpha);
    const fit = lasso(design, y, alpha, { tol: 1e-14, maxIter: 100000 });
    fit.coef.forEach((w, j) => close(w, exact[j], 1e-7, `alpha ${alpha} coef ${j}`));
  }
});

/**
 * The LASSO by brute force: for every sign pattern s, solve the KKT system of its active set,
 * (XₐᵀXₐ) w = Xₐᵀy − nα sₐ on centred data, keep the pattern whose solution has signs s and whose
 * inactive correlations are within nα. The LASSO solution is unique here, so exactly one passes.
 */
function enumerateLasso(x: Float64Array, y: number[], n: number, p: number, alpha: number): number[] {
  const xm = Array.from({ length: p }, (_, j) => y.reduce((s, _v, i) => s + x[i * p + j], 0) / n);
  const ym = y.reduce((a, b) => a + b, 0) / n;
  const xc = (i: number, j: number) => x[i * p + j] - xm[j];
  const found: number[][] = [];
  for (let code = 0; code < 3 ** p; code++) {
    const s = Array.from({ length: p }, (_, j) => (Math.floor(code / 3 ** j) % 3) - 1);
    const act = s.flatMap((v, j) => (v !== 0 ? [j] : []));
    const k = act.length;
    const a = act.map((j1) => act.map((j2) => sumOver(n, (i) => xc(i, j1) * xc(i, j2))));
    const b = act.map((j) => sumOver(n, (i) => xc(i, j) * (y[i] - ym)) - n * alpha * s[j]);
    const wA = k ? gaussSolve(a, b) : [];
    const w = new Array(p).fill(0);
    act.forEach((j, t) => (w[j] = wA[t]));
    if (act.some((j) => Math.sign(w[j]) !== s[j])) continue;
    const resid = Array.from({ length: n }, (_, i) => y[i] - ym - w.reduce((acc, wj, j) => acc + wj * xc(i, j), 0));
    const ok = s.every((v, j) => v !== 0 || Math.abs(sumOver(n, (i) => xc(i, j) * resid[i])) <= n * alpha + 1e-12);
    if (ok) found.push(w);
  }
  assert.equal(found.length, 1, `expected one KKT solution, found ${found.length}`);
  return found[0];
}

const sumOver = (n: number, f: (i: number) => number) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += f(i);
  return s;
};

function gaussSolve(a: number[][], b: number[]): number[] {
  const k = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    [m[c], m[piv]] = [m[piv], m[c]];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let cc = c; cc <= k; cc++) m[r][cc] -= f * m[c][cc];
    }
  }
  return m.map((row, i) => row[k] / row[i]);
}

Deno.test("lars: on an orthogonal design the knots are the sorted |correlations| and the path soft-thresholds", () => {
  const x = Float64Array.from(H4.flat());
  const y = [5 + 3 - 2 + 1, 5 + 3 + 2 - 1, 5 - 3 - 2 - 1, 5 - 3 + 2 + 1];
  const design = prepareDesign(x, 4, 3);
  const { xty } = centreTarget(design, y);
  assert.deepEqual(Array.from(xty), [12, -8, 4]); // n · (3, −2, 1)
  const path = larsLassoPath(design.gram, xty, 4);
  assert.deepEqual(Array.from(path.alphas), [3, 2, 1, 0]);
  const expected = [[0, 0, 0], [1, 0, 0], [2, -1, 0], [3, -2, 1]];
  path.coefs.forEach((c, k) => c.forEach((w, j) => close(w, expected[k][j], 1e-12, `knot ${k} coef ${j}`)));
  assert.deepEqual(path.active, [0, 1, 2]);
  // Entering in the order 1, 2, 0 swaps columns (0 ↔ 1), then (1 ↔ 2): sklearn leaves X as [1, 2, 0].
  const swapped = centreTarget(design, [5 + 1 - 3 + 2, 5 + 1 + 3 - 2, 5 - 1 - 3 - 2, 5 - 1 + 3 + 2]);
  const path2 = larsLassoPath(design.gram, swapped.xty, 4);
  assert.deepEqual(path2.active, [1, 2, 0]);
  assert.deepEqual(Array.from(path2.order), [1, 2, 0]);
  // Legacy AIC = RSS / (‖y − ȳ‖²/n) + 2·df. With Xᵀy/n = (3, −0.5, 0.25), ‖y − ȳ‖² = 4·9.3125:
  // knots α = 3, 0.5, 0.25, 0 with coefficients 0, (2.5), (2.75, −0.25), (3, −0.5, 0.25) and
  // RSS = 37.25, 2.25, 0.75, 0 → criteria 4, 2.24, 4.08, 6: the second knot (α = 0.5) wins.
  const y2 = [7.75, 8.25, 1.25, 2.75];
  const ic = lassoLarsIC(design, y2, { normalize: false });
  assert.deepEqual(Array.from(ic.alphas), [3, 0.5, 0.25, 0]);
  const hand = [4, 2.25 / 9.3125 + 2, 0.75 / 9.3125 + 4, 6];
  ic.criterion.forEach((v, k) => close(v, hand[k], 1e-9, `criterion ${k}`));
  assert.deepEqual(Array.from(ic.df), [0, 1, 2, 3]);
  assert.equal(ic.best, 1);
  assert.equal(ic.alpha, 0.5);
  close(predictRow(ic, [1, 1, 1]), 5 + 2.5, 1e-12, "prediction at the selected knot");
  // Normalising (legacy default) rescales α by the column norm 2, not the choice.
  const icNorm = lassoLarsIC(design, y2);
  assert.equal(icNorm.best, 1);
  close(icNorm.alpha, 0.5 * 2 / 4, 1e-12, "α on unit-norm columns (‖xⱼ‖ = 2, n = 4)");
});

Deno.test("lars: every knot of a correlated problem is the coordinate-descent LASSO at that penalty", () => {
  const r = rng(11);
  const n = 40;
  const p = 12;
  const x = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    const common = r();
    for (let j = 0; j < p; j++) x[i * p + j] = r() + 0.8 * common * (j % 3);
  }
  const y = Array.from({ length: n }, (_, i) => 3 * x[i * p] - 2 * x[i * p + 4] + x[i * p + 7] + r());
  const design = prepareDesign(x, n, p);
  const ym = y.reduce((a, b) => a + b, 0) / n;
  const xty = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) xty[j] += (x[i * p + j] - design.xMean[j]) * (y[i] - ym);
  const path = larsLassoPath(design.gram, xty, n);
  assert.ok(path.alphas.length >= p, `a full path has at least p knots, got ${path.alphas.length}`);
  for (let k = 1; k < path.alphas.length; k++) {
    const alpha = path.alphas[k];
    if (alpha <= 0) continue;
    const fit = lasso(design, y, alpha, { tol: 1e-14, maxIter: 200000 });
    fit.coef.forEach((w, j) => close(w, path.coefs[k][j], 1e-7, `knot ${k} (α ${alpha}) coef ${j}`));
  }
  // The end of the path (α → 0) is least squares: the residual is orthogonal to every column.
  const last = path.coefs[path.coefs.length - 1];
  for (let j = 0; j < p; j++) {
    let g = xty[j];
    for (let k = 0; k < p; k++) g -= design.gram[j * p + k] * last[k];
    close(g, 0, 1e-8, `normal equation ${j}`);
  }
});

Deno.test("lassoLarsIC: the OLS noise variance is RSS_ols/(n − p − 1), and it refuses n ≤ p + 1", () => {
  const r = rng(3);
  const n = 30;
  const p = 4;
  const x = new Float64Array(n * p);
  for (let i = 0; i < n * p; i++) x[i] = r();
  const y = Array.from({ length: n }, (_, i) => x[i * p] - x[i * p + 2] + 0.3 * r());
  const design = prepareDesign(x, n, p);
  const ic = lassoLarsIC(design, y, { noiseVariance: "ols" });
  // Independent OLS by the normal equations, then the criterion of the last knot (the OLS fit).
  const xm = design.xMean;
  const ym = y.reduce((a, b) => a + b, 0) / n;
  const a = Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, k) => design.gram[j * p + k]));
  const b = Array.from({ length: p }, (_, j) => sumOver(n, (i) => (x[i * p + j] - xm[j]) * (y[i] - ym)));
  const w = gaussSolve(a, b);
  const rss = sumOver(n, (i) => (y[i] - ym - w.reduce((s, wj, j) => s + wj * (x[i * p + j] - xm[j]), 0)) ** 2);
  const sigma2 = rss / (n - p - 1);
  const last = ic.criterion.length - 1;
  close(ic.criterion[last], n * Math.log(2 * Math.PI * sigma2) + rss / sigma2 + 2 * p, 1e-8, "criterion at OLS");
  assert.throws(() => lassoLarsIC(prepareDesign(x.slice(0, 5 * p), 5, p), y.slice(0, 5), { noiseVariance: "ols" }));
});

/** 20 rows of 6 correlated columns whose LARS path has a coefficient crossing zero (a variable leaves). */
function crossingProblem() {
  const r = rng(9);
  const n = 20;
  const p = 6;
  const x = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    const c = r();
    for (let j = 0; j < p; j++) x[i * p + j] = r() + 1.5 * c * (j % 2 ? 1 : -1);
  }
  const y = Array.from({ length: n }, (_, i) => 2 * x[i * p] + 1.9 * x[i * p + 1] - x[i * p + 3] + 0.5 * r());
  const design = prepareDesign(x, n, p);
  const target = centreTarget(design, y);
  return { n, p, x, y, design, target };
}

/** The residual sum of squares of coefficients `w` (on the centred columns) around `yMean`, computed directly. */
function residualSS(
  x: Float64Array,
  y: number[],
  design: ReturnType<typeof prepareDesign>,
  yMean: number,
  w: ArrayLike<number>,
) {
  const n = y.length;
  const p = design.xMean.length;
  return sumOver(n, (i) => {
    let f = yMean;
    for (let j = 0; j < p; j++) f += w[j] * (x[i * p + j] - design.xMean[j]);
    return (y[i] - f) ** 2;
  });
}

Deno.test("lars: a path where variables leave the active set (the lasso modification) still matches CD", () => {
  const { n, p, x, y, design, target } = crossingProblem();
  const path = larsLassoPath(design.gram, target.xty, n, {}, target.yy);
  let drops = 0;
  for (let k = 1; k < path.coefs.length; k++) {
    for (let j = 0; j < p; j++) if (path.coefs[k - 1][j] !== 0 && Math.abs(path.coefs[k][j]) < 1e-12) drops++;
  }
  assert.ok(drops >= 1, "this problem has a coefficient crossing zero on its path");
  // sklearn's in-place column order keeps the active block first, in the active list's order.
  assert.deepEqual(Array.from(path.order.slice(0, path.active.length)), path.active);
  for (let k = 0; k < path.coefs.length; k++) {
    const w = path.coefs[k];
    // The RSS carried along the path is the residual's, computed directly.
    const rss = residualSS(x, y, design, target.yMean, w);
    close(path.rss[k], rss, 1e-9, `rss at knot ${k}`);
    if (k === 0 || path.alphas[k] <= 0) continue;
    const fit = lasso(design, y, path.alphas[k], { tol: 1e-15, maxIter: 500000 });
    fit.coef.forEach((v, j) => close(v, w[j], 1e-9, `knot ${k} coef ${j}`));
  }
});

Deno.test("lars: stopped at alphaMin between knots, the path's end is the exact LASSO at alphaMin", () => {
  const { n, x, y, design, target } = crossingProblem();
  const full = larsLassoPath(design.gram, target.xty, n, {}, target.yy);
  for (let k = 1; k < full.alphas.length - 1; k++) {
    const alphaMin = (full.alphas[k] + full.alphas[k + 1]) / 2; // strictly between two knots
    const stopped = larsLassoPath(design.gram, target.xty, n, { alphaMin }, target.yy);
    assert.equal(stopped.alphas[stopped.alphas.length - 1], alphaMin);
    const end = stopped.coefs[stopped.coefs.length - 1];
    const fit = lasso(design, y, alphaMin, { tol: 1e-15, maxIter: 500000 });
    fit.coef.forEach((v, j) => close(end[j], v, 1e-9, `alphaMin ${alphaMin} coef ${j}`));
    const resid = residualSS(x, y, design, target.yMean, end);
    close(stopped.rss[stopped.rss.length - 1], resid, 1e-9, "rss at alphaMin");
  }
});

Deno.test("lassoLarsIC legacy, n ≤ p: the criterion uses X with sklearn's in-place column swaps", () => {
  const r = rng(21);
  const n = 8;
  const p = 12;
  const x = new Float64Array(n * p);
  for (let i = 0; i < n * p; i++) x[i] = r();
  const y = Array.from({ length: n }, (_, i) => x[i * p + 5] - 2 * x[i * p + 9] + 0.1 * r());
  const design = prepareDesign(x, n, p);
  const target = centreTarget(design, y);
  const scale = Array.from({ length: p }, (_, j) => Math.sqrt(design.gram[j * p + j]));
  const xn = (i: number, j: number) => (x[i * p + j] - design.xMean[j]) / scale[j];
  const quirk = lassoLarsIC(design, y);
  const plain = lassoLarsIC(design, y, { inPlaceSwapQuirk: false });
  // The same path either way; only the residuals of the criterion differ.
  assert.deepEqual(Array.from(quirk.alphas), Array.from(plain.alphas));
  // Rebuild the path on the normalised problem to get its coefficients and column order.
  const gn = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) gn[a * p + b] = design.gram[a * p + b] / (scale[a] * scale[b]);
  }
  const path = larsLassoPath(gn, target.xty.map((v, j) => v / scale[j]), n, {}, target.yy);
  assert.deepEqual(Array.from(path.order).sort((a, b) => a - b), Array.from({ length: p }, (_, i) => i));
  for (let k = 0; k < path.coefs.length; k++) {
    const w = path.coefs[k];
    const df = w.filter((v) => Math.abs(v) > 2.220446049250313e-16).length;
    const rss = (perm: (j: number) => number) =>
      sumOver(n, (i) => {
        let f = 0;
        for (let j = 0; j < p; j++) f += w[j] * xn(i, perm(j));
        return (target.yc[i] - f) ** 2;
      });
    close(quirk.criterion[k], rss((j) => path.order[j]) / (target.yy / n) + 2 * df, 1e-8, `quirk criterion ${k}`);
    close(plain.criterion[k], rss((j) => j) / (target.yy / n) + 2 * df, 1e-8, `plain criterion ${k}`);
  }
  assert.notDeepEqual(Array.from(path.order), Array.from({ length: p }, (_, i) => i), "the path did swap columns");
  // With n > p sklearn works on the Gram matrix and X is left alone: no quirk.
  const big = prepareDesign(x.slice(0, 8 * 6), 8, 6);
  assert.deepEqual(
    Array.from(lassoLarsIC(big, y).criterion),
    Array.from(lassoLarsIC(big, y, { inPlaceSwapQuirk: false }).criterion),
  );
});
