import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { h } from "preact";
import { CurveChart } from "../../components/CurveChart.tsx";

Deno.test("CurveChart: price labels are distinct when the range is narrower than a few dollars", () => {
  const html = renderToString(h(CurveChart, {
    segments: [{ price: 31, quantity: 12 }],
    side: "offer",
    lines: [{ kind: "latest", label: "Latest RT", price: 29.43 }],
  }));
  const labels = [...html.matchAll(/text-anchor="end"[^>]*>([^<]+)</g)].map((m) => m[1]);
  assert.ok(labels.length >= 3, html);
  assert.equal(new Set(labels).size, labels.length, `labels repeat: ${labels.join(", ")}`);
});
