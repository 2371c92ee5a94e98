/** The live job's pure parts: DST days to 24 slots and back, the accuracy figures, and no look-ahead. */
import assert from "node:assert/strict";
import { accuracyOf, naiveLagDays } from "../../services/forecast_live/accuracy.ts";
import { computeForecast } from "../../services/forecast_live/compute.ts";
import { dayHours, fromSlots, localHourOf, toSlots } from "../../services/forecast_live/dst.ts";
import { dayAheadHistory } from "../../services/market/simulator.ts";

const NY = "America/New_York";

Deno.test("DST: the 2025 spring day (23 h) gets an interpolated 02:00 slot and gives it back to no interval", () => {
  const starts = dayHours(NY, "2025-03-09");
  assert.equal(starts.length, 23);
  assert.deepEqual(starts.map((t) => localHourOf(NY, t)), [0, 1, ...Array.from({ length: 21 }, (_, i) => i + 3)]);
  const values = starts.map((_, i) => 100 + i); // 00:00 → 100, 01:00 → 101, 03:00 → 102, …
  const s = toSlots(NY, starts, values);
  assert.equal(s.length, 24);
  assert.equal(s[1], 101);
  assert.equal(s[2], (101 + 102) / 2, "02:00 does not exist: the mean of 01:00 and 03:00");
  assert.equal(s[3], 102);
  assert.equal(s[23], 122);
  assert.deepEqual(fromSlots(NY, starts, s), values, "back to the day's 23 hours, 02:00 dropped");
});

Deno.test("DST: the 2025 autumn day (25 h) averages its two 01:00 hours into one slot and repeats it", () => {
  const starts = dayHours(NY, "2025-11-02");
  assert.equal(starts.length, 25);
  assert.deepEqual(starts.slice(0, 4).map((t) => localHourOf(NY, t)), [0, 1, 1, 2]);
  const values = starts.map((_, i) => 10 * i); // 01:00 EDT → 10, 01:00 EST → 20
  const s = toSlots(NY, starts, values);
  assert.equal(s[1], 15);
  assert.equal(s[2], 30);
  assert.equal(s[23], 240);
  const back = fromSlots(NY, starts, s);
  assert.equal(back.length, 25);
  assert.equal(back[1], 15);
  assert.equal(back[2], 15);
  assert.deepEqual(back.slice(3), values.slice(3));
  // A plain day and MISO's fixed EST clock are the identity.
  const plain = dayHours(NY, "2025-07-01");
  const v = plain.map((_, i) => i * 1.5);
  assert.deepEqual(fromSlots(NY, plain, toSlots(NY, plain, v)), v);
  assert.equal(dayHours("Etc/GMT+5", "2025-11-02").length, 24);
});

Deno.test("accuracy: hand-computed MAE, rMAE, sMAPE, coverage; days without naive leave rMAE out", () => {
  const a = accuracyOf([
    { date: "2025-07-01", actual: [10, 20], p50: [12, 18], p10: [9, 19], p90: [13, 19.5], naive: [14, 26] },
    { date: "2025-07-02", actual: [30], p50: [33], p10: [null], p90: [null], naive: null },
  ]);
  assert.equal(a.n_days, 2);
  assert.equal(a.n_hours, 3);
  assert.equal(a.mae, (2 + 2 + 3) / 3);
  assert.equal(a.rmae, (2 + 2) / (4 + 6)); // only the day with a naive forecast
  const smape = (2 / 11 + 2 / 19 + 3 / 31.5) / 3;
  assert.ok(Math.abs(a.smape! - smape) < 1e-12);
  assert.equal(a.coverage_80, 0.5); // 10 in [9, 13]; 20 not in [19, 19.5]; hour 3 has no band
  assert.deepEqual(a.daily, [{ date: "2025-07-01", mae: 2, rmae: 0.4 }, { date: "2025-07-02", mae: 3, rmae: null }]);
  assert.deepEqual(accuracyOf([]), {
    n_days: 0,
    n_hours: 0,
    mae: null,
    rmae: null,
    smape: null,
    coverage_80: null,
    daily: [],
  });
  // Weekly-seasonal naive: Tue–Fri the day before, Sat–Mon a week before (2025-07-07 is a Monday).
  assert.deepEqual(
    ["2025-07-05", "2025-07-06", "2025-07-07", "2025-07-08", "2025-07-11"].map(naiveLagDays),
    [7, 7, 7, 1, 1],
  );
});

Deno.test("compute: the target day's forecast is the same whether or not later data exist", () => {
  const tz = "America/Chicago";
  const price: number[] = [], load: number[] = [];
  for (const c of dayAheadHistory(["SPP"], "2025-01-01", "2025-04-10", 11)) {
    const starts = c.ticks.map((x) => Date.parse(x.interval_start));
    price.push(...toSlots(tz, starts, c.ticks.map((x) => x.lmp)));
    load.push(...toSlots(tz, starts, c.load.map((x) => x.forecast_mw!)));
  }
  const target = 80;
  const req = (days: number) => ({
    firstDay: "2025-01-01",
    price: new Float64Array(price.slice(0, days * 24)),
    load: new Float64Array(load.slice(0, days * 24)),
    target,
    backcastDays: [target - 1],
    windows: [56],
    refit: "lars" as const,
  });
  const cut = computeForecast(req(target + 1));
  const full = computeForecast(req(price.length / 24));
  assert.deepEqual(full.point, cut.point);
  assert.deepEqual(full.backcasts, cut.backcasts);
  assert.equal(cut.point.length, 24);
  assert.deepEqual(cut.windows, [56]);
  assert.throws(() => computeForecast({ ...req(target + 1), windows: [84, 1092] }), /no calibration window/);
});

Deno.test("runner: the computation runs in a worker; one past its timeout is killed and the next one served", async () => {
  const { workerRunner } = await import("../../services/forecast_live/runner.ts");
  const tz = "America/Chicago";
  const price: number[] = [];
  for (const c of dayAheadHistory(["SPP"], "2025-01-01", "2025-03-31", 11)) {
    price.push(...toSlots(tz, c.ticks.map((x) => Date.parse(x.interval_start)), c.ticks.map((x) => x.lmp)));
  }
  const req = {
    firstDay: "2025-01-01",
    price: new Float64Array(price),
    load: null,
    target: 70,
    backcastDays: [],
    windows: [56],
    refit: "lars" as const,
  };
  const runner = workerRunner();
  try {
    await assert.rejects(() => runner.run(req, 1), /exceeded 1 ms/);
    const r = await runner.run(req, 60_000);
    assert.deepEqual(r.point, computeForecast(req).point, "the worker computes what the library does");
    await assert.rejects(() => runner.run({ ...req, windows: [200] }, 60_000), /no calibration window/);
  } finally {
    runner.stop();
  }
});

Deno.test("config: the job runs by default, not under APP_ENV=test or on Deno Deploy unless FORECAST_JOB=on", async () => {
  const { loadConfig } = await import("../../services/config/env.ts");
  assert.equal(loadConfig({}).forecastJob, true);
  assert.equal(loadConfig({ APP_ENV: "test" }).forecastJob, false);
  assert.equal(loadConfig({ APP_ENV: "test", FORECAST_JOB: "on" }).forecastJob, true);
  assert.equal(loadConfig({ DENO_DEPLOYMENT_ID: "abc" }).forecastJob, false);
  assert.equal(loadConfig({ FORECAST_JOB: "off" }).forecastJob, false);
  assert.equal(loadConfig({}).market.daHistoryDays, 182);
});
