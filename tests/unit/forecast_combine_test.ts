/** Forecast averaging: hand-computed weights, and weights of day t learnt only from days before t. */
import assert from "node:assert/strict";
import { combineWalkForward, hourWeightsForDay, weightedMean, weightsForDay } from "../../services/forecast/combine.ts";

const day = (v: number) => new Array(24).fill(v);

Deno.test("weightedMean normalises the weights", () => {
  assert.deepEqual(Array.from(weightedMean([[1, 2], [3, 6]], [1, 3])), [2.5, 5]);
  assert.throws(() => weightedMean([[1]], [1, 2]), RangeError);
  assert.throws(() => weightedMean([[1]], [0]), RangeError);
});

Deno.test("inverse-MAE and best-convex weights, by hand, from the lookback days only", () => {
  // Two days: actual 10 then 20; member A is off by 1 then 3, member B by 4 then 1.
  const actual = [...day(10), ...day(20), ...day(30)];
  const a = [...day(11), ...day(17), ...day(0)];
  const b = [...day(14), ...day(21), ...day(0)];
  // Day 2 from both past days: MAE A = 2, B = 2.5 → weights 1/2 : 1/2.5.
  assert.deepEqual(weightsForDay(actual, [a, b], 2, { kind: "inverseMae", lookback: 5 }), [0.5, 0.4]);
  // Lookback 1: only day 1 (A 3, B 1).
  assert.deepEqual(weightsForDay(actual, [a, b], 2, { kind: "inverseMae", lookback: 1 }), [1 / 3, 1]);
  // Best convex weight of A over days 0–1: error(w) = |10 − (14 − 3w)| + |20 − (21 − 4w)|, per hour;
  // at w = 0.25: 3.25 + 0 = 3.25; at w = 0.5: 2.5 + 1 = 3.5; at w = 0: 4 + 1 = 5; w = 1: 1 + 3 = 4.
  // The minimum of |4 − 3w| + |4w − 1| on [0, 1] is at w = 1/4 (value 3.25).
  assert.deepEqual(weightsForDay(actual, [a, b], 2, { kind: "bestConvex", lookback: 5, steps: 4 }), [0.25, 0.75]);
  // No history: equal weights.
  assert.deepEqual(weightsForDay(actual, [a, b], 0, { kind: "bestConvex", lookback: 5 }), [1, 1]);
});

Deno.test("combineWalkForward: day t's combination does not change with the prices of t or later", () => {
  const actual = [...day(10), ...day(20), ...day(30), ...day(40)];
  const a = [...day(11), ...day(17), ...day(33), ...day(35)];
  const b = [...day(14), ...day(21), ...day(26), ...day(44)];
  for (
    const method of [
      { kind: "inverseMae", lookback: 2 },
      { kind: "bestConvex", lookback: 3 },
      { kind: "inverseMaeByHour", lookback: 2 },
    ] as const
  ) {
    const full = combineWalkForward(actual, [a, b], method);
    const changed = [...actual.slice(0, 2 * 24), ...day(-99), ...day(500)];
    const cut = combineWalkForward(changed, [a, b], method);
    assert.deepEqual(Array.from(cut.slice(0, 3 * 24)), Array.from(full.slice(0, 3 * 24)));
    // Day 0 has no history: the plain mean.
    assert.equal(full[0], 12.5);
  }
});

Deno.test("per-hour inverse-MAE weights, by hand: each hour from its own past errors", () => {
  // Two past days; at hour 0 member A is off by 1 and 3 (MAE 2), B by 4 and 4 (MAE 4); at every
  // other hour A is off by 2 and B by 1.
  const hourly = (h0: number, rest: number) => [h0, ...new Array(23).fill(rest)];
  const actual = [...day(10), ...day(20), ...day(0)];
  const a = [...hourly(11, 12), ...hourly(17, 22), ...day(0)];
  const b = [...hourly(14, 11), ...hourly(24, 21), ...day(0)];
  const w = hourWeightsForDay(actual, [a, b], 2, { kind: "inverseMaeByHour", lookback: 5 });
  assert.deepEqual(w[0], [1 / 2, 1 / 4]);
  for (let h = 1; h < 24; h++) assert.deepEqual(w[h], [1 / 2, 1]);
  // So day 2's forecast at hour 0 leans on A (⅔) and elsewhere on B (⅔).
  const a2 = [...a.slice(0, 48), ...day(30)], b2 = [...b.slice(0, 48), ...day(60)];
  const out = combineWalkForward(actual, [a2, b2], { kind: "inverseMaeByHour", lookback: 5 });
  assert.ok(Math.abs(out[48] - 40) < 1e-12);
  assert.ok(Math.abs(out[49] - 50) < 1e-12);
  // No history: equal weights; the day-level weightsForDay refuses the per-hour method.
  assert.deepEqual(hourWeightsForDay(actual, [a, b], 0, { kind: "inverseMaeByHour", lookback: 5 })[3], [1, 1]);
  assert.throws(() => weightsForDay(actual, [a, b], 2, { kind: "inverseMaeByHour", lookback: 5 }), RangeError);
});
