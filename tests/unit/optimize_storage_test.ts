/**
 * The storage LP on days small enough to solve by hand: every constraint binding in some case (power,
 * energy, SoC bounds, end SoC, cycles), the efficiency counted once per round trip, degradation,
 * negative prices (never both sides in an hour), and infeasible input as a clear `invalid` error.
 */
import assert from "node:assert/strict";
import { DomainError } from "../../services/errors.ts";
import { optimiseStorage, type StorageDayInput, type StorageParams } from "../../services/optimize/mod.ts";

const T0 = Date.parse("2026-12-04T05:00:00Z");
const hours = (prices: number[]) =>
  prices.map((price, t) => ({ start: new Date(T0 + t * 3_600_000).toISOString(), price }));

const battery = (over: Partial<StorageParams> = {}): StorageParams => ({
  charge_mw: 1,
  discharge_mw: 1,
  energy_mwh: 1,
  round_trip_efficiency: 1,
  min_soc: 0,
  max_soc: 1,
  ...over,
});

function day(prices: number[], over: Partial<StorageDayInput> = {}, asset: Partial<StorageParams> = {}) {
  return { asset: battery(asset), forecast: hours(prices), soc_start: 0, soc_end: 0, ...over };
}

const close = (actual: number, expected: number, what = "") =>
  assert.ok(Math.abs(actual - expected) < 1e-6, `${what} ${actual} ≠ ${expected}`);

Deno.test("two hours, one cycle: charge at the cheap hour, discharge at the dear one", async () => {
  const plan = await optimiseStorage(day([10, 50]));
  close(plan.hours[0].charge_mw, 1);
  close(plan.hours[1].discharge_mw, 1);
  close(plan.hours[0].soc_mwh, 1);
  close(plan.hours[1].soc_mwh, 0);
  close(plan.expected_revenue, 40);
  close(plan.cycles, 1);
});

Deno.test("efficiency is counted once per round trip: 1 MWh in gives RTE MWh out", async () => {
  // RTE 0.81: η = 0.9 each way. 1 MWh bought at 10 comes back as 0.81 MWh sold at 50: 40.5 − 10.
  const plan = await optimiseStorage(day([10, 50], {}, { energy_mwh: 2, round_trip_efficiency: 0.81 }));
  close(plan.hours[0].charge_mw, 1, "charge");
  close(plan.hours[0].soc_mwh, 0.9, "soc after charging");
  close(plan.hours[1].discharge_mw, 0.81, "discharge");
  close(plan.expected_revenue, 30.5, "revenue");
});

Deno.test("discharge power binds: the battery buys only what it can sell in the one dear hour", async () => {
  // E = 10 MWh is no limit; d ≤ 1 MW is. To sell 1 MWh at RTE 0.81 it buys 1/0.81 MWh at 10.
  const plan = await optimiseStorage(day([10, 10, 50], {}, { energy_mwh: 10, round_trip_efficiency: 0.81 }));
  close(plan.hours[2].discharge_mw, 1, "discharge at its limit");
  close(plan.hours[0].charge_mw + plan.hours[1].charge_mw, 1 / 0.81, "energy bought");
  close(plan.expected_revenue, 50 - 10 / 0.81, "revenue");
});

Deno.test("charge power binds: one cheap hour at 1 MW is all it can buy", async () => {
  const plan = await optimiseStorage(day([10, 50, 50], {}, { energy_mwh: 10, discharge_mw: 5 }));
  close(plan.hours[0].charge_mw, 1);
  close(plan.hours[1].discharge_mw + plan.hours[2].discharge_mw, 1);
  close(plan.expected_revenue, 40);
});

Deno.test("energy binds: a 10 MW battery of 1 MWh moves only 1 MWh", async () => {
  const plan = await optimiseStorage(day([10, 50], {}, { charge_mw: 10, discharge_mw: 10 }));
  close(plan.hours[0].charge_mw, 1);
  close(plan.hours[0].soc_mwh, 1);
  close(plan.expected_revenue, 40);
});

Deno.test("SoC bounds bind: only the band between min_soc and max_soc is used", async () => {
  const plan = await optimiseStorage(
    day([10, 50], { soc_start: 0.2, soc_end: 0.2 }, {
      energy_mwh: 10,
      charge_mw: 100,
      discharge_mw: 100,
      min_soc: 0.2,
      max_soc: 0.8,
    }),
  );
  close(plan.soc_start_mwh, 2);
  close(plan.hours[0].soc_mwh, 8, "charged to max_soc");
  close(plan.hours[1].soc_mwh, 2, "discharged to min_soc");
  close(plan.expected_revenue, 6 * 40);
});

Deno.test("end SoC binds: the day must end at least as full as required", async () => {
  // Free end: sell the 0.5 MWh it holds at 50, buy nothing (nothing later to sell at).
  const free = await optimiseStorage(day([50, 10], { soc_start: 0.5, soc_end: 0 }));
  close(free.expected_revenue, 25);
  close(free.hours[1].charge_mw, 0);
  // Required back at 0.5: it refills at 10.
  const held = await optimiseStorage(day([50, 10], { soc_start: 0.5, soc_end: 0.5 }));
  close(held.hours[1].charge_mw, 0.5);
  close(held.hours[1].soc_mwh, 0.5);
  close(held.expected_revenue, 20);
});

Deno.test("the cycle limit binds: two spreads, but only as many cycles as allowed", async () => {
  const prices = [10, 50, 10, 50];
  close((await optimiseStorage(day(prices))).expected_revenue, 80, "unlimited");
  const one = await optimiseStorage(day(prices, { max_cycles: 1 }));
  close(one.expected_revenue, 40, "one cycle");
  close(one.cycles, 1);
  close((await optimiseStorage(day(prices, { max_cycles: 1.5 }))).expected_revenue, 60, "one and a half");
});

Deno.test("degradation cost: a spread below the wear of a round trip is left alone", async () => {
  const idle = await optimiseStorage(day([10, 15], { degradation_cost: 3 }));
  close(idle.expected_revenue, 0);
  assert.ok(idle.hours.every((h) => h.charge_mw === 0 && h.discharge_mw === 0));
  const busy = await optimiseStorage(day([10, 15], { degradation_cost: 2 }));
  close(busy.energy_revenue, 5);
  close(busy.degradation_cost, 4);
  close(busy.expected_revenue, 1);
});

Deno.test("negative prices: never charge and discharge in the same hour (solved again as a MIP)", async () => {
  // Full battery, paid to consume: the LP alone would charge and discharge at once to burn energy.
  // One side per hour: discharge 0.81 (pays 40.5), then charge 1 (is paid 50).
  const plan = await optimiseStorage(
    day([-50, -50], { soc_start: 1, soc_end: 1 }, { round_trip_efficiency: 0.81 }),
  );
  for (const h of plan.hours) assert.ok(h.charge_mw === 0 || h.discharge_mw === 0, JSON.stringify(h));
  close(plan.expected_revenue, 9.5);
  close(plan.hours[1].soc_mwh, 1);
});

Deno.test("an end SoC out of reach is a clear `invalid` error, not a crash", async () => {
  const err = await optimiseStorage(day([10, 20], { soc_start: 0, soc_end: 1 }, { energy_mwh: 4 })).then(
    () => assert.fail("solved an infeasible day"),
    (e) => e,
  );
  assert.ok(err instanceof DomainError);
  assert.equal(err.kind, "invalid");
  assert.equal(err.code, "infeasible");
  assert.match(err.message, /at least 100 % \(4 MWh\).*at most 2 MWh in 2 hours/);
});

Deno.test("malformed input is refused as `invalid` before the solver", async () => {
  const cases: StorageDayInput[] = [
    day([10], { soc_start: 1.2 }),
    day([10], { soc_end: -0.1 }),
    day([], {}),
    day([NaN]),
    day([10], { max_cycles: -1 }),
    day([10], { degradation_cost: -1 }),
    day([10], {}, { round_trip_efficiency: 0 }),
    day([10], {}, { min_soc: 0.9, max_soc: 0.5 }),
  ];
  for (const c of cases) {
    await assert.rejects(optimiseStorage(c), (e) => e instanceof DomainError && e.kind === "invalid");
  }
});

Deno.test("a 25-hour DST day is solved hour by hour like any other", async () => {
  const prices = Array.from({ length: 25 }, (_, t) => (t < 5 ? 5 : t >= 20 ? 80 : 30));
  const plan = await optimiseStorage(day(prices, { max_cycles: 1 }, { energy_mwh: 4, round_trip_efficiency: 0.85 }));
  assert.equal(plan.hours.length, 25);
  close(plan.cycles, 1);
  // The cells take 4 MWh: 4/η bought at 5, 4·η sold at 80 (η = √0.85).
  const eta = Math.sqrt(0.85);
  close(plan.expected_revenue, 80 * 4 * eta - 5 * 4 / eta);
});
