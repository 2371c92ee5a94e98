import assert from "node:assert/strict";
import {
  compare,
  type Figure,
  figure,
  formatComparison,
  formatNumber,
  formatSummary,
  formatTarget,
  meets,
  parseSummary,
  type Summary,
  summaryJson,
  table,
  withUnit,
} from "../../bench/summary.ts";

const LOAD = "1.00 0.50 0.25";

const startup = figure({
  bench: "startup",
  figure: "ready, optional services refused",
  value: 640,
  unit: "ms",
  target: { op: "<", value: 1000, source: "issue 20" },
}, LOAD);
const ratio = figure({
  bench: "ssr",
  figure: "/ vs bare Deno.serve, same bytes",
  value: 0.28,
  unit: "×",
  target: { op: ">=", value: 0.5, source: "issue 20" },
  baseline: { label: "bare Deno.serve", value: 38_000, unit: "req/s" },
}, LOAD);
const alerts = figure({ bench: "alerts", figure: "CPU per tick", value: 3.456, unit: "µs" }, LOAD);

function summary(figures: Figure[], missing: Summary["missing"] = []): Summary {
  return {
    version: 1,
    started_at: "2026-12-04T16:00:00.000Z",
    finished_at: "2026-12-04T16:30:00.000Z",
    deno: "2.9.6",
    cores: 2,
    benches: [...new Set(figures.map((f) => f.bench))],
    missing,
    figures,
  };
}

Deno.test("meets: each comparison, its boundary, and an unmeasured value", () => {
  assert.equal(meets(999, { op: "<", value: 1000 }), true);
  assert.equal(meets(1000, { op: "<", value: 1000 }), false);
  assert.equal(meets(1000, { op: "<=", value: 1000 }), true);
  assert.equal(meets(1001, { op: "<=", value: 1000 }), false);
  assert.equal(meets(0.5, { op: ">=", value: 0.5 }), true);
  assert.equal(meets(0.49, { op: ">=", value: 0.5 }), false);
  assert.equal(meets(0.5, { op: ">", value: 0.5 }), false);
  assert.equal(meets(0.51, { op: ">", value: 0.5 }), true);
  // A figure that could not be measured (wrk's output not parsed) is not a met target, whichever way it points.
  assert.equal(meets(NaN, { op: "<", value: 1000 }), false);
  assert.equal(meets(NaN, { op: ">=", value: 0 }), false);
});

Deno.test("figure: met from its target, null without one, with the load average", () => {
  assert.equal(startup.met, true);
  assert.equal(ratio.met, false);
  assert.equal(alerts.met, null);
  assert.equal(alerts.load, LOAD);
});

Deno.test("figure: a target is not met by a measurement with failed answers in it, and the table says so", () => {
  const fast = figure({
    bench: "auth",
    figure: "GET /api/auth/me",
    value: 6000,
    unit: "req/s",
    target: { op: ">=", value: 5000 },
    errors: 9882,
  }, LOAD);
  assert.equal(fast.met, false);
  assert.equal(figure({ ...fast, errors: 0 }, LOAD).met, true);
  assert.match(formatSummary(summary([fast])), /6,000 req\/s, 9,882 errors\s+≥ 5,000 req\/s\s+NOT MET/);
  assert.equal(parseSummary(summaryJson(summary([fast]))).figures[0].errors, 9882);
});

Deno.test("numbers: three significant digits, separators from 1,000, units", () => {
  assert.equal(formatNumber(0.2812), "0.281");
  assert.equal(formatNumber(12.345), "12.3");
  assert.equal(formatNumber(150), "150");
  assert.equal(formatNumber(56_512.7), "56,513");
  assert.equal(formatNumber(0), "0");
  assert.equal(formatNumber(NaN), "n/a");
  assert.equal(withUnit(0.28, "×"), "0.28×");
  assert.equal(withUnit(4.2, "%"), "4.2%");
  assert.equal(withUnit(640, "ms"), "640 ms");
  assert.equal(withUnit(NaN, "ms"), "n/a");
  assert.equal(formatTarget(startup), "< 1,000 ms");
  assert.equal(formatTarget(ratio), "≥ 0.5×");
  assert.equal(formatTarget(alerts), "—");
});

Deno.test("table: columns padded to the widest cell, a rule under the header", () => {
  assert.equal(
    table(["a", "bb"], [["xxx", "y"], ["z", "wwww"]]),
    ["a    bb", "---  ----", "xxx  y", "z    wwww"].join("\n"),
  );
});

Deno.test("formatSummary: a row per figure with its baseline, target and verdict, then the benches without figures", () => {
  const text = formatSummary(
    summary([startup, ratio, alerts], [{ bench: "bids", reason: "skipped (see its output)" }]),
  );
  const lines = text.split("\n");
  assert.match(lines[0], /^bench\s+figure\s+measured\s+target\s+met\s+source\s+load$/);
  const row = (bench: string) => lines.find((l) => l.startsWith(bench + " "))!;
  assert.match(row("startup"), /ready, optional services refused\s+640 ms\s+< 1,000 ms\s+met\s+issue 20\s+1\.00$/);
  assert.match(row("ssr"), /0\.28× vs 38,000 req\/s bare Deno\.serve\s+≥ 0\.5×\s+NOT MET/);
  assert.match(row("alerts"), /CPU per tick\s+3\.46 µs\s+—\s+—/);
  assert.match(row("bids"), /no figures: skipped \(see its output\)\s+NOT MEASURED/);
  // Every column starts at the same offset on every row.
  const at = lines[0].indexOf("target");
  assert.equal(row("startup").slice(at, at + 10), "< 1,000 ms");
  assert.equal(lines.at(-1), "1 of 2 targets met; 1 bench(es) without figures");
});

Deno.test("compare: change and its direction by the target, crossings of the target, new and vanished figures", () => {
  const before = [
    { ...startup, value: 800 },
    { ...ratio, value: 0.6, met: true },
    { ...alerts, value: 4 },
    figure(
      { bench: "bids", figure: "saturated", value: 4100, unit: "bids/s", target: { op: ">=", value: 4000 } },
      LOAD,
    ),
  ];
  const fresh = figure({ bench: "ingest", figure: "bus → consumer → Postgres", value: 210_000, unit: "ticks/s" }, LOAD);
  const changes = compare([startup, ratio, alerts, fresh], before);
  const by = (b: string) => changes.find((c) => c.bench === b)!;

  // Lower is better under a "<" target: 800 → 640 ms is 20 % less, and better.
  assert.equal(by("startup").before, 800);
  assert.equal(by("startup").now, 640);
  assert.equal(by("startup").changePct, -20);
  assert.equal(by("startup").better, true);
  // Higher is better under a ">=" target: 0.6 → 0.28 is worse, and the target was met and no longer is.
  assert.equal(by("ssr").better, false);
  assert.equal(Math.round(by("ssr").changePct! * 100) / 100, -53.33);
  assert.deepEqual([by("ssr").metBefore, by("ssr").metNow], [true, false]);
  // No target: the change is shown, without a verdict on it.
  assert.equal(Math.round(by("alerts").changePct! * 10) / 10, -13.6);
  assert.equal(by("alerts").better, null);
  assert.equal(by("ingest").before, null);
  assert.equal(by("ingest").changePct, null);
  // Measured before, not now: listed last, not dropped.
  assert.equal(changes.at(-1)!.bench, "bids");
  assert.equal(changes.at(-1)!.now, null);
  assert.equal(changes.at(-1)!.gone, true);

  const text = formatComparison(changes, "old.json");
  const row = (b: string) => text.split("\n").find((l) => l.startsWith(b + " "))!;
  assert.match(row("startup"), /800 ms\s+640 ms\s+-20\.0 %\s+better\s+1\.00 → 1\.00$/);
  assert.match(row("ssr"), /0\.6×\s+0\.28×\s+-53\.3 %\s+REGRESSED \(target no longer met\)\s+1\.00 → 1\.00$/);
  assert.match(row("ingest"), /—\s+210,000 ticks\/s\s+new\s+— → 1\.00$/);
  assert.match(row("bids"), /4,100 bids\/s\s+—\s+not measured in this run\s+1\.00 → —$/);
});

Deno.test("compare: a target met now and not before; the same value is neither better nor worse", () => {
  const [up] = compare([startup], [{ ...startup, value: 1200, met: false }]);
  assert.equal(up.better, true);
  assert.match(formatComparison([up], "x"), /now met\s+1\.00 → 1\.00$/m);
  // Gone from this run, without a target to have met: still said.
  const [gone] = compare([], [alerts]);
  assert.match(formatComparison([gone], "x"), /3\.46 µs\s+—\s+not measured in this run/);
  // A run of some benches compared with a fuller one: the others' figures are not "gone".
  assert.deepEqual(compare([startup], [startup, alerts], ["startup"]).map((c) => c.bench), ["startup"]);
  assert.deepEqual(compare([startup], [startup, alerts], ["startup", "alerts"]).map((c) => c.gone), [false, true]);
  const [same] = compare([startup], [startup]);
  assert.equal(same.changePct, 0);
  assert.equal(same.better, null);
});

Deno.test("summary JSON: written and read back, an unmeasured value as null and back to NaN", () => {
  const unmeasured = figure({ ...startup, figure: "wrk not parsed", value: NaN }, LOAD);
  const s = summary([startup, ratio, unmeasured], [{ bench: "bids", reason: "failed: boom" }]);
  const text = summaryJson(s);
  assert.equal(JSON.parse(text).figures[2].value, null);
  const back = parseSummary(text);
  assert.deepEqual(back.figures.slice(0, 2), [startup, ratio]);
  assert.ok(Number.isNaN(back.figures[2].value));
  assert.equal(back.figures[2].met, false);
  assert.deepEqual(back.missing, s.missing);
});

Deno.test("parseSummary: not JSON, unknown fields and a wrong shape are refused with what is wrong", () => {
  assert.throws(() => parseSummary("{"), /not JSON/);
  const good = JSON.parse(summaryJson(summary([startup])));
  assert.throws(() => parseSummary(JSON.stringify({ ...good, extra: 1 })), /not a bench summary/);
  assert.throws(
    () => parseSummary(JSON.stringify({ ...good, figures: [{ ...good.figures[0], target: { op: "~", value: 1 } }] })),
    /figures\.0\.target\.op/,
  );
  assert.throws(() => parseSummary(JSON.stringify({ ...good, version: 2 })), /version/);
});
