import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { h } from "preact";
import { CurveChart } from "../../components/CurveChart.tsx";
import { chartDomain, curveSteps } from "../../components/bid_format.ts";
import { ForecastAccuracyView } from "../../components/ForecastAccuracyView.tsx";
import { type ForecastItem, madeAtText, newestRun } from "../../components/forecast_api.ts";

const item = (delivery_date: string, made_at: string, version = 1): ForecastItem => ({
  interval_start: `${delivery_date}T05:00:00.000Z`,
  interval_end: `${delivery_date}T06:00:00.000Z`,
  delivery_date,
  p10: 20,
  p50: 30,
  p90: 45,
  made_at,
  run_id: crypto.randomUUID(),
  model: { id: crypto.randomUUID(), name: "lear-ensemble", version },
});

Deno.test("CurveChart: the forecast band is shaded from its 90 % bound down to its 10 %, inside the y range", () => {
  const html = renderToString(h(CurveChart, {
    segments: [{ price: 31, quantity: 12 }],
    side: "offer",
    lines: [{ kind: "forecast", label: "Forecast", price: 60 }],
    band: { label: "Forecast 10–90 %", low: 50, high: 90 },
    width: 400,
    height: 200,
  }));
  const rect = html.match(/<rect data-band="forecast"[^>]*>/)?.[0];
  assert.ok(rect, html);
  const y = Number(rect.match(/ y="([\d.]+)"/)![1]);
  const height = Number(rect.match(/height="([\d.]+)"/)![1]);
  // The domain grew to hold the band: its top (90) and bottom (50) are both inside the plot area.
  assert.ok(y >= 12 && y + height <= 200 - 28, `band ${y}..${y + height}`);
  // 40 $ of band on the chart's own scale (the plot is 200 − 12 − 28 px high).
  const d = chartDomain(curveSteps([{ price: 31, quantity: 12 }]), [60, 50, 90]);
  assert.ok(Math.abs(height - 160 * 40 / (d.yMax - d.yMin)) < 0.2, `height ${height}`);
  assert.match(html, /data-line="forecast"/);
  assert.match(html, /Forecast 10–90 % \$50\.00–\$90\.00/);
  const none = renderToString(h(CurveChart, { segments: [{ price: 31, quantity: 12 }], side: "offer" }));
  assert.doesNotMatch(none, /data-band/);
});

Deno.test("accuracy: null figures say there is not enough history; figures are shown with their units", () => {
  const empty = renderToString(h(ForecastAccuracyView, {
    days: 30,
    acc: {
      zone: "PJM",
      days: 30,
      n_days: 0,
      n_hours: 0,
      mae: null,
      rmae: null,
      smape: null,
      coverage_80: null,
      daily: [],
    },
  }));
  assert.match(empty, /data-accuracy="none"/);
  assert.match(empty, /Not enough history yet/);
  const shown = renderToString(h(ForecastAccuracyView, {
    days: 30,
    acc: {
      zone: "PJM",
      days: 30,
      n_days: 12,
      n_hours: 288,
      mae: 3.456,
      rmae: 0.4712,
      smape: 0.1234,
      coverage_80: 0.7917,
      daily: [],
    },
  }));
  const fig = (k: string) => shown.match(new RegExp(`data-figure="${k}">([^<]+)<`))?.[1];
  assert.equal(fig("mae"), "$3.46/MWh");
  assert.equal(fig("rmae"), "0.471");
  assert.equal(fig("smape"), "12.3 %");
  assert.equal(fig("coverage"), "79 %");
  assert.match(shown, /12 days \(288 hours\)/);
});

Deno.test("forecast captions: the newest delivery day's run; made-at with its date unless today", () => {
  const runs = [item("2026-12-03", "2026-12-02T15:10:00Z"), item("2026-12-04", "2026-12-03T09:12:00Z", 2)];
  assert.equal(newestRun(runs)?.model.version, 2);
  assert.equal(newestRun([]), null);
  assert.equal(madeAtText("2026-12-03T14:12:30Z", new Date("2026-12-03T20:00:00Z"), "PJM"), "09:12 EST");
  assert.equal(madeAtText("2026-12-02T14:12:30Z", new Date("2026-12-03T20:00:00Z"), "PJM"), "2026-12-02 09:12 EST");
});
