/**
 * The optimised LARS path and design products against a plain reference: the implementation they
 * replaced (straightforward loops, G·w carried along the path for the knots' RSS), kept here as the
 * oracle. The path's structure must be the same exactly: its knots, column order and active set (the
 * published LEAR forecasts are reproduced through these paths, and the n ≤ p criterion depends on the
 * path's last column swaps). Its numbers only to rounding: the back substitution solves two rows
 * together, sharing their loads, which puts every other row's sum in another order than the
 * reference's, so penalties and coefficients differ in the last bits; the tolerance (1e-10 relative)
 * is far below anything a real fault in the path would produce. The RSS, computed another way, to
 * rounding too.
 */
import assert from "node:assert/strict";
import { centreTarget, prepareDesign } from "../../services/forecast/lasso.ts";
import { larsLassoPath } from "../../services/forecast/lars.ts";

/** Deterministic pseudo-random numbers (mulberry32). */
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

/**
 * Inputs like LEAR's: `p − 3` correlated continuous columns and three weekday-like dummies that sum
 * to one (collinear once centred, so the path meets a degenerate candidate), and a target on a few.
 */
function problem(seed: number, n: number, p: number) {
  const r = rng(seed);
  const x = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    const common = r();
    for (let j = 0; j < p - 3; j++) x[i * p + j] = r() + 1.2 * common * ((j % 3) - 1);
    x[i * p + p - 3 + (i % 3)] = 1;
  }
  const y = Array.from({ length: n }, (_, i) => 2 * x[i * p] - 1.5 * x[i * p + 1] + x[i * p + p - 3] + 0.7 * r());
  const design = prepareDesign(x, n, p);
  return { n, p, x, y, design, target: centreTarget(design, y) };
}

Deno.test("prepareDesign and centreTarget: the same Gram and Xᵀy, bit for bit, as accumulating the rows", () => {
  for (const [n, p] of [[31, 9], [12, 17]]) {
    const { x, y, design, target } = problem(n * p, n, p);
    const gram = new Float64Array(p * p);
    const xty = new Float64Array(p);
    const ym = y.reduce((a, b) => a + b, 0) / n;
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < p; a++) {
        const ra = x[i * p + a] - design.xMean[a];
        xty[a] += ra * (y[i] - ym);
        for (let b = a; b < p; b++) gram[a * p + b] += ra * (x[i * p + b] - design.xMean[b]);
      }
    }
    for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) gram[a * p + b] = gram[b * p + a];
    assert.deepEqual(Array.from(design.gram), Array.from(gram));
    assert.deepEqual(Array.from(target.xty), Array.from(xty));
  }
});

/**
 * Equal to rounding, relative to the vector's largest entry. (Zero patterns are not compared: at the
 * knot where a variable leaves, its coefficient is a rounding-sized remainder in one and may be 0 in
 * the other; the active sets and column order, compared exactly, are the path's structure.)
 */
function assertClose(got: Float64Array, want: Float64Array, what: string) {
  assert.equal(got.length, want.length, what);
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= 1e-10 * scale, `${what} [${i}]: ${got[i]} vs ${want[i]}`);
  }
}

Deno.test("lars: the path is the reference's to rounding (n > p and n ≤ p, drops, a degenerate candidate)", () => {
  let drops = 0;
  let degenerate = 0;
  for (const [seed, n, p] of [[1, 60, 14], [2, 200, 23], [3, 12, 20], [4, 25, 40], [5, 45, 11]]) {
    const { design, target } = problem(seed, n, p);
    for (const alphaMin of [0, 0.02]) {
      const got = larsLassoPath(design.gram, target.xty, n, { maxIter: 2500, alphaMin }, target.yy);
      const want = referencePath(design.gram, target.xty, n, 2500, alphaMin, target.yy);
      assert.equal(got.coefs.length, want.coefs.length);
      assertClose(got.alphas, want.alphas, `seed ${seed} α`);
      got.coefs.forEach((c, k) => assertClose(c, want.coefs[k], `seed ${seed} knot ${k}`));
      assert.deepEqual(Array.from(got.order), Array.from(want.order));
      assert.deepEqual(got.active, want.active);
      assert.equal(got.nIter, want.nIter);
      for (let k = 0; k < got.rss.length; k++) {
        const tol = 1e-9 * Math.max(target.yy, 1);
        assert.ok(Math.abs(got.rss[k] - want.rss[k]) <= tol, `seed ${seed} rss ${k}: ${got.rss[k]} vs ${want.rss[k]}`);
      }
      for (let k = 1; k < got.coefs.length; k++) {
        for (let j = 0; j < p; j++) if (got.coefs[k - 1][j] !== 0 && got.coefs[k][j] === 0) drops++;
      }
      // The three centred dummies are collinear: a full path keeps at most two of them.
      const dummies = got.active.filter((j) => j >= p - 3).length;
      if (alphaMin === 0 && n > p && dummies === 2 && got.active.length === p - 1) degenerate++;
    }
  }
  assert.ok(drops > 0, "some path had a variable leave the active set");
  assert.ok(degenerate > 0, "some path rejected a degenerate candidate");
});

Deno.test("lars: without ‖y‖² the path is the same and its RSS is not computed", () => {
  const { n, design, target } = problem(7, 50, 12);
  const withRss = larsLassoPath(design.gram, target.xty, n, {}, target.yy);
  const without = larsLassoPath(design.gram, target.xty, n, {});
  assert.deepEqual(without.coefs.map((c) => Array.from(c)), withRss.coefs.map((c) => Array.from(c)));
  assert.ok(Array.from(without.rss).every(Number.isNaN));
});

// ---- The reference: the straightforward implementation the optimised path replaced. ----

const FLOAT64_EPS = 2.220446049250313e-16;
const FLOAT32_EPS = 1.1920928955078125e-7;
const FLOAT32_TINY = 1.1754943508222875e-38;

function minPositive(values: Float64Array, count: number): number {
  let best = Infinity;
  for (let i = 0; i < count; i++) if (values[i] > 0 && values[i] < best) best = values[i];
  return best;
}
function referencePath(
  gram: Float64Array,
  xty: Float64Array,
  n: number,
  maxIter: number,
  alphaMin: number,
  yy: number,
) {
  const eps = FLOAT64_EPS;
  const p = xty.length;
  const cov = Float64Array.from(xty); // Xᵀr, meaningful for inactive variables
  const isActive = new Uint8Array(p);
  const order = Int32Array.from({ length: p }, (_, i) => i);
  const active: number[] = [];
  const signs: number[] = [];
  const maxK = p;
  const L = new Float64Array(maxK * maxK); // lower Cholesky factor of the active Gram, stride maxK
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
  const gw = new Float64Array(p); // G·w at the current knot, for the residual sum of squares
  const prevGw = new Float64Array(p);
  let residue: [number, number][] = [];
  const rss: number[] = [];
  const knotRss = () => {
    let wq = 0;
    let wgw = 0;
    for (let j = 0; j < p; j++) {
      if (coef[j] === 0) continue;
      wq += coef[j] * xty[j];
      wgw += coef[j] * gw[j];
    }
    return Math.max(yy - 2 * wq + wgw, 0);
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
    rss[nIter] = knotRss();
    if (alpha <= alphaMin + FLOAT32_EPS) {
      // At α = 0 the path has reached the least-squares fit (or exhausted the data); above it, the
      // solution at alphaMin lies on the segment from the previous knot (the path is piecewise linear).
      if (Math.abs(alpha - alphaMin) > FLOAT32_EPS && nIter > 0) {
        const ss = (prevAlpha - alphaMin) / (prevAlpha - alpha);
        const prev = coefs[nIter - 1];
        const at = new Float64Array(p);
        for (let j = 0; j < p; j++) at[j] = prev[j] + ss * (coef[j] - prev[j]);
        coefs[nIter] = at;
        for (let j = 0; j < p; j++) gw[j] = prevGw[j] + ss * (gw[j] - prevGw[j]);
        coef = at;
        rss[nIter] = knotRss();
      }
      alphas[nIter] = alphaMin;
      break;
    }
    if (nIter >= maxIter || active.length >= p) break;

    if (!drop) {
      // Append cIdx to the Cholesky factor: L w = G[active, j], pivot √(G_jj − w·w).
      const k = active.length;
      for (let a = 0; a < k; a++) work[a] = gram[active[a] * p + cIdx];
      forwardSolve(L, maxK, k, work);
      let v = 0;
      for (let a = 0; a < k; a++) v += work[a] * work[a];
      const diag = Math.max(Math.sqrt(Math.abs(gram[cIdx * p + cIdx] - v)), eps);
      if (diag < 1e-7) {
        // Degenerate with the active set: sklearn zeroes its correlation and looks again.
        cov[cIdx] = 0;
        continue;
      }
      for (let a = 0; a < k; a++) L[k * maxK + a] = work[a];
      L[k * maxK + k] = diag;
      const at = order.indexOf(cIdx);
      order[at] = order[k];
      order[k] = cIdx;
      active.push(cIdx);
      signs.push(Math.sign(cSigned));
      isActive[cIdx] = 1;
    }

    if (nIter > 0 && prevAlpha < alpha) break; // rounding now dominates the remaining correlation

    const k = active.length;
    for (let a = 0; a < k; a++) ls[a] = signs[a];
    forwardSolve(L, maxK, k, ls);
    backSolve(L, maxK, k, ls);
    let s = 0;
    for (let a = 0; a < k; a++) s += ls[a] * signs[a];
    let aa = 1 / Math.sqrt(s);
    if (!Number.isFinite(aa)) aa = jitteredDirection(L, maxK, k, signs, ls, eps);
    for (let a = 0; a < k; a++) ls[a] *= aa;

    // u = G[:, active]·ls for every variable, row by row of the (symmetric) Gram so the inner loop is
    // contiguous; the inactive entries are the correlations with the equiangular direction.
    corrEq.fill(0);
    for (let a = 0; a < k; a++) {
      const row = active[a] * p;
      const la = ls[a];
      for (let j = 0; j < p; j++) corrEq[j] += gram[row + j] * la;
    }
    let inactive = 0;
    for (let j = 0; j < p; j++) {
      if (isActive[j]) continue;
      ratios[inactive++] = (c - cov[j]) / (aa - corrEq[j] + FLOAT32_TINY);
    }
    const g1 = minPositive(ratios, inactive);
    inactive = 0;
    for (let j = 0; j < p; j++) {
      if (isActive[j]) continue;
      ratios[inactive++] = (c + cov[j]) / (aa + corrEq[j] + FLOAT32_TINY);
    }
    const g2 = minPositive(ratios, inactive);
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
    prevGw.set(gw);
    // G·w follows the step; a variable dropped at the previous knot leaves its rounding residue behind.
    for (let j = 0; j < p; j++) gw[j] += gamma * corrEq[j];
    for (const [j, v] of residue) {
      const row = j * p;
      for (let i = 0; i < p; i++) gw[i] -= gram[row + i] * v;
    }
    residue = [];
    prevAlpha = alpha;
    coef = next;

    if (drop) {
      // Positions in descending order, so earlier removals do not shift later ones.
      for (const pos of dropped) {
        const j = active[pos];
        residue.push([j, coef[j]]);
        for (let i = pos; i < active.length - 1; i++) [order[i], order[i + 1]] = [order[i + 1], order[i]];
        choleskyDelete(L, maxK, active.length, pos);
        active.splice(pos, 1);
        signs.splice(pos, 1);
        isActive[j] = 0;
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
function forwardSolve(L: Float64Array, ld: number, k: number, b: Float64Array): void {
  for (let i = 0; i < k; i++) {
    let s = b[i];
    const row = i * ld;
    for (let j = 0; j < i; j++) s -= L[row + j] * b[j];
    b[i] = s / L[row + i];
  }
}
function backSolve(L: Float64Array, ld: number, k: number, b: Float64Array): void {
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < k; j++) s -= L[j * ld + i] * b[j];
    b[i] = s / L[i * ld + i];
  }
}
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
function choleskyDelete(L: Float64Array, ld: number, k: number, pos: number): void {
  for (let r = pos; r < k - 1; r++) {
    for (let c = 0; c <= r + 1; c++) L[r * ld + c] = L[(r + 1) * ld + c];
  }
  for (let c = 0; c < k; c++) L[(k - 1) * ld + c] = 0;
  for (let c = pos; c < k - 1; c++) {
    const a = L[c * ld + c];
    const b = L[c * ld + c + 1];
    const h = Math.hypot(a, b);
    if (h === 0) continue;
    const cs = a / h;
    const sn = b / h;
    for (let r = c; r < k - 1; r++) {
      const x = L[r * ld + c];
      const y = L[r * ld + c + 1];
      L[r * ld + c] = cs * x + sn * y;
      L[r * ld + c + 1] = -sn * x + cs * y;
    }
  }
}
