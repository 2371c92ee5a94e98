/**
 * Price alert evaluation on a replayed price series: each condition, all/any, hysteresis (a price hovering
 * at the threshold fires once) and cooldown, in memory with a fake clock.
 */
import assert from "node:assert/strict";
import {
  type AlertContext,
  type AlertDef,
  AlertIndex,
  hourOfWeek,
  robustBaseline,
  robustZ,
} from "../../services/alerts/engine.ts";
import type { Condition } from "../../services/alerts/schema.ts";
import type { PriceTick } from "../../services/market/types.ts";

const T0 = Date.parse("2026-06-01T00:00:00Z");
const MIN5 = 300_000;

function tick(i: number, lmp: number, market: "DA" | "RT" = "RT", zone = "PJM"): PriceTick {
  const start = T0 + i * (market === "RT" ? MIN5 : 3_600_000);
  return {
    zone: zone as PriceTick["zone"],
    market,
    interval_start: new Date(start).toISOString(),
    interval_end: new Date(start + (market === "RT" ? MIN5 : 3_600_000)).toISOString(),
    lmp,
    energy: lmp,
    congestion: 0,
    loss: 0,
  };
}

function alert(conditions: Condition[], o: Partial<AlertDef> = {}): AlertDef {
  return {
    id: crypto.randomUUID(),
    orgId: "org",
    userId: "user",
    name: "a",
    zones: ["PJM"],
    market: "RT",
    combine: "any",
    conditions,
    hysteresis: 1,
    cooldownMs: 0,
    channels: ["notification"],
    lastFiredAt: null,
    version: "1",
    ...o,
  };
}

const noCtx: AlertContext = {
  daPrice: () => undefined,
  rtPrice: () => undefined,
  baseline: () => undefined,
  forecast: () => undefined,
};

/** Replays `prices` (one RT tick each 5 minutes, clock = interval time) and returns the indexes that fired. */
function replay(defs: AlertDef[], prices: number[], ctx = noCtx, market: "DA" | "RT" = "RT"): number[][] {
  const index = new AlertIndex();
  index.load(defs);
  const fired: number[][] = defs.map(() => []);
  prices.forEach((p, i) => {
    const t = tick(i, p, market);
    for (const f of index.evaluate(t, ctx, Date.parse(t.interval_start))) fired[defs.indexOf(f.alert)].push(i);
  });
  return fired;
}

Deno.test("alerts: price above fires on the crossing; hovering at the threshold fires once (hysteresis)", () => {
  const series = [90, 95, 100.5, 99.6, 100.4, 99.2, 100.8, 101, 98.5, 100.6];
  const [fired] = replay([alert([{ kind: "price_above", level: 100 }], { hysteresis: 1 })], series);
  // 100.5 fires; it hovers within 1 of 100 until 98.5 re-arms it; 100.6 fires again.
  assert.deepEqual(fired, [2, 9]);
  const [noHyst] = replay([alert([{ kind: "price_above", level: 100 }], { hysteresis: 0 })], series);
  assert.deepEqual(noHyst, [2, 4, 6, 9], "without hysteresis every re-crossing fires");
});

Deno.test("alerts: price below mirrors price above", () => {
  const [fired] = replay([alert([{ kind: "price_below", level: 0 }], { hysteresis: 2 })], [5, -1, 1, -0.5, 3, -4]);
  assert.deepEqual(fired, [1, 5]);
});

Deno.test("alerts: cooldown holds back a re-crossing that comes too soon", () => {
  const series = [90, 110, 80, 110, 80, 80, 80, 80, 80, 80, 80, 80, 110];
  const [cool] = replay([alert([{ kind: "price_above", level: 100 }], { cooldownMs: 30 * 60_000 })], series);
  // 110 at 5 min fires; the one at 15 min is within 30 min; the one at 60 min fires.
  assert.deepEqual(cool, [1, 12]);
});

Deno.test("alerts: DA–RT spread uses the DA price of the hour", () => {
  const ctx: AlertContext = { ...noCtx, daPrice: (z, h) => (z === "PJM" && h === T0 ? 60 : undefined) };
  // DA 60: spread = 60 − RT; above 20 when RT < 40.
  const [fired] = replay(
    [alert([{ kind: "spread_above", level: 20 }], { hysteresis: 0 })],
    [50, 45, 35, 38, 50, 30],
    ctx,
  );
  assert.deepEqual(fired, [2, 5]);
  const [missing] = replay([alert([{ kind: "spread_above", level: 20 }])], [10, 5], noCtx);
  assert.deepEqual(missing, [], "no DA price: no spread, no firing");
});

Deno.test("alerts: spike is a robust z-score against the hour-of-week baseline", () => {
  const b = robustBaseline([30, 32, 31, 29, 33, 30, 31])!;
  assert.equal(b.median, 31);
  assert.equal(b.mad, 1);
  assert.ok(Math.abs(robustZ(31 + 1.4826 * 4, b)! - 4) < 1e-9);
  const ctx: AlertContext = {
    ...noCtx,
    baseline: (_z, m, how) => (m === "RT" && how === hourOfWeek(T0) ? b : undefined),
  };
  const [fired] = replay([alert([{ kind: "spike", k: 4 }], { hysteresis: 0.5 })], [31, 35, 40, 37.5, 30, 38], ctx);
  // z: 0, 1.8, 6.1 (fires), 4.4 (still on), -0.7 (off), 4.7 (fires)
  assert.deepEqual(fired, [2, 5]);
});

Deno.test("alerts: forecast miss compares with the forecast median of the hour", () => {
  const ctx: AlertContext = { ...noCtx, forecast: (_z, h) => (h === T0 ? 50 : undefined) };
  const [fired] = replay([alert([{ kind: "forecast_miss", amount: 15 }], { hysteresis: 0 })], [55, 70, 52, 30], ctx);
  assert.deepEqual(fired, [1, 3]);
});

Deno.test("alerts: all needs every condition, any needs one", () => {
  const conds: Condition[] = [{ kind: "price_above", level: 50 }, { kind: "price_below", level: 60 }];
  const series = [40, 55, 70, 55, 45];
  const [all, any] = replay([
    alert(conds, { combine: "all", hysteresis: 0 }),
    alert(conds, { combine: "any", hysteresis: 0 }),
  ], series);
  assert.deepEqual(all, [1, 3], "50 < p < 60");
  assert.deepEqual(any, [0], "always one of the two holds: fires once and stays on");
});

Deno.test("alerts: only the alert's zones and market; reload keeps state of unchanged alerts", () => {
  const a = alert([{ kind: "price_above", level: 100 }], { zones: ["ERCOT"], hysteresis: 0 });
  const index = new AlertIndex();
  index.load([a]);
  assert.equal(index.evaluate(tick(0, 200, "RT", "PJM"), noCtx, T0).length, 0);
  assert.equal(index.evaluate(tick(0, 200, "DA", "ERCOT"), noCtx, T0).length, 0);
  assert.equal(index.evaluate(tick(0, 200, "RT", "ERCOT"), noCtx, T0).length, 1);
  index.load([{ ...a }]);
  assert.equal(index.evaluate(tick(1, 201, "RT", "ERCOT"), noCtx, T0 + MIN5).length, 0, "still on: no second firing");
  index.load([{ ...a, version: "2" }]);
  assert.equal(
    index.evaluate(tick(2, 202, "RT", "ERCOT"), noCtx, T0 + 2 * MIN5).length,
    1,
    "a changed alert starts over",
  );
});
