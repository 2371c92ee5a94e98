/**
 * POST /api/assets/:id/optimise and …/optimise/bids through the running app: the zone's stored forecast
 * in, a schedule within the battery's limits and curves that the bid API accepts out; the drafts written
 * in one batch; every refusal a 4xx with its code (bad input, infeasible, not storage, no forecast,
 * another organization's asset, a viewer writing).
 */
import assert from "node:assert/strict";
import { call, createOrg, expectError, expectStatus, opts, orgWithAllRoles } from "../helpers/auth.ts";
import { battery, siteWithAsset } from "../helpers/bids.ts";
import { dayShape, insertRun, modelVersion, operatingHours, tomorrowOf } from "../helpers/forecasts.ts";
import { testApp } from "../helpers/test_app.ts";
import { addDays } from "../../services/market/clock.ts";

Deno.test("optimise a battery's day: schedule, curves, drafts in one batch, and every refusal", opts, async () => {
  const t = await testApp();
  const { members } = await orgWithAllRoles(t, "optimise");
  const trader = members.trader.tokens.access_token;
  const viewer = members.viewer.tokens.access_token;
  const { assetId } = await siteWithAsset(t, trader, battery("BESS opt"));

  // The day after tomorrow: its DA gate is open whenever the test runs.
  const day = addDays(tomorrowOf("PJM"), 1);
  const db = t.services.db();
  await insertRun(db, {
    zone: "PJM",
    deliveryDate: day,
    modelId: await modelVersion(db, "opt-test"),
    madeAt: new Date(),
    hours: dayShape(operatingHours("PJM", day)),
  });
  const path = `/api/assets/${assetId}/optimise`;
  const body = { delivery_date: day, soc_start: 0.1, soc_end: 0.1, max_cycles: 1, degradation_cost: 2 };

  const r = await call(t, "POST", path, { token: trader, body });
  expectStatus(r, 200);
  const o = r.body;
  assert.equal(o.hours.length, operatingHours("PJM", day).length);
  assert.equal(o.zone, "PJM");
  assert.ok(o.expected_revenue > 0, "the shaped day has a spread worth a cycle");
  assert.ok(o.cycles <= 1 + 1e-9);
  for (const h of o.hours) {
    assert.ok(h.soc_mwh >= 0.1 * 200 - 1e-6 && h.soc_mwh <= 0.95 * 200 + 1e-6, `SoC ${h.soc_mwh}`);
    assert.ok(h.charge_mw <= 50 + 1e-9 && h.discharge_mw <= 50 + 1e-9);
    assert.ok(h.charge_mw === 0 || h.discharge_mw === 0);
  }
  assert.ok(o.hours.at(-1).soc_mwh >= 20 - 1e-6, "ends at least at soc_end");
  assert.ok(o.curves.length > 0);
  for (const c of o.curves) {
    const h = o.hours.find((x: { start: string }) => Date.parse(x.start) === Date.parse(c.interval_start));
    assert.equal(c.side, h.discharge_mw > 0 ? "offer" : "bid");
  }
  // A viewer may look (assets:read), not write bids.
  expectStatus(await call(t, "POST", path, { token: viewer, body }), 200);
  expectStatus(await call(t, "POST", `${path}/bids`, { token: viewer, body }), 403);

  // The refusals.
  expectStatus(await call(t, "POST", path, { token: trader, body: { ...body, extra: 1 } }), 400);
  expectStatus(await call(t, "POST", path, { token: trader, body: { ...body, delivery_date: "tomorrow" } }), 400);
  expectStatus(await call(t, "POST", path, { token: trader, body: { ...body, soc_start: 1.5 } }), 400);
  expectStatus(await call(t, "POST", path, { token: trader, body: "not json" }), 400);
  expectError(
    await call(t, "POST", path, { token: trader, body: { ...body, soc_start: 0.05 } }),
    400,
    "soc_out_of_range",
  );
  expectError(
    await call(t, "POST", path, { token: trader, body: { ...body, delivery_date: addDays(day, 1) } }),
    422,
    "no_forecast",
  );
  // Dates at the ends of the calendar are refused as input, not server errors.
  for (const d of ["0001-01-01", "9999-12-31", "1970-01-01"]) {
    expectStatus(await call(t, "POST", path, { token: trader, body: { ...body, delivery_date: d } }), 400);
  }
  expectError(
    await call(t, "POST", path, { token: trader, body: { ...body, delivery_date: "2000-01-01" } }),
    422,
    "no_forecast",
  );
  expectStatus(await call(t, "POST", path, { token: trader, body: { ...body, delivery_date: "2025-02-30" } }), 400);
  expectStatus(await call(t, "POST", path, { token: trader, body: { ...body, max_cycles: 1e308 } }), 400);
  const slow = await call(t, "POST", "/api/assets", {
    token: trader,
    body: {
      ...battery("Slow BESS"),
      site_id: (await call(t, "GET", `/api/assets/${assetId}`, { token: trader })).body.site_id,
      capacity_mw: 1,
      charge_mw: 1,
      discharge_mw: 1,
    },
  });
  expectStatus(slow, 201);
  const infeasible = await call(t, "POST", `/api/assets/${slow.body.id}/optimise`, {
    token: trader,
    body: { delivery_date: day, soc_start: 0.1, soc_end: 0.95 },
  });
  expectError(infeasible, 400, "infeasible");
  assert.match(infeasible.body.error.message, /end at a state of charge of at least 95 %/);
  const solar = await call(t, "POST", "/api/assets", {
    token: trader,
    body: { site_id: slow.body.site_id, name: "PV opt", kind: "solar", capacity_mw: 10 },
  });
  expectError(
    await call(t, "POST", `/api/assets/${solar.body.id}/optimise`, { token: trader, body }),
    400,
    "not_storage",
  );
  expectStatus(await call(t, "POST", `/api/assets/not-a-uuid/optimise`, { token: trader, body }), 400);

  // Another organization's asset does not exist for it.
  const other = await createOrg(t, "optimise-other");
  expectStatus(await call(t, "POST", path, { token: other.admin.tokens.access_token, body }), 404);
  expectStatus(await call(t, "POST", `${path}/bids`, { token: other.admin.tokens.access_token, body }), 404);

  // Create bids: the curves as drafts, one batch.
  const created = await call(t, "POST", `${path}/bids`, { token: trader, body });
  expectStatus(created, 201);
  assert.equal(created.body.items.length, o.curves.length);
  assert.ok(
    created.body.items.every((b: { status: string; asset_id: string }) =>
      b.status === "draft" && b.asset_id === assetId
    ),
  );
  const listed = await call(t, "GET", `/api/bids?asset_id=${assetId}&limit=100`, { token: trader });
  expectStatus(listed, 200);
  assert.equal(listed.body.items.length, o.curves.length);
  const sides = new Map(
    o.curves.map((c: { interval_start: string; side: string }) => [Date.parse(c.interval_start), c.side]),
  );
  for (const b of listed.body.items) assert.equal(sides.get(Date.parse(b.interval_start)), b.side);
});
