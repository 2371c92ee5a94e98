/**
 * The LEAR feature matrix for a known day: every lag in its place (a synthetic series whose value
 * encodes its own day and hour), the training window's extent, and DST days of the real data set.
 */
import assert from "node:assert/strict";
import { parseEpfDataset } from "../../services/forecast/epf_csv.ts";
import {
  type DailySeries,
  dayIndex,
  featureLayout,
  trainTestSplit,
  weekday,
  writeFeatureRow,
} from "../../services/forecast/features.ts";
import { serviceTest, testServices } from "../helpers/services.ts";

/** price = day·100 + hour, exogenous k = (k + 1)·100000 + day·100 + hour. */
function encoded(days: number, firstDay = "2024-01-01"): DailySeries {
  const price = new Float64Array(days * 24);
  const ex1 = new Float64Array(days * 24);
  const ex2 = new Float64Array(days * 24);
  for (let d = 0; d < days; d++) {
    for (let h = 0; h < 24; h++) {
      price[d * 24 + h] = d * 100 + h;
      ex1[d * 24 + h] = 100000 + d * 100 + h;
      ex2[d * 24 + h] = 200000 + d * 100 + h;
    }
  }
  return { price, exogenous: [ex1, ex2], firstDay };
}

Deno.test("features: 247 columns in epftoolbox's order, every lag in its place", () => {
  const series = encoded(30);
  const layout = featureLayout(2);
  assert.equal(layout.width, 96 + 144 + 7);
  const d = 20; // 2024-01-21, a Sunday
  const row = new Float64Array(layout.width);
  writeFeatureRow(series, layout, d, row);
  for (let h = 0; h < 24; h++) {
    // prices: index 4h + k for lags 1, 2, 3, 7
    assert.deepEqual(Array.from(row.subarray(4 * h, 4 * h + 4)), [1, 2, 3, 7].map((lag) => (d - lag) * 100 + h));
    // exogenous block of hour h: (ex1, ex2) at D−1, (ex1, ex2) at D−7, (ex1, ex2) at D
    const base = 96 + 6 * h;
    assert.deepEqual(Array.from(row.subarray(base, base + 6)), [
      100000 + (d - 1) * 100 + h,
      200000 + (d - 1) * 100 + h,
      100000 + (d - 7) * 100 + h,
      200000 + (d - 7) * 100 + h,
      100000 + d * 100 + h,
      200000 + d * 100 + h,
    ]);
  }
  assert.deepEqual(Array.from(row.subarray(240)), [0, 0, 0, 0, 0, 0, 1]); // Sunday is the last dummy
  // No price of day D or later is read: every price feature is from an earlier day.
  for (let f = 0; f < 96; f++) assert.ok(Math.floor(row[f] / 100) < d);
});

Deno.test("features: a price-only layout and the paper's lags as options", () => {
  const series = { ...encoded(12), exogenous: [] };
  const layout = featureLayout(0);
  assert.equal(layout.width, 96 + 7);
  const row = new Float64Array(layout.width);
  writeFeatureRow(series, layout, 9, row);
  assert.deepEqual(Array.from(row.subarray(0, 4)), [800, 700, 600, 200]);
  assert.deepEqual(
    Array.from(row.subarray(96)),
    [0, 0, 0, 0, 0, 0, 0].map((_, k) => (k === weekday("2024-01-01", 9) ? 1 : 0)),
  );
});

Deno.test("features: the window before D gives window − 7 training days ending the day before D", () => {
  const series = encoded(200);
  const d = 150;
  const s = trainTestSplit(series, d, 56);
  assert.equal(s.rows, 49);
  // First training day d − 56 + 7, last d − 1; targets are those days' prices.
  assert.equal(s.yTrain[0], (d - 49) * 100);
  assert.equal(s.yTrain[s.yTrain.length - 1], (d - 1) * 100 + 23);
  // Its deepest lag is the first day of the window.
  assert.equal(s.xTrain[3], (d - 56) * 100);
  assert.equal(s.xTest[0], (d - 1) * 100);
  assert.throws(() => trainTestSplit(series, 50, 56), /history/);
});

Deno.test("weekday: Monday = 0 as pandas' dayofweek", () => {
  assert.equal(weekday("2016-12-27", 0), 1); // a Tuesday, the benchmark's first test day
  assert.equal(weekday("2024-01-01", 6), 6);
  assert.equal(dayIndex("2013-01-01", "2016-12-27"), 1456);
});

serviceTest(
  "features on the real data set across DST changes: 24 slots per day, lags by calendar day",
  ["shared-data"],
  async () => {
    // The epftoolbox data set is on a fixed grid of 24 hourly rows per day (its DST days have been
    // made 24 slots long upstream), so the lag of a DST day is the same slot a day or a week earlier.
    const text = await Deno.readTextFile(`${testServices.sharedData}/epftoolbox_pjm_2013-2018.csv`);
    const series = parseEpfDataset(text);
    const rows = new Map(text.split("\n").slice(1).map((l) => l.split(",")).map((c) => [c[0], c.slice(1).map(Number)]));
    const layout = featureLayout(2);
    for (
      const [date, dst] of [["2017-03-13", "2017-03-12"], ["2017-11-06", "2017-11-05"], ["2017-03-19", "2017-03-12"]]
    ) {
      const d = dayIndex(series.firstDay, date);
      const row = new Float64Array(layout.width);
      writeFeatureRow(series, layout, d, row);
      const lag = dayIndex(dst, date); // 1 or 7 days back to the DST day
      const k = [1, 2, 3, 7].indexOf(lag);
      for (let h = 0; h < 24; h++) {
        const csv = rows.get(`${dst} ${String(h).padStart(2, "0")}:00:00`)!;
        assert.ok(csv, `${dst} hour ${h} is in the data set`);
        assert.equal(row[4 * h + k], csv[0], `${date} price lag ${lag} hour ${h}`);
        const exBase = 96 + 6 * h + (lag === 1 ? 0 : 2);
        assert.deepEqual([row[exBase], row[exBase + 1]], [csv[1], csv[2]], `${date} load lag ${lag} hour ${h}`);
      }
    }
  },
);
