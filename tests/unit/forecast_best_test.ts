/**
 * The best model (LEAR ensemble + MLP ensemble): its combination by hand, and no look-ahead end to
 * end — day D's forecast is identical whether the data after D exist or not.
 */
import assert from "node:assert/strict";
import { ASINH_BEST, BEST_MODEL, bestForecast, bestLearHalfDay, type BestModel } from "../../services/forecast/best.ts";
import type { DailySeries } from "../../services/forecast/features.ts";
import { learEnsembleDay, learForecastDay, meanForecast, PAPER_WINDOWS } from "../../services/forecast/lear.ts";
import { MlpWalkForward } from "../../services/forecast/mlp.ts";

function synthetic(days: number): DailySeries {
  let s = 4242;
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

Deno.test("best model: equal weights average the two ensembles hour by hour", () => {
  const day = (v: number) => new Array(24).fill(v);
  const actual = [...day(0), ...day(0)];
  const out = bestForecast(actual, [...day(10), ...day(20)], [...day(30), ...day(10)], BEST_MODEL);
  assert.deepEqual(Array.from(out), [...day(20), ...day(15)]);
  for (const spec of [BEST_MODEL, ASINH_BEST]) {
    // Distinct members: no two MLPs with the same settings and seed, no LEAR member twice.
    assert.equal(new Set(spec.mlps.map((o) => JSON.stringify(o))).size, spec.mlps.length);
    assert.equal(new Set(spec.learExtra.map((m) => JSON.stringify(m))).size, spec.learExtra.length);
    assert.ok(spec.learExtra.every((m) => m.transform !== "invariant"));
    // The LEAR half keeps the paper's four windows (the extra ones are added, not swapped), each once.
    assert.equal(new Set(spec.learWindows).size, spec.learWindows.length);
    for (const w of PAPER_WINDOWS) assert.ok(spec.learWindows.includes(w), `window ${w}`);
  }
  // Round 5's structure: the previous best's members, every LEAR window mirrored on N-PIT, every MLP on N-PIT.
  assert.deepEqual(BEST_MODEL.learWindows, ASINH_BEST.learWindows);
  assert.deepEqual(BEST_MODEL.learExtra, ASINH_BEST.learWindows.map((window) => ({ window, transform: "npit" })));
  assert.deepEqual(BEST_MODEL.mlps, ASINH_BEST.mlps.map((m) => ({ ...m, transform: "npit" })));
  assert.ok(ASINH_BEST.learExtra.length === 0 && ASINH_BEST.mlps.every((m) => !m.transform));
});

Deno.test("best model has no look-ahead: day D's forecast is identical with or without the data after D", () => {
  const full = synthetic(110);
  const start = 88, d = 92;
  const cut: DailySeries = {
    firstDay: full.firstDay,
    price: Float64Array.from(full.price, (v, i) => (i >= d * 24 ? NaN : v)),
    exogenous: full.exogenous.map((e) => Float64Array.from(e, (v, i) => (i >= (d + 1) * 24 ? NaN : v))),
  };
  for (const spec of [BEST_MODEL, ASINH_BEST]) noLookAhead(full, cut, start, d, spec);
});

function noLookAhead(full: DailySeries, cut: DailySeries, start: number, d: number, spec: BestModel): void {
  // The model's structure at a size a unit test affords: its short windows (asinh and other VSTs),
  // one small MLP of each kind it has (layers, VST) plus a second seed.
  const kinds = new Map(spec.mlps.map((o) => [`${o.hidden2 ?? 0}/${o.transform ?? "invariant"}`, o]));
  const small = [...kinds.values(), spec.mlps[0]].map((o, k) => ({
    ...o,
    window: 70,
    hidden: 6,
    ...(o.hidden2 ? { hidden2: 3 } : {}),
    epochsInitial: 10,
    seed: k + 1,
  }));
  const learExtra = spec.learExtra.filter((m) => m.window <= 84);
  const model: BestModel = { ...spec, learWindows: [56, 84], learExtra, mlps: small };
  const forecastOfD = (series: DailySeries) => {
    const mlps = model.mlps.map((o) => new MlpWalkForward(o));
    let last = new Float64Array(0) as Float64Array;
    const actual: number[] = [];
    const lear: number[] = [];
    const mlp: number[] = [];
    for (let k = start; k <= d; k++) {
      lear.push(...bestLearHalfDay(series, k, model));
      mlp.push(...meanForecast(mlps.map((m) => m.forecastDay(series, k))));
      actual.push(...series.price.subarray(k * 24, (k + 1) * 24));
      last = bestForecast(actual, lear, mlp, model).slice((k - start) * 24);
    }
    return last;
  };
  const a = forecastOfD(full);
  assert.equal(a.length, 24);
  assert.ok(a.every(Number.isFinite));
  assert.deepEqual(Array.from(forecastOfD(cut)), Array.from(a));
}

Deno.test("best model's LEAR half: the mean of every LEAR member; asinh windows alone are the LEAR ensemble", () => {
  const series = synthetic(100);
  const d = 95;
  const asinh = bestLearHalfDay(series, d, { learWindows: [56, 84], learExtra: [] });
  assert.deepEqual(Array.from(asinh), Array.from(learEnsembleDay(series, d, [56, 84], { refit: "lars" }).price));
  const npit = [56, 84].map((window) => learForecastDay(series, d, { window, transform: "npit", refit: "lars" }).price);
  const extra = [56, 84].map((window) => ({ window, transform: "npit" as const }));
  const both = bestLearHalfDay(series, d, { learWindows: [56, 84], learExtra: extra });
  both.forEach((v, h) => assert.ok(Math.abs(v - (2 * asinh[h] + npit[0][h] + npit[1][h]) / 4) < 1e-9));
  assert.notDeepEqual(Array.from(npit[0]), Array.from(asinh));
});
