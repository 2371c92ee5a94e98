/**
 * LEAR: no look-ahead (the forecast of day D does not change when everything after D, and D's own
 * prices, are replaced), and the published LEAR forecast of the benchmark reproduced on real data.
 */
import assert from "node:assert/strict";
import { parseEpfDataset, parseEpfForecasts } from "../../services/forecast/epf_csv.ts";
import { type DailySeries, dayIndex } from "../../services/forecast/features.ts";
import { learEnsembleDay, learForecastDay } from "../../services/forecast/lear.ts";
import { serviceTest, testServices } from "../helpers/services.ts";

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

Deno.test("LEAR has no look-ahead: the forecast of D is identical with or without the data after D", () => {
  const full = synthetic(140);
  const d = 120;
  const cut: DailySeries = {
    firstDay: full.firstDay,
    // Only exogenous forecasts for D are known; D's prices and everything later are not.
    price: Float64Array.from(full.price, (v, i) => (i >= d * 24 ? NaN : v)),
    exogenous: full.exogenous.map((e) => Float64Array.from(e, (v, i) => (i >= (d + 1) * 24 ? NaN : v))),
  };
  const shifted: DailySeries = {
    firstDay: full.firstDay,
    price: Float64Array.from(full.price, (v, i) => (i >= d * 24 ? v * 5 + 1000 : v)),
    exogenous: full.exogenous.map((e) => Float64Array.from(e, (v, i) => (i >= (d + 1) * 24 ? -v : v))),
  };
  for (
    const options of [
      { window: 56 },
      { window: 84 },
      { window: 84, refit: "lars" as const },
      { window: 84, refit: "lars" as const, transform: "npit" as const },
      { window: 56, refit: "lars" as const, transform: "mlog" as const },
    ]
  ) {
    const a = learForecastDay(full, d, options);
    const b = learForecastDay(cut, d, options);
    const c = learForecastDay(shifted, d, options);
    assert.ok(a.price.every(Number.isFinite));
    assert.deepEqual(Array.from(b.price), Array.from(a.price));
    assert.deepEqual(Array.from(c.price), Array.from(a.price));
  }
  const e1 = learEnsembleDay(full, d, [56, 84]);
  const e2 = learEnsembleDay(cut, d, [56, 84]);
  assert.deepEqual(Array.from(e2.price), Array.from(e1.price));
  // And it does use the data up to D−1: changing yesterday's prices changes the forecast.
  const yesterday = { ...full, price: Float64Array.from(full.price, (v, i) => (i >= (d - 1) * 24 ? v + 20 : v)) };
  assert.notDeepEqual(Array.from(learForecastDay(yesterday, d, { window: 56 }).price), Array.from(e1.members[0]));
});

Deno.test("LEAR on a synthetic series beats the naive forecast (the model learns the load effect)", () => {
  const series = synthetic(160);
  let errLear = 0;
  let errNaive = 0;
  for (let d = 140; d < 150; d++) {
    const f = learForecastDay(series, d, { window: 84 });
    for (let h = 0; h < 24; h++) {
      const a = series.price[d * 24 + h];
      errLear += Math.abs(a - f.price[h]);
      errNaive += Math.abs(a - series.price[(d - 7) * 24 + h]);
    }
  }
  // Deterministic data: measured 1.18 vs 1.43 $/MWh; the irreducible noise alone is ~1.
  assert.ok(errLear < 0.9 * errNaive, `LEAR ${errLear / 240} vs naive ${errNaive / 240}`);
});

/** The PJM data set, the index of 2016-12-28 in it, and the epftoolbox forecast `column` published for that day. */
async function publishedDay(column: string) {
  const dir = testServices.sharedData!;
  const data = parseEpfDataset(await Deno.readTextFile(`${dir}/epftoolbox_pjm_2013-2018.csv`));
  const pub = parseEpfForecasts(await Deno.readTextFile(`${dir}/epftoolbox_pjm_forecasts_2017-2018.csv`));
  const day = 1; // 2016-12-28
  const d = dayIndex(data.firstDay, pub.firstDay) + day;
  return { data, d, published: pub.columns.get(column)!.subarray(day * 24, day * 24 + 24) };
}

/** The mean absolute gap over a day's 24 hours. */
function meanGap(ours: ArrayLike<number>, published: ArrayLike<number>): number {
  let diff = 0;
  for (let h = 0; h < 24; h++) diff += Math.abs(ours[h] - published[h]) / 24;
  return diff;
}

serviceTest(
  "LEAR reproduces the published LEAR 1092 forecast of 2016-12-28 (PJM), with either refit",
  ["shared-data"],
  async () => {
    const { data, d, published } = await publishedDay("LEAR 1092");
    for (const refit of ["cd", "lars"] as const) {
      const diff = meanGap(learForecastDay(data, d, { window: 1092, refit }).price, published);
      // Same inputs, same path and refit: the mean gap measured 0.045 $/MWh (cd, capped at 2500 sweeps
      // like the published run) and 0.033 (the exact LASSO), on prices of ~27.
      assert.ok(diff < 0.1, `${refit}: mean |ours − published| = ${diff}`);
    }
  },
);

serviceTest(
  "LEAR 56 matches the published forecast better with sklearn's in-place swap quirk (n < p)",
  ["shared-data"],
  async () => {
    const { data, d, published } = await publishedDay("LEAR 56");
    const gap = (inPlaceSwapQuirk: boolean) =>
      meanGap(learForecastDay(data, d, { window: 56, inPlaceSwapQuirk }).price, published);
    // Measured: 0.19 $/MWh with the quirk, 0.44 without (the penalty of several hours differs).
    const withQuirk = gap(true);
    const without = gap(false);
    assert.ok(withQuirk < 0.25, `with the quirk: ${withQuirk}`);
    assert.ok(without > 2 * withQuirk, `without the quirk: ${without} (with: ${withQuirk})`);
  },
);
