/** The simulated hub basis: deterministic for a seed, the same live as in a backfill, small and mean-reverting. */
import assert from "node:assert/strict";
import { referenceLocation, VIRTUAL_RULES } from "../../services/bids/virtual_rules.ts";
import { hubPrices } from "../../services/market/hub_basis.ts";
import { simulateDayAhead, simulateRealTime } from "../../services/market/simulator.ts";
import { ISOS } from "../../services/market/zones.ts";

const from = new Date(Date.UTC(2025, 6, 1)), to = new Date(Date.UTC(2025, 6, 3));

Deno.test("hub prices: one per listed location, deterministic for a seed, different for another", () => {
  for (const zone of ISOS) {
    const ticks = simulateRealTime(zone, from, to, 5);
    const a = hubPrices(ticks, 5);
    const rules = VIRTUAL_RULES[zone]!;
    assert.equal(a.length, ticks.length * rules.locations.length);
    assert.deepEqual(new Set(a.map((p) => p.location)), new Set(rules.locations.map((l) => l.name)));
    assert.deepEqual(hubPrices(simulateRealTime(zone, from, to, 5), 5), a, `${zone}: same seed, same prices`);
    const b = hubPrices(simulateRealTime(zone, from, to, 6), 6);
    assert.notDeepEqual(b, a);
    // The reference location is the zone's price itself; the others are not.
    const ref = referenceLocation(rules);
    const zonePrice = new Map(ticks.map((t) => [t.interval_start, t.lmp]));
    for (const p of a) if (p.location === ref) assert.equal(p.lmp, zonePrice.get(p.interval_start));
    const others = a.filter((p) => p.location !== ref);
    assert.ok(others.filter((p) => p.lmp !== zonePrice.get(p.interval_start)).length > others.length * 0.9);
  }
});

Deno.test("hub prices: an interval computed alone equals the same interval of a longer run", () => {
  const long = hubPrices(simulateRealTime("PJM", from, to, 9), 9);
  const at = new Date(Date.UTC(2025, 6, 2, 14, 35));
  const alone = hubPrices(simulateRealTime("PJM", at, new Date(at.getTime() + 1), 9), 9);
  assert.equal(alone.length, 12);
  for (const p of alone) {
    assert.deepEqual(long.find((q) => q.location === p.location && q.interval_start === p.interval_start), p);
  }
  const day = hubPrices(simulateDayAhead("MISO", "2025-07-02", 9), 9);
  const dayAgain = hubPrices(simulateDayAhead("MISO", "2025-07-02", 9).slice(10, 11), 9);
  assert.deepEqual(dayAgain, day.filter((p) => p.interval_start === dayAgain[0].interval_start));
});

Deno.test("hub basis: small, mean-reverting, congestion-like", () => {
  const start = new Date(Date.UTC(2025, 0, 1));
  const days = 60;
  const ticks = [];
  for (let d = 0; d < days; d++) {
    const date = new Date(start.getTime() + d * 86_400_000).toISOString().slice(0, 10);
    ticks.push(...simulateDayAhead("PJM", date, 3));
  }
  const zonePrice = new Map(ticks.map((t) => [t.interval_start, t.lmp]));
  const prices = hubPrices(ticks, 3).filter((p) => p.location === "EASTERN HUB");
  const basis = prices.map((p) => p.lmp - zonePrice.get(p.interval_start)!);
  const mean = basis.reduce((s, b) => s + b, 0) / basis.length;
  const centred = basis.map((b) => b - mean);
  const variance = centred.reduce((s, b) => s + b * b, 0) / centred.length;
  const autocorr = (lag: number) =>
    centred.slice(lag).reduce((s, b, i) => s + b * centred[i], 0) / (centred.length - lag) / variance;
  assert.ok(Math.abs(mean) < 5, `mean basis ${mean}`);
  assert.ok(Math.sqrt(variance) < 6, `basis sd ${Math.sqrt(variance)}`);
  assert.ok(autocorr(1) > 0.5, `persistent hour to hour (${autocorr(1)})`);
  assert.ok(Math.abs(autocorr(24)) < 0.2, `reverts to its mean within a day (${autocorr(24)})`);
  // Now and then a congestion event moves it well past its usual spread.
  assert.ok(basis.some((b) => Math.abs(b - mean) > 3 * Math.sqrt(variance) / 2));
});
