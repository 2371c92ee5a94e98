import fc from "fast-check";
import assert from "node:assert/strict";
import {
  fitScaler,
  inverseTransform,
  mad,
  MAD_NORMAL_CONSISTENCY,
  median,
  transform,
} from "../../services/forecast/transforms.ts";

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
