/**
 * The MLP: forward pass, gradient and Adam step against hand-computed values on a 2-2-1 network,
 * the gradient against finite differences, and no look-ahead of the warm-started walk-forward.
 */
import assert from "node:assert/strict";
import type { DailySeries } from "../../services/forecast/features.ts";
import {
  adamStep,
  createMlp,
  type Mlp,
  mlpForward,
  mlpGradient,
  type MlpOptions,
  MlpWalkForward,
  seededRandom,
} from "../../services/forecast/mlp.ts";

/** 2 → 2 → 1 with W1 = [[1, −1], [0.5, 2]], b1 = [0, −1], W2 = [[2, −3]], b2 = [0.5]. */
function tiny(): Mlp {
  return {
    nIn: 2,
    hidden: 2,
    nOut: 1,
    params: Float64Array.from([1, -1, 0.5, 2, 0, -1, 2, -3, 0.5]),
    m: new Float64Array(9),
    v: new Float64Array(9),
    step: 0,
  };
}

/** On two random rows (5 inputs, 3 outputs), the analytic gradient of `net` matches central differences. */
function gradientMatchesFiniteDifferences(net: Mlp, random: () => number): void {
  const x = Float64Array.from({ length: 10 }, () => random() * 2 - 1);
  const y = Float64Array.from({ length: 6 }, () => random() * 2 - 1);
  const g = new Float64Array(net.params.length);
  mlpGradient(net, x, y, [0, 1], g);
  const lossAt = () => mlpGradient(net, x, y, [0, 1], new Float64Array(net.params.length));
  for (let i = 0; i < net.params.length; i++) {
    const p = net.params[i];
    net.params[i] = p + 1e-6;
    const up = lossAt();
    net.params[i] = p - 1e-6;
    const down = lossAt();
    net.params[i] = p;
    assert.ok(Math.abs((up - down) / 2e-6 - g[i]) < 1e-6, `parameter ${i}: ${(up - down) / 2e-6} vs ${g[i]}`);
  }
}

Deno.test("MLP forward: ReLU hidden layer, linear output, by hand", () => {
  // x = (1, 2): z1 = (1 − 2, 0.5 + 4 − 1) = (−1, 3.5) → relu (0, 3.5); out = 0.5 + 2·0 − 3·3.5 = −10.
  const act = new Float64Array(2);
  const out = mlpForward(tiny(), [1, 2], new Float64Array(1), act);
  assert.deepEqual(Array.from(act), [0, 3.5]);
  assert.equal(out[0], -10);
});

Deno.test("MLP gradient of the MAE, by hand and against finite differences", () => {
  const net = tiny();
  // One row x = (1, 2), y = −12: error −10 − (−12) = +2 → dL/dout = +1.
  // dL/dW2 = act = (0, 3.5); dL/db2 = 1; dL/dact = W2 = (2, −3), only the active unit passes:
  // dL/db1 = (0, −3); dL/dW1 row 2 = −3·x = (−3, −6), row 1 = 0.
  const grad = new Float64Array(9);
  const loss = mlpGradient(net, Float64Array.from([1, 2]), Float64Array.from([-12]), [0], grad);
  assert.equal(loss, 2);
  assert.deepEqual(Array.from(grad), [0, 0, -3, -6, 0, -3, 0, 3.5, 1]);

  // A bigger random network, two rows: the analytic gradient matches central differences.
  const random = seededRandom(7);
  const big = createMlp(5, 4, 3, random);
  gradientMatchesFiniteDifferences(big, random);
});

Deno.test("two hidden layers: forward by hand, gradient against finite differences", () => {
  // 2 → 2 → 1 → 1: the tiny network's first layer, then W2 = [[1, 1]], b2 = [−1] (ReLU), W3 = [[2]], b3 = [0.5].
  const net: Mlp = {
    nIn: 2,
    hidden: 2,
    hidden2: 1,
    nOut: 1,
    params: Float64Array.from([1, -1, 0.5, 2, 0, -1, 1, 1, -1, 2, 0.5]),
    m: new Float64Array(11),
    v: new Float64Array(11),
    step: 0,
  };
  // x = (1, 2): act = (0, 3.5); act2 = relu(0 + 3.5 − 1) = 2.5; out = 0.5 + 2·2.5 = 5.5.
  const act = new Float64Array(2), act2 = new Float64Array(1);
  assert.equal(mlpForward(net, [1, 2], new Float64Array(1), act, act2)[0], 5.5);
  assert.deepEqual([...act, ...act2], [0, 3.5, 2.5]);
  // y = 10: error −4.5 → dL/dout = −1: dW3 = −2.5, db3 = −1; dact2 = −2 → dW2 = −2·act = (0, −7), db2 = −2;
  // dact = −2·W2 = (−2, −2), only unit 2 active: db1 = (0, −2), dW1 row 2 = −2·x = (−2, −4).
  const grad = new Float64Array(11);
  assert.equal(mlpGradient(net, Float64Array.from([1, 2]), Float64Array.from([10]), [0], grad), 4.5);
  assert.deepEqual(Array.from(grad), [0, 0, -2, -4, 0, -2, 0, -7, -2, -2.5, -1]);

  const random = seededRandom(11);
  const big = createMlp(5, 4, 3, random, 3);
  assert.equal(big.params.length, 4 * 6 + 3 * 5 + 3 * 4);
  gradientMatchesFiniteDifferences(big, random);
});

Deno.test("AdamW step, by hand: the first step moves each parameter by lr·sign(g), after the decay", () => {
  const net = tiny();
  const grad = Float64Array.from([0, 0, -3, -6, 0, -3, 0, 3.5, 1]);
  adamStep(net, grad, 0.1, 0.5);
  // m̂ = g, v̂ = g², so the step is lr·g/(|g| + 1e-8) ≈ lr·sign(g); decay multiplies by 1 − 0.1·0.5.
  const expected = [1, -1, 0.5, 2, 0, -1, 2, -3, 0.5].map((p, i) =>
    p * 0.95 - (grad[i] === 0 ? 0 : 0.1 * grad[i] / (Math.abs(grad[i]) + 1e-8))
  );
  net.params.forEach((p, i) => assert.ok(Math.abs(p - expected[i]) < 1e-12, `${i}: ${p} vs ${expected[i]}`));
  assert.equal(net.step, 1);
});

function synthetic(days: number): DailySeries {
  let s = 12345;
  const noise = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const price = new Float64Array(days * 24);
  const load = new Float64Array(days * 24);
  for (let d = 0; d < days; d++) {
    for (let h = 0; h < 24; h++) {
      const l = 1000 + 300 * Math.sin((Math.PI * h) / 24) + 80 * ((d % 7) < 5 ? 1 : 0) + 40 * noise();
      load[d * 24 + h] = l;
      price[d * 24 + h] = 10 + 0.03 * l + 4 * noise() + (d > 0 ? 0.3 * (price[(d - 1) * 24 + h] - 40) : 0);
    }
  }
  return { price, exogenous: [load], firstDay: "2024-01-01" };
}

Deno.test("MLP walk-forward has no look-ahead: day D's forecast is identical with or without the data after D", () => {
  const full = synthetic(100);
  const start = 80, d = 84;
  const cut: DailySeries = {
    firstDay: full.firstDay,
    price: Float64Array.from(full.price, (v, i) => (i >= d * 24 ? NaN : v)),
    exogenous: full.exogenous.map((e) => Float64Array.from(e, (v, i) => (i >= (d + 1) * 24 ? NaN : v))),
  };
  for (const variant of [{}, { hidden2: 4 }, { transform: "npit" as const }, { transform: "mlog" as const }]) {
    noLookAhead(full, cut, start, d, { window: 70, hidden: 8, epochsInitial: 20, epochsDaily: 2, seed: 3, ...variant });
  }
});

function noLookAhead(
  full: DailySeries,
  cut: DailySeries,
  start: number,
  d: number,
  options: Partial<MlpOptions>,
): void {
  const run = (series: DailySeries) => {
    const model = new MlpWalkForward(options);
    let last: Float64Array = new Float64Array(0);
    for (let k = start; k <= d; k++) last = model.forecastDay(series, k);
    return last;
  };
  const a = run(full);
  assert.ok(a.every(Number.isFinite));
  assert.deepEqual(Array.from(run(cut)), Array.from(a));
  // It does learn from the past: the forecast is far better than a constant at the window's mean.
  let errMlp = 0, errMean = 0, mean = 0;
  for (let i = (d - 56) * 24; i < d * 24; i++) mean += full.price[i] / (56 * 24);
  for (let h = 0; h < 24; h++) {
    errMlp += Math.abs(a[h] - full.price[d * 24 + h]);
    errMean += Math.abs(mean - full.price[d * 24 + h]);
  }
  assert.ok(errMlp < errMean, `MLP ${errMlp} vs mean ${errMean}`);
  // Days must come one at a time.
  const model = new MlpWalkForward(options);
  model.forecastDay(full, start);
  assert.throws(() => model.forecastDay(full, start + 2), RangeError);
}
