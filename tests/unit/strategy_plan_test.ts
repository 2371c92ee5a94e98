import assert from "node:assert/strict";
import { formOfStrategy, strategyFromForm } from "../../components/strategy_form.ts";
import { operatingDayHours } from "../../services/market/market_time.ts";
import { planDay } from "../../services/strategies/plan.ts";
import { strategyInput } from "../../services/strategies/schema.ts";
import { dueDay } from "../../services/strategies/runner.ts";
import { gateClosureUtc } from "../../services/market/zones.ts";

const ASSET_ID = "0b8a1c7e-0000-4000-8000-000000000001";
const battery = {
  id: ASSET_ID,
  kind: "storage" as const,
  zone: "PJM" as const,
  capacity_mw: 50,
  charge_mw: 40,
  discharge_mw: 50,
};
const solar = { id: ASSET_ID, kind: "solar" as const, zone: "PJM" as const, capacity_mw: 20 };
const day = operatingDayHours("PJM", "2026-07-01");

Deno.test("plan: a fixed curve bids every hour, or the hours listed by hour ending", () => {
  const all = planDay(
    { kind: "fixed_curve", params: { side: "offer", segments: [{ price: 30, quantity: 5 }] } },
    battery,
    day,
    new Map(),
  );
  assert.ok("bids" in all);
  assert.equal(all.bids.length, 24);
  assert.deepEqual(all.bids[0], {
    asset_id: ASSET_ID,
    market: "DA",
    interval_start: day[0].start.toISOString(),
    side: "offer",
    segments: [{ price: 30, quantity: 5 }],
  });
  const some = planDay(
    { kind: "fixed_curve", params: { side: "bid", segments: [{ price: 10, quantity: 5 }], hours: [1, 24, 7] } },
    battery,
    day,
    new Map(),
  );
  assert.ok("bids" in some);
  assert.deepEqual(some.bids.map((b) => b.interval_start), [day[0], day[6], day[23]].map((h) => h.start.toISOString()));
});

Deno.test("plan: the spring DST day has no HE3, so a curve for HE3 only makes nothing", () => {
  const spring = operatingDayHours("PJM", "2026-03-08");
  assert.equal(spring.length, 23);
  const r = planDay(
    { kind: "fixed_curve", params: { side: "offer", segments: [{ price: 1, quantity: 1 }], hours: [3] } },
    battery,
    spring,
    new Map(),
  );
  assert.deepEqual(r, { nothing: "none of its hours is in this operating day" });
});

const forecast = new Map(day.map((h, i) => [h.start.getTime(), { p10: 10 + i, p50: 30 + i, p90: 50 + i }]));

Deno.test("plan: forecast-following offers at the forecast plus the margin, for a share of the side's power", () => {
  const r = planDay(
    { kind: "forecast_following", params: { side: "offer", margin: 2.5, basis: "p50", quantity_share: 0.5 } },
    battery,
    day,
    forecast,
  );
  assert.ok("bids" in r);
  assert.equal(r.bids.length, 24);
  assert.deepEqual(r.bids[3].segments, [{ price: 35.5, quantity: 25 }]);
  const bids = planDay(
    { kind: "forecast_following", params: { side: "bid", margin: 5, basis: "p10", quantity_share: 1 } },
    battery,
    day,
    forecast,
  );
  assert.ok("bids" in bids);
  // A bid (charge) is priced below the forecast, for the charge power (40 MW, not the 50 MW discharge).
  assert.deepEqual(bids.bids[0].segments, [{ price: 5, quantity: 40 }]);
});

Deno.test("plan: forecast-following stays within the zone's floor and cap", () => {
  const wild = new Map(day.map((h) => [h.start.getTime(), { p10: null, p50: 5000, p90: null }]));
  const r = planDay(
    { kind: "forecast_following", params: { side: "offer", margin: 10, basis: "p50", quantity_share: 1 } },
    battery,
    day,
    wild,
  );
  assert.ok("bids" in r);
  assert.equal(r.bids[0].segments[0].price, 1000); // PJM's offer cap
  const low = new Map(day.map((h) => [h.start.getTime(), { p10: null, p50: -5000, p90: null }]));
  const b = planDay(
    { kind: "forecast_following", params: { side: "bid", margin: 10, basis: "p50", quantity_share: 1 } },
    battery,
    day,
    low,
  );
  assert.ok("bids" in b);
  assert.equal(b.bids[0].segments[0].price, -1000); // PJM's floor
});

Deno.test("plan: forecast-following makes nothing, and says why, without a full forecast or band or side", () => {
  const ff = {
    kind: "forecast_following" as const,
    params: { side: "offer" as const, margin: 1, basis: "p50" as const, quantity_share: 1 },
  };
  assert.deepEqual(planDay(ff, battery, day, new Map()), { nothing: "no live forecast for 2026-07-01 yet" });
  const partial = new Map([...forecast].slice(0, 20));
  assert.deepEqual(planDay(ff, battery, day, partial), {
    nothing: "the live forecast covers 20 of the day's 24 hours",
  });
  const noBand = new Map(day.map((h) => [h.start.getTime(), { p10: null, p50: 30, p90: null }]));
  assert.deepEqual(planDay({ ...ff, params: { ...ff.params, basis: "p90" } }, battery, day, noBand), {
    nothing: "the forecast has no P90 band yet",
  });
  assert.deepEqual(planDay({ ...ff, params: { ...ff.params, side: "bid" } }, solar, day, forecast), {
    nothing: "a solar asset cannot buy",
  });
});

Deno.test("schedule: due from lead_minutes before the next gate, for that gate's delivery day", () => {
  const gate = gateClosureUtc("PJM", "2026-07-02");
  const s = { zone: "PJM", lead_minutes: 30 };
  assert.equal(dueDay(s, new Date(gate.getTime() - 31 * 60_000)), null);
  assert.equal(dueDay(s, new Date(gate.getTime() - 30 * 60_000)), "2026-07-02");
  assert.equal(dueDay(s, new Date(gate.getTime() - 1)), "2026-07-02");
  // At the gate it is closed: the next day's gate is 24 h away, not yet due.
  assert.equal(dueDay(s, gate), null);
  assert.equal(dueDay({ zone: "PJM", lead_minutes: 1440 }, gate), "2026-07-03");
});

Deno.test("strategy input: strict per kind; the form round-trips a strategy", () => {
  const base = { name: "Peak offer", asset_id: ASSET_ID, lead_minutes: 60 };
  assert.ok(
    strategyInput.safeParse({
      ...base,
      kind: "fixed_curve",
      params: { side: "offer", segments: [{ price: 1, quantity: 1 }] },
    }).success,
  );
  assert.equal(
    strategyInput.safeParse({ ...base, kind: "fixed_curve", params: { side: "offer", margin: 1 } }).success,
    false,
  );
  assert.equal(strategyInput.safeParse({ ...base, kind: "battery_magic", params: {} }).success, false);
  assert.equal(
    strategyInput.safeParse({
      ...base,
      lead_minutes: 2,
      kind: "forecast_following",
      params: { side: "offer", margin: 1 },
    }).success,
    false,
  );
  assert.equal(
    strategyInput.safeParse({ ...base, kind: "forecast_following", params: { side: "offer", margin: 1.001 } }).success,
    false,
  );

  const form = {
    name: "Evening",
    asset_id: ASSET_ID,
    kind: "fixed_curve",
    side: "offer",
    lead_minutes: "90",
    curve: "30, 5\n45; 2.5",
    hours: "17-20, 22",
    submit: "on",
    enabled: "on",
  };
  const r = strategyFromForm(form);
  assert.ok(r.ok);
  assert.deepEqual(r.data.params, {
    side: "offer",
    segments: [{ price: 30, quantity: 5 }, { price: 45, quantity: 2.5 }],
    hours: [17, 18, 19, 20, 22],
  });
  assert.equal(r.data.submit, true);
  const view = {
    ...r.data,
    id: ASSET_ID,
    asset_name: "B",
    zone: "PJM",
    owner_user_id: null,
    owner_email: null,
    version: 1,
    created_at: "",
    updated_at: "",
    params: r.data.params as Record<string, unknown>,
  };
  assert.deepEqual(strategyFromForm(formOfStrategy(view)), r);
  const bad = strategyFromForm({ ...form, curve: "thirty, 5", hours: "0" });
  assert.ok(!bad.ok);
  assert.ok(bad.errors.curve && bad.errors.hours, JSON.stringify(bad.errors));
  const ff = strategyFromForm({ ...form, kind: "forecast_following", margin: "3", basis: "p90", quantity_pct: "50" });
  assert.ok(ff.ok);
  assert.deepEqual(ff.data.params, { side: "offer", margin: 3, basis: "p90", quantity_share: 0.5 });
});

Deno.test("strategy form: battery arbitrage's settings in % and $ round-trip", () => {
  const form = {
    name: "Arb",
    asset_id: ASSET_ID,
    kind: "battery_arbitrage",
    side: "offer",
    lead_minutes: "120",
    max_cycles: "1.5",
    degradation_cost: "3",
    soc_start_pct: "20",
    soc_end_pct: "",
    enabled: "on",
  };
  const r = strategyFromForm(form);
  assert.ok(r.ok, JSON.stringify(r));
  // As stored (jsonb): fields left empty are absent.
  assert.deepEqual(JSON.parse(JSON.stringify(r.data.params)), { max_cycles: 1.5, degradation_cost: 3, soc_start: 0.2 });
  const bad = strategyFromForm({ ...form, soc_start_pct: "150" });
  assert.ok(!bad.ok);
  assert.ok(bad.errors.soc_start_pct, JSON.stringify(bad.errors));
});
