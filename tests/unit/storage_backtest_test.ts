/**
 * Regression guard of `deno task backtest storage`: the figures of two hubs (WESTERN HUB, NEW JERSEY
 * HUB, 2025-06-15 … 07-31), recomputed end to end — forecast, LP, curves, clearing, delivery, settlement
 * — must stay what was measured when the optimiser was written. A change to any link that moves a
 * hub's revenue by more than a dollar over 47 days fails here; if the change is meant, re-measure and
 * update the figures with the reason.
 */
import assert from "node:assert/strict";
import {
  BATTERY,
  deliverAndSettle,
  FIRST_DAY,
  type HubPrices,
  readPjmHubs,
  storageBacktest,
  tb4,
  totalRow,
} from "../../bench/storage_backtest.ts";
import { dayIndex } from "../../services/forecast/features.ts";
import { serviceTest, testServices } from "../helpers/services.ts";

const MEASURED = {
  "NEW JERSEY HUB": { perfect: 13545.94, tb4: 13065.16, mean7: 13000.48, naive: 12295.18, naiveSchedule: 12607.88 },
  "WESTERN HUB": { perfect: 16266.06, tb4: 15607.48, mean7: 15830.76, naive: 15597.12, naiveSchedule: 15600.52 },
} as const;

serviceTest("storage backtest on two hubs: the revenues measured when it was written", ["shared-data"], async () => {
  const hubs = await readPjmHubs(testServices.sharedData!, Object.keys(MEASURED));
  assert.deepEqual(hubs.map((h) => h.hub), Object.keys(MEASURED));
  const from = dayIndex(FIRST_DAY, "2025-06-15"), to = dayIndex(FIRST_DAY, "2025-07-31") + 1;
  const rows = await storageBacktest(hubs, ["mean7", "naive"], from, to, ["naive"]);
  for (const r of rows) {
    const m = MEASURED[r.hub as keyof typeof MEASURED];
    const near = (what: string, got: number, want: number) =>
      assert.ok(Math.abs(got - want) < 1, `${r.hub} ${what}: ${got.toFixed(2)}, measured ${want}`);
    assert.equal(r.days, 47);
    near("perfect foresight", r.perfect, m.perfect);
    near("TB4", r.tb4, m.tb4);
    near("mean7", r.revenue.mean7, m.mean7);
    near("naive", r.revenue.naive, m.naive);
    // Yesterday's schedule bid as it stands (no price-responsive curves).
    near("naive schedule", r.revenue["naive schedule"], m.naiveSchedule);
    assert.equal(r.revenue["mean7 schedule"], undefined, "a schedule only where asked");
    // No strategy beats perfect foresight at DA (none of these days' deviations earned at RT).
    assert.ok(r.revenue.mean7 <= r.perfect && r.revenue.naive <= r.perfect);
  }
  const total = totalRow(rows);
  assert.ok(total.revenue.mean7 / total.perfect >= 0.85, "the target: ≥ 85 % of perfect foresight");
  assert.ok(total.revenue.mean7 > total.revenue.naive, "the forecast beats yesterday's prices");
});

/** A synthetic hub: one day, DA 10 at night and 50 in the evening, RT 100 everywhere. */
function oneDay(): HubPrices {
  const da = new Float64Array(24).map((_, h) => (h < 4 ? 10 : h >= 18 && h < 22 ? 50 : 30));
  return { hub: "TEST", da, rt: new Float64Array(24).fill(100), dayStart: [Date.parse(`${FIRST_DAY}T04:00:00Z`)] };
}

Deno.test("settlement: awards delivered are paid at DA; what the battery cannot deliver is bought back at RT", () => {
  const hub = oneDay();
  const award = new Float64Array(24);
  // Discharge 1 MW at 18:00 with nothing charged: the whole award is a shortfall at RT 100.
  award[18] = 1;
  const short = deliverAndSettle(hub, 0, award);
  assert.equal(short.da, 50);
  assert.equal(short.deviation, -100);
  // Charged first (1 MW × 4 h at 10, η = √0.85 each way), then 1 MW at 18:00 is delivered: no deviation.
  for (let h = 0; h < 4; h++) award[h] = -1;
  const full = deliverAndSettle(hub, 0, award);
  assert.equal(full.deviation, 0);
  assert.equal(full.da, 50 - 40);
  assert.ok(BATTERY.energy_mwh >= 4 * Math.sqrt(0.85));
});

Deno.test("TB4: four dearest minus four cheapest DA hours, × RTE", () => {
  assert.ok(Math.abs(tb4(oneDay(), 0) - (200 - 40) * 0.85) < 1e-9);
});
