/**
 * The Diebold–Mariano test of equal predictive accuracy, in the multivariate form of Ziel and Weron
 * (2018) used by Lago et al. (2021): for each day t the loss differential is
 * Δₜ = ‖ε₁ₜ‖ − ‖ε₂ₜ‖ over the day's 24 errors (computed, as epftoolbox does, as the mean of |ε| for
 * norm 1 and the mean of ε² for norm 2; the 1/24 scale cancels in the statistic), the statistic is
 * mean(Δ) / √(var(Δ) / N) with the population variance, and the one-sided p-value 1 − Φ(DM) tests
 * H₀: forecast 2 is not more accurate than forecast 1. A small p-value means forecast 2 is better.
 */
import { HOURS } from "./features.ts";

/**
 * Standard normal CDF to about 1e-15 absolute, by the rational approximation of Hart (1968) in the
 * form given by West (2005), "Better approximations to cumulative normal functions".
 */
export function normalCdf(x: number): number {
  const z = Math.abs(x);
  let tail: number;
  if (z > 37) {
    tail = 0;
  } else {
    const e = Math.exp(-z * z / 2);
    if (z < 7.07106781186547) {
      let n = 3.52624965998911e-02 * z + 0.700383064443688;
      n = n * z + 6.37396220353165;
      n = n * z + 33.912866078383;
      n = n * z + 112.079291497871;
      n = n * z + 221.213596169931;
      n = n * z + 220.206867912376;
      let d = 8.83883476483184e-02 * z + 1.75566716318264;
      d = d * z + 16.064177579207;
      d = d * z + 86.7807322029461;
      d = d * z + 296.564248779674;
      d = d * z + 637.333633378831;
      d = d * z + 793.826512519948;
      d = d * z + 440.413735824752;
      tail = e * n / d;
    } else {
      let b = z + 0.65;
      b = z + 4 / b;
      b = z + 3 / b;
      b = z + 2 / b;
      b = z + 1 / b;
      tail = e / b / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

export interface DmResult {
  statistic: number;
  /** One-sided: small when forecast 2 is significantly more accurate than forecast 1. */
  pValue: number;
  /** Days used. */
  n: number;
  /** Mean loss differential (loss 1 − loss 2): positive when forecast 2 is better. */
  meanDifferential: number;
}

/** Multivariate DM test on day-major series of whole days (length a multiple of 24). */
export function dieboldMariano(
  actual: ArrayLike<number>,
  forecast1: ArrayLike<number>,
  forecast2: ArrayLike<number>,
  norm: 1 | 2 = 1,
): DmResult {
  if (actual.length !== forecast1.length || actual.length !== forecast2.length) {
    throw new RangeError("the three series must have the same length");
  }
  if (actual.length === 0 || actual.length % HOURS !== 0) {
    throw new RangeError(`series of ${actual.length} values are not whole days of ${HOURS}`);
  }
  const days = actual.length / HOURS;
  const delta = new Float64Array(days);
  for (let t = 0; t < days; t++) {
    let l1 = 0;
    let l2 = 0;
    for (let h = 0; h < HOURS; h++) {
      const i = t * HOURS + h;
      const e1 = actual[i] - forecast1[i];
      const e2 = actual[i] - forecast2[i];
      l1 += norm === 1 ? Math.abs(e1) : e1 * e1;
      l2 += norm === 1 ? Math.abs(e2) : e2 * e2;
    }
    delta[t] = (l1 - l2) / HOURS;
  }
  let mean = 0;
  for (const v of delta) mean += v;
  mean /= days;
  let variance = 0;
  for (const v of delta) variance += (v - mean) ** 2;
  variance /= days;
  const statistic = mean / Math.sqrt(variance / days);
  return { statistic, pValue: 1 - normalCdf(statistic), n: days, meanDifferential: mean };
}
