import fc from "fast-check";
import assert from "node:assert/strict";
import {
  fitScaler,
  inverseTransform,
  mad,
  MAD_NORMAL_CONSISTENCY,
  median,
  normalQuantile,
  transform,
} from "../../services/forecast/transforms.ts";
import { normalCdf } from "../../services/forecast/dm.ts";

Deno.test("median and MAD as numpy / statsmodels compute them", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5); // mean of the two middle values
  // |x − 3| = 2, 1, 0, 1, 97 → median 1 → scaled by 1/Φ⁻¹(3/4) ≈ 1.4826
  assert.equal(mad([1, 2, 3, 4, 100]), 1 / MAD_NORMAL_CONSISTENCY);
  assert.ok(Math.abs(1 / MAD_NORMAL_CONSISTENCY - 1.482602218505602) < 1e-12);
  assert.throws(() => median([]));
});

Deno.test("invariant transform: asinh((x − median)/MAD) per column, inverted exactly", () => {
  // Two columns, four rows, row-major.
  const data = Float64Array.from([1, 10, 2, 30, 3, 20, 40, -5]);
  const s = fitScaler(data, 4, 2, "invariant");
  assert.deepEqual(Array.from(s.median), [2.5, 15]);
  // column 0: |x − 2.5| = 1.5, 0.5, 0.5, 37.5 → median 1; column 1: 5, 15, 5, 20 → 10
  assert.deepEqual(Array.from(s.mad), [1 / MAD_NORMAL_CONSISTENCY, 10 / MAD_NORMAL_CONSISTENCY]);
  const z = transform(s, data, 4);
  assert.equal(z[0], Math.asinh((1 - 2.5) / (1 / MAD_NORMAL_CONSISTENCY)));
  assert.equal(z[3], Math.asinh((30 - 15) / (10 / MAD_NORMAL_CONSISTENCY)));
  const back = inverseTransform(s, z, 4);
  back.forEach((v, i) => assert.ok(Math.abs(v - data[i]) < 1e-12, `${v} vs ${data[i]}`));
  // The median kind is the same without asinh.
  const m = fitScaler(data, 4, 2, "median");
  assert.equal(transform(m, data, 4)[0], (1 - 2.5) / (1 / MAD_NORMAL_CONSISTENCY));
});

Deno.test("a constant column stays finite (scale 1) instead of dividing by a zero MAD", () => {
  const data = Float64Array.from([5, 1, 5, 2, 5, 3]);
  const s = fitScaler(data, 3, 2, "invariant");
  assert.equal(s.mad[0], 1);
  const z = transform(s, data, 3);
  assert.deepEqual([z[0], z[2], z[4]], [0, 0, 0]);
});

Deno.test("median by selection equals the middle of a full sort, ties, runs and even counts included", () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.integer({ min: -2, max: 2 })), {
        minLength: 1,
        maxLength: 80,
      }),
      (values) => {
        const sorted = Float64Array.from(values).sort();
        const mid = sorted.length >> 1;
        const expected = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        assert.equal(median(values) === expected, true, `${values} → ${median(values)}, sort gives ${expected}`);
      },
    ),
    { numRuns: 2000 },
  );
  // Sorted and reversed runs (the pivot rule keeps them linear).
  const run = Array.from({ length: 1001 }, (_, i) => i);
  assert.equal(median(run), 500);
  assert.equal(median(run.reverse()), 500);
});

Deno.test("normal quantile: known values, and Φ(Φ⁻¹(p)) = p from the far tails to the centre", () => {
  assert.equal(normalQuantile(0.5), 0);
  assert.ok(Math.abs(normalQuantile(0.75) - MAD_NORMAL_CONSISTENCY) < 1e-14);
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-13);
  assert.ok(Math.abs(normalQuantile(0.001) + 3.090232306167813) < 1e-12);
  for (const p of [1e-12, 1e-6, 0.01, 0.02425, 0.3, 0.6, 0.97575, 0.999999]) {
    assert.ok(Math.abs(normalCdf(normalQuantile(p)) - p) < 1e-15 + 1e-12 * p, `p = ${p}`);
  }
  assert.throws(() => normalQuantile(0), RangeError);
  assert.throws(() => normalQuantile(1), RangeError);
});

Deno.test("mirror-log: sign(z)·(log(|z| + 3) + log(1/3)) of the standardised value, inverted exactly", () => {
  // One column 1, 2, 4, 7: median 3, |x − 3| = 2, 1, 1, 4 → MAD 1.5 / Φ⁻¹(¾).
  const data = Float64Array.from([1, 2, 4, 7]);
  const s = fitScaler(data, 4, 1, "mlog");
  const scale = 1.5 / MAD_NORMAL_CONSISTENCY;
  const z = transform(s, data, 4);
  const zed = (x: number) => (x - 3) / scale;
  const expected = [1, 2, 4, 7].map((x) => Math.sign(zed(x)) * (Math.log(Math.abs(zed(x)) + 3) + Math.log(1 / 3)));
  z.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-15, `${v} vs ${expected[i]}`));
  assert.equal(transform(s, Float64Array.from([3]), 1)[0], 0); // the median maps to 0
  inverseTransform(s, z, 4).forEach((v, i) => assert.ok(Math.abs(v - data[i]) < 1e-12));
});

Deno.test("N-PIT: Φ⁻¹ of the window's empirical CDF, held inside the window's range, inverted by its quantile", () => {
  // One column 10, 20, 30, 40 (sorted standardised values at CDF ⅛, ⅜, ⅝, ⅞).
  const data = Float64Array.from([30, 10, 40, 20]);
  const s = fitScaler(data, 4, 1, "npit");
  const z = transform(s, data, 4);
  assert.deepEqual(Array.from(z), [5 / 8, 1 / 8, 7 / 8, 3 / 8].map(normalQuantile));
  // Between two window values the CDF is linear: 25 is half way from ⅜ to ⅝.
  assert.equal(transform(s, Float64Array.from([25]), 1)[0], normalQuantile(0.5));
  // Beyond the window's range it is held at the extreme values' CDF, so it stays finite.
  assert.equal(transform(s, Float64Array.from([1e6]), 1)[0], normalQuantile(7 / 8));
  assert.equal(transform(s, Float64Array.from([-1e6]), 1)[0], normalQuantile(1 / 8));
  // Ties share one step of the CDF, at its middle.
  const tied = fitScaler(Float64Array.from([1, 2, 2, 3]), 4, 1, "npit");
  assert.equal(transform(tied, Float64Array.from([2]), 1)[0], normalQuantile(0.5));
  // The inverse gives back every window value and interpolates between them.
  inverseTransform(s, z, 4).forEach((v, i) => assert.ok(Math.abs(v - data[i]) < 1e-9, `${v} vs ${data[i]}`));
  assert.ok(Math.abs(inverseTransform(s, Float64Array.from([0]), 1)[0] - 25) < 1e-9);
});
