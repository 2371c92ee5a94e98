/** The backtest report's sample-week SVG: every series present, NaN gaps split, text escaped. */
import assert from "node:assert/strict";
import { weekChartSvg } from "../../services/forecast/week_chart.ts";

const seriesPath = (svg: string, name: string) => {
  const m = svg.match(new RegExp(`<path data-series="${name}" d="([^"]*)"`));
  assert.ok(m, `series ${name} missing`);
  return m[1];
};

Deno.test("week chart: the real price, both forecasts and the band, one point per hour", () => {
  const n = 7 * 24;
  const real = Float64Array.from({ length: n }, (_, i) => 30 + 10 * Math.sin(i / 5));
  const ours = real.map((v) => v + 1);
  const lower = ours.map((v) => v - 4);
  const upper = ours.map((v) => v + 4);
  lower[0] = NaN; // the first hour without a band: the band starts at the second point
  const svg = weekChartSvg({
    title: "Sample week <2017-01-02> & after",
    firstLabel: "2017-01-02",
    lines: [
      { name: "real price", values: real, color: "#000" },
      { name: "ours", values: ours, color: "#c00" },
      { name: "published LEAR", values: real.map((v) => v - 1), color: "#06c", dash: "4 3" },
    ],
    band: { name: "ours 10–90 %", lower, upper, color: "#c00" },
  });
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  assert.ok(svg.includes("Sample week &lt;2017-01-02&gt; &amp; after"));
  for (const name of ["real price", "ours", "published LEAR"]) {
    const d = seriesPath(svg, name);
    assert.equal(d.split("M").length - 1, 1, `${name}: one unbroken line`);
    assert.equal(d.split(/[ML]/).filter(Boolean).length, n, `${name}: ${n} points`);
  }
  const band = seriesPath(svg, "ours 10–90 %");
  // Upper edge forward then lower edge back, over the hours 1 … n−1.
  assert.equal(band.split(/[MLZ]/).filter(Boolean).length, 2 * (n - 1));
  assert.ok(svg.includes('stroke-dasharray="4 3"'));
  for (let d = 1; d < 7; d++) assert.ok(svg.includes(`>+${d} d<`));
});

Deno.test("week chart: NaN splits a line; too little data is an error", () => {
  const v = Float64Array.from({ length: 48 }, (_, i) => i);
  v[10] = NaN;
  const svg = weekChartSvg({ title: "t", lines: [{ name: "x", values: v, color: "red" }] });
  assert.equal(seriesPath(svg, "x").split("M").length - 1, 2);
  assert.throws(() => weekChartSvg({ title: "t", lines: [{ name: "x", values: [1], color: "red" }] }));
  assert.throws(() => weekChartSvg({ title: "t", lines: [{ name: "x", values: [NaN, NaN], color: "red" }] }));
});
