/**
 * A schedule as DA curves: every curve passes the bid validation, clears the planned MW at the forecast
 * price, and does nothing (or less) when the real price is on the wrong side.
 */
import assert from "node:assert/strict";
import { checkBid } from "../../services/bids/schema.ts";
import { clearBid } from "../../services/bids/clearing.ts";
import { type ForecastHour, optimiseStorage, planToCurves } from "../../services/optimize/mod.ts";

/** 00:00 of PJM operating day 2026-12-04 (EST); its DA gate is on 2026-12-03, after NOW. */
const T0 = Date.parse("2026-12-04T05:00:00Z");
const NOW = new Date("2026-12-02T12:00:00Z");
const ASSET_ID = "6f1d3c8e-2b1a-4c5d-9e8f-0a1b2c3d4e5f";
const assetRow = {
  id: ASSET_ID,
  kind: "storage" as const,
  zone: "PJM" as const,
  capacity_mw: 1,
  charge_mw: 1,
  discharge_mw: 1,
  energy_mwh: 4,
  round_trip_efficiency: 0.85,
  min_soc: 0,
  max_soc: 1,
};

/** A duck curve: cheap at night and midday, dear in the evening, with a ±8 $/MWh band. */
function forecast(): ForecastHour[] {
  const shape = [30, 27, 25, 24, 25, 29, 36, 42, 40, 35, 31, 28, 27, 28, 31, 37, 45, 58, 72, 66, 54, 45, 38, 33];
  return shape.map((price, t) => ({
    start: new Date(T0 + t * 3_600_000).toISOString(),
    price,
    p10: price - 8,
    p90: price + 8,
  }));
}

async function planAndCurves() {
  const f = forecast();
  const plan = await optimiseStorage({ asset: assetRow, forecast: f, soc_start: 0, soc_end: 0, max_cycles: 1 });
  return { f, plan, curves: planToCurves(plan, f, assetRow) };
}

Deno.test("every curve passes the bid validation, one side per hour", async () => {
  const { plan, curves } = await planAndCurves();
  assert.ok(curves.length >= 7, `${curves.length} curves`);
  const hours = new Set<string>();
  for (const c of curves) {
    const r = checkBid(c, { asset: assetRow, now: NOW });
    assert.ok(r.ok, JSON.stringify(r));
    assert.ok(!hours.has(c.interval_start), "two curves for one hour");
    hours.add(c.interval_start);
  }
  const planned = plan.hours.filter((h) => h.charge_mw >= 0.001 || h.discharge_mw >= 0.001).length;
  assert.equal(curves.length, planned);
});

Deno.test("at the forecast price every curve clears its planned MW", async () => {
  const { f, plan, curves } = await planAndCurves();
  for (const c of curves) {
    const t = f.findIndex((h) => Date.parse(h.start) === Date.parse(c.interval_start));
    const h = plan.hours[t];
    const planned = c.side === "offer" ? h.discharge_mw : h.charge_mw;
    const awarded = clearBid(c, f[t].price).awarded_mw;
    assert.ok(Math.abs(awarded - planned) <= 0.001, `${c.interval_start}: ${awarded} vs ${planned}`);
  }
});

Deno.test("on the wrong side of the round trip the battery does nothing", async () => {
  const { f, plan, curves } = await planAndCurves();
  // The break-evens come from the other leg's quantile: the dearest charge hour's p10 / RTE for an
  // offer, the cheapest discharge hour's p90 × RTE for a bid.
  const energyCost = Math.max(...plan.hours.flatMap((h, t) => (h.charge_mw > 0 ? [f[t].p10!] : []))) / 0.85;
  const resale = Math.min(...plan.hours.flatMap((h, t) => (h.discharge_mw > 0 ? [f[t].p90!] : []))) * 0.85;
  assert.ok(energyCost < resale, "the duck's spread pays for a round trip");
  for (const c of curves) {
    const t = f.findIndex((h) => Date.parse(h.start) === Date.parse(c.interval_start));
    const planned = c.side === "offer" ? plan.hours[t].discharge_mw : plan.hours[t].charge_mw;
    assert.equal(c.segments.length, 1);
    if (c.side === "offer") {
      assert.equal(c.segments[0].price, Math.floor(energyCost * 100) / 100);
      assert.equal(clearBid(c, energyCost - 0.5).awarded_mw, 0, "selling below the energy's cost");
      assert.ok(Math.abs(clearBid(c, energyCost + 0.5).awarded_mw - planned) <= 0.001, "above it: all");
    } else {
      assert.equal(c.segments[0].price, Math.ceil(resale * 100) / 100);
      assert.equal(clearBid(c, resale + 0.5).awarded_mw, 0, "buying above what it can resell for");
      assert.ok(Math.abs(clearBid(c, resale - 0.5).awarded_mw - planned) <= 0.001, "below it: all");
    }
  }
});

Deno.test("without quantiles the point forecast sets the break-evens", async () => {
  const f = forecast().map(({ start, price }) => ({ start, price }));
  const plan = await optimiseStorage({ asset: assetRow, forecast: f, soc_start: 0, soc_end: 0, max_cycles: 1 });
  const curves = planToCurves(plan, f, assetRow);
  const energyCost = Math.max(...plan.hours.flatMap((h, t) => (h.charge_mw > 0 ? [f[t].price] : []))) / 0.85;
  for (const c of curves.filter((c) => c.side === "offer")) {
    assert.equal(c.segments[0].price, Math.floor(energyCost * 100) / 100);
  }
});

Deno.test("a day that must only charge (to reach its end SoC) bids at the cap: it must buy", async () => {
  const f = forecast();
  const plan = await optimiseStorage({ asset: assetRow, forecast: f, soc_start: 0, soc_end: 0.5 });
  const curves = planToCurves(plan, f, assetRow);
  assert.ok(curves.some((c) => c.side === "bid"));
  // Discharging and recharging can still pay on this day; then the bid is priced from that discharge.
  for (const c of curves) assert.ok(checkBid(c, { asset: assetRow, now: NOW }).ok);
  const flat = f.map((h) => ({ ...h, price: 30, p10: 22, p90: 38 }));
  const onlyCharge = await optimiseStorage({ asset: assetRow, forecast: flat, soc_start: 0, soc_end: 0.5 });
  const bids = planToCurves(onlyCharge, flat, assetRow);
  assert.ok(bids.length > 0 && bids.every((c) => c.side === "bid"));
  assert.ok(bids.every((c) => c.segments[0].price === 1000), JSON.stringify(bids[0]));
});

Deno.test("curves and plan must describe the same hours", async () => {
  const { f, plan } = await planAndCurves();
  assert.throws(() => planToCurves(plan, f.slice(1), assetRow), RangeError);
});
