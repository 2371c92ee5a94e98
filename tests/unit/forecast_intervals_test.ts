/**
 * Prediction intervals from past residuals: hand-checked quantiles, monotone bands, no look-ahead,
 * and the nominal 80 % coverage of the 10–90 band on exchangeable noise.
 */
import assert from "node:assert/strict";
import { HOURS } from "../../services/forecast/features.ts";
import {
  empiricalQuantile,
  evaluateIntervals,
  predictionIntervals,
  residualQuantiles,
} from "../../services/forecast/intervals.ts";
import { coverage } from "../../services/forecast/metrics.ts";

const close = (a: number, b: number, tol: number, what = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);

/** Seeded uniform in [0, 1) (mulberry32), so the coverage test is deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Residual series where hour h of day d is f(d, h). */
function residualSeries(days: number, f: (d: number, h: number) => number): Float64Array {
  const r = new Float64Array(days * HOURS);
  for (let d = 0; d < days; d++) for (let h = 0; h < HOURS; h++) r[d * HOURS + h] = f(d, h);
  return r;
}

Deno.test("empirical quantile interpolates between order statistics (numpy type 7)", () => {
  const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  close(empiricalQuantile(s, 0.1), 1.9, 1e-12); // position 0.9
  close(empiricalQuantile(s, 0.5), 5.5, 1e-12);
  close(empiricalQuantile(s, 0.9), 9.1, 1e-12);
  close(empiricalQuantile([7], 0.9), 7, 0);
  assert.throws(() => empiricalQuantile([], 0.5));
  assert.throws(() => empiricalQuantile([1], 1.5));
});

Deno.test("residual quantiles per hour by hand, over the trailing window only", () => {
  // Days 0..4; hour h of day d has residual (d + 1) · (h + 1); plus a day 5 that must not count for d = 5.
  const r = residualSeries(6, (d, h) => (d + 1) * (h + 1));
  const q = residualQuantiles(r, 5, { lookback: 5, minHistory: 5 })!;
  // Hour 0: sample 1..5 → q10 = 1.4, q50 = 3, q90 = 4.6; hour 2: ×3.
  close(q.q10[0], 1.4, 1e-12);
  close(q.q50[0], 3, 1e-12);
  close(q.q90[0], 4.6, 1e-12);
  close(q.q10[2], 4.2, 1e-12);
  close(q.q90[2], 13.8, 1e-12);
  // A 3-day lookback uses days 2, 3, 4 only: hour 0 → 3, 4, 5.
  const q3 = residualQuantiles(r, 5, { lookback: 3, minHistory: 3 })!;
  close(q3.q10[0], 3.2, 1e-12);
  close(q3.q50[0], 4, 1e-12);
  // Too little history: no intervals rather than a band from a handful of errors.
  assert.equal(residualQuantiles(r, 5, { lookback: 5, minHistory: 6 }), undefined);
  assert.equal(residualQuantiles(r, 0, { minHistory: 1 }), undefined);
  // NaN residuals are skipped: hour 0 of day 4 missing → hour 0 sample 1..4.
  const gap = r.slice();
  gap[4 * HOURS] = NaN;
  assert.equal(residualQuantiles(gap, 5, { lookback: 5, minHistory: 5 }), undefined);
  close(residualQuantiles(gap, 5, { lookback: 5, minHistory: 4 })!.q50[0], 2.5, 1e-12);
});

Deno.test("prediction intervals shift the point forecast and are monotone q10 ≤ q50 ≤ q90", () => {
  const u = rng(7);
  const r = residualSeries(60, () => 5 * normal(u) + (u() < 0.1 ? 40 * u() : 0));
  const point = Float64Array.from({ length: HOURS }, (_, h) => 30 + h);
  const qf = predictionIntervals(point, r, 60, { lookback: 50, minHistory: 30 })!;
  const rq = residualQuantiles(r, 60, { lookback: 50, minHistory: 30 })!;
  for (let h = 0; h < HOURS; h++) {
    assert.ok(qf.q10[h] <= qf.q50[h] && qf.q50[h] <= qf.q90[h], `hour ${h}`);
    close(qf.q50[h], point[h] + rq.q50[h], 1e-12);
  }
  assert.throws(() => predictionIntervals(point.subarray(0, 23), r, 60));
});

Deno.test("no look-ahead: residuals of day D and after change nothing for day D", () => {
  const u = rng(11);
  const r = residualSeries(120, () => normal(u));
  const d = 90;
  const before = residualQuantiles(r, d, { lookback: 60, minHistory: 30 })!;
  const altered = r.slice();
  for (let i = d * HOURS; i < altered.length; i++) altered[i] = 1e6 * (u() - 0.5);
  const after = residualQuantiles(altered, d, { lookback: 60, minHistory: 30 })!;
  assert.deepEqual(after, before);
  // …and the series may simply end at D.
  assert.deepEqual(residualQuantiles(r.slice(0, d * HOURS), d, { lookback: 60, minHistory: 30 }), before);
  // While a change before D does move it (the test can fail).
  const earlier = r.slice();
  earlier[(d - 1) * HOURS] = 1e6;
  assert.notDeepEqual(residualQuantiles(earlier, d, { lookback: 60, minHistory: 30 }), before);
});

Deno.test("10–90 band covers ≈ 80 % of exchangeable noise, walk-forward", () => {
  const u = rng(2024);
  const days = 700;
  const actual = new Float64Array(days * HOURS);
  const forecast = new Float64Array(days * HOURS);
  for (let d = 0; d < days; d++) {
    for (let h = 0; h < HOURS; h++) {
      // Hour-dependent scale and a bias: the per-hour quantiles must absorb both.
      forecast[d * HOURS + h] = 40 + 10 * Math.sin(h / 4);
      actual[d * HOURS + h] = forecast[d * HOURS + h] + 2 + (1 + h / 6) * normal(u);
    }
  }
  const ev = evaluateIntervals(actual, forecast, { lookback: 182, minHistory: 28 })!;
  assert.equal(ev.firstDay, 28);
  assert.equal(ev.days, days - 28);
  assert.ok(ev.coverage80 >= 0.75 && ev.coverage80 <= 0.85, `coverage ${ev.coverage80}`);
  // Recomputed from the returned bands with metrics.coverage.
  const from = ev.firstDay * HOURS;
  close(
    coverage(actual.subarray(from), ev.bands.q10.subarray(from), ev.bands.q90.subarray(from)),
    ev.coverage80,
    1e-12,
  );
  assert.ok(Number.isNaN(ev.bands.q10[0]));
  // Pinball of the median ≈ E|noise|/2 scaled: positive and finite, the outer quantiles cheaper.
  assert.ok(ev.pinball.q50 > ev.pinball.q10 && ev.pinball.q50 > ev.pinball.q90);
  close(ev.pinballMean, (ev.pinball.q10 + ev.pinball.q50 + ev.pinball.q90) / 3, 1e-12);
  // Too short a backtest: no intervals at all.
  assert.equal(evaluateIntervals(actual.subarray(0, 10 * HOURS), forecast.subarray(0, 10 * HOURS)), undefined);
});
