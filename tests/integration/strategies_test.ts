/**
 * Saved strategies through the running app: create, read, edit, delete (validated, scoped, audited); Run
 * now makes the day's bids once (a second run answers with the first); forecast-following reads the live
 * forecast; a run that makes nothing says why; strategy bids follow the approval policy; runs are events
 * in the outbox; the pages.
 */
import assert from "node:assert/strict";
import { addMember, call, createOrg, expectError, expectStatus, type Member, opts } from "../helpers/auth.ts";
import { battery, bidPage, siteWithAsset } from "../helpers/bids.ts";
import { dayShape, insertRun, modelVersion, operatingHours } from "../helpers/forecasts.ts";
import { testApp } from "../helpers/test_app.ts";
import { nextGateClosure } from "../../services/market/zones.ts";
import { addDays } from "../../services/market/clock.ts";

async function setup(tag: string) {
  const t = await testApp();
  const org = await createOrg(t, tag);
  const trader = await addMember(t, org, "trader", `${tag}-trader`);
  const { assetId, siteId } = await siteWithAsset(t, trader.tokens.access_token, battery("BESS"));
  const as = (m: Member) => (method: string, path: string, body?: unknown) =>
    call(t, method, path, { token: m.tokens.access_token, body, ip: m.ip });
  return { t, org, trader, assetId, siteId, as };
}

const fixed = (assetId: string, extra: Record<string, unknown> = {}) => ({
  name: "Evening peak",
  asset_id: assetId,
  kind: "fixed_curve",
  lead_minutes: 60,
  params: {
    side: "offer",
    segments: [{ price: 45, quantity: 10 }, { price: 80, quantity: 20 }],
    hours: [17, 18, 19, 20],
  },
  ...extra,
});

Deno.test(
  "strategies: create, list, read, edit with its version, delete; refusals are 4xx naming the field",
  opts,
  async () => {
    const { t, org, trader, assetId, as } = await setup("strat-crud");
    const api = as(trader);
    const created = await api("POST", "/api/strategies", fixed(assetId));
    expectStatus(created, 201);
    assert.equal(created.body.owner_user_id, trader.userId);
    assert.equal(created.body.zone, "PJM");
    assert.equal(created.body.submit, false);
    assert.equal(created.body.enabled, true);
    expectError(await api("POST", "/api/strategies", fixed(assetId)), 409, "duplicate_name");

    const bad = await api("POST", "/api/strategies", fixed(assetId, { name: "x", lead_minutes: 4 }));
    expectError(bad, 400, "validation_failed");
    expectError(
      await api("POST", "/api/strategies", { ...fixed(assetId, { name: "y" }), surprise: 1 }),
      400,
      "validation_failed",
    );
    expectError(
      await api(
        "POST",
        "/api/strategies",
        fixed(assetId, { name: "z", params: { side: "offer", segments: [{ price: 1, quantity: 60 }] } }),
      ),
      400,
      "validation_failed",
    );
    expectError(
      await api("POST", "/api/strategies", fixed(crypto.randomUUID(), { name: "w" })),
      404,
      "not_found",
    );
    expectError(
      await api("POST", "/api/strategies", { ...fixed(assetId, { name: "v" }), kind: "battery_magic" }),
      400,
      "validation_failed",
    );

    const list = await api("GET", "/api/strategies");
    assert.deepEqual(list.body.items.map((s: { name: string }) => s.name), ["Evening peak"]);

    // The admin edits it and becomes its owner; a stale version is a 409.
    const edited = await as(org.admin)("PUT", `/api/strategies/${created.body.id}`, {
      ...fixed(assetId, { name: "Evening peak v2", submit: true }),
      version: created.body.version,
    });
    expectStatus(edited, 200);
    assert.equal(edited.body.owner_user_id, org.admin.userId);
    assert.equal(edited.body.version, 2);
    expectError(
      await api("PUT", `/api/strategies/${created.body.id}`, { ...fixed(assetId), version: 1 }),
      409,
      "version_conflict",
    );

    // Another organization sees none of it.
    const other = await createOrg(t, "strat-crud-other");
    const stranger = (method: string, path: string, body?: unknown) =>
      call(t, method, path, { token: other.admin.tokens.access_token, body, ip: other.admin.ip });
    expectError(await stranger("GET", `/api/strategies/${created.body.id}`), 404, "not_found");
    expectError(await stranger("POST", `/api/strategies/${created.body.id}/runs`), 404, "not_found");
    expectError(await stranger("GET", `/api/strategies/${created.body.id}/runs`), 404, "not_found");
    expectError(await stranger("DELETE", `/api/strategies/${created.body.id}`), 404, "not_found");
    expectError(await stranger("POST", "/api/strategies", fixed(assetId)), 404, "not_found");

    // A viewer reads but does not write.
    const viewer = await addMember(t, org, "viewer", "strat-crud-viewer");
    expectStatus(await as(viewer)("GET", "/api/strategies"), 200);
    expectError(await as(viewer)("POST", `/api/strategies/${created.body.id}/runs`), 403, "forbidden");

    expectStatus(await api("DELETE", `/api/strategies/${created.body.id}`), 204);
    expectError(await api("GET", `/api/strategies/${created.body.id}`), 404, "not_found");
    const audit = await as(org.admin)("GET", "/api/admin/audit-logs?action=strategy.*");
    assert.deepEqual(
      audit.body.items.map((e: { action: string }) => e.action),
      ["strategy.deleted", "strategy.updated", "strategy.created"],
    );
  },
);

Deno.test(
  "strategies: Run now makes the day's bids once, as drafts; each run recorded and sent as an event",
  opts,
  async () => {
    const { t, trader, assetId, as } = await setup("strat-run");
    const api = as(trader);
    const s = (await api("POST", "/api/strategies", fixed(assetId))).body;
    const day = nextGateClosure("PJM", new Date()).deliveryDate;
    const first = await api("POST", `/api/strategies/${s.id}/runs`);
    expectStatus(first, 201);
    assert.equal(first.body.already, false);
    assert.equal(first.body.run.outcome, "created");
    assert.equal(first.body.run.delivery_date, day);
    assert.equal(first.body.run.bid_ids.length, 4);
    assert.equal(first.body.run.bid_status, "draft");

    // Again, and several at once: the day is made; the answer is the first run.
    const again = await Promise.all(
      [1, 2, 3].map(() => api("POST", `/api/strategies/${s.id}/runs`, { delivery_date: day })),
    );
    for (const r of again) {
      expectStatus(r, 200);
      assert.equal(r.body.already, true);
      assert.equal(r.body.run.id, first.body.run.id);
    }
    const bids = await api("GET", `/api/bids?asset_id=${assetId}&limit=100`);
    assert.equal(bids.body.items.length, 4);
    for (const b of bids.body.items) {
      assert.equal(b.strategy_id, s.id);
      assert.equal(b.created_by, trader.userId);
      assert.equal(b.status, "draft");
      assert.deepEqual(b.segments, [{ price: 45, quantity: 10 }, { price: 80, quantity: 20 }]);
    }
    const hours = bids.body.items.map((b: { interval_start: string }) => Date.parse(b.interval_start)).sort();
    const dayHours = operatingHours("PJM", day);
    assert.deepEqual(hours, [16, 17, 18, 19].map((i) => dayHours[i]));

    // A day whose gate has closed makes nothing, and says so.
    const past = await api("POST", `/api/strategies/${s.id}/runs`, { delivery_date: "2020-01-01" });
    expectStatus(past, 201);
    assert.equal(past.body.run.outcome, "nothing");
    assert.match(past.body.run.reason, /DA gate for 2020-01-01 has closed/);
    expectError(
      await api("POST", `/api/strategies/${s.id}/runs`, { delivery_date: "01/01/2020" }),
      400,
      "validation_failed",
    );
    expectError(
      await api("POST", `/api/strategies/${s.id}/runs`, { delivery_date: "0099-01-01" }),
      400,
      "validation_failed",
    );

    const runs = await api("GET", `/api/strategies/${s.id}/runs`);
    assert.deepEqual(runs.body.items.map((r: { outcome: string }) => r.outcome), ["nothing", "created"]);
    const events = await t.services.db().query<{ payload: { outcome: string; bid_ids: string[] } }>(
      `SELECT payload FROM outbox WHERE payload->>'type' = 'strategy.run' AND payload->>'strategy_id' = $1 ORDER BY id`,
      [s.id],
    );
    assert.deepEqual(events.map((e) => e.payload.outcome), ["created", "nothing"]);
    assert.equal(events[0].payload.bid_ids.length, 4);
  },
);

Deno.test(
  "strategies: forecast-following prices each hour at the live forecast ± margin; no forecast, no bids",
  opts,
  async () => {
    const { t, trader, assetId, as } = await setup("strat-ff");
    const api = as(trader);
    const day = nextGateClosure("PJM", new Date()).deliveryDate;
    const s = (await api("POST", "/api/strategies", {
      name: "Follow",
      asset_id: assetId,
      kind: "forecast_following",
      lead_minutes: 90,
      params: { side: "bid", margin: 4, basis: "p10", quantity_share: 0.25 },
    })).body;
    assert.ok(s.id, JSON.stringify(s));
    const db = t.services.db();
    // This file's database has no forecast yet: nothing made, and a run that made nothing does not claim the day.
    const none = await api("POST", `/api/strategies/${s.id}/runs`, { delivery_date: day });
    expectStatus(none, 201);
    assert.equal(none.body.run.outcome, "nothing");
    assert.match(none.body.run.reason, /no live forecast for/);

    const starts = operatingHours("PJM", day);
    const hours = dayShape(starts, 50, 10);
    const model = await modelVersion(db, "strategy-test-model");
    await insertRun(db, { zone: "PJM", deliveryDate: day, modelId: model, madeAt: new Date(), hours });
    const run = await api("POST", `/api/strategies/${s.id}/runs`, { delivery_date: day });
    expectStatus(run, 201);
    assert.equal(run.body.run.outcome, "created", JSON.stringify(run.body));
    assert.equal(run.body.run.bid_ids.length, starts.length);
    const bids = await api("GET", `/api/bids?asset_id=${assetId}&limit=100`);
    const mine = bids.body.items.filter((b: { strategy_id: string }) => b.strategy_id === s.id);
    for (const b of mine) {
      const h = hours.find((x) => x.start === Date.parse(b.interval_start))!;
      // A bid (charge) at P10 − $4, for a quarter of the 50 MW charge power.
      assert.deepEqual(b.segments, [{ price: Math.round((h.p10! - 4) * 100) / 100, quantity: 12.5 }]);
      assert.equal(b.side, "bid");
    }
  },
);

Deno.test("strategies: submitting strategies follow the approval policy", opts, async () => {
  const { org, trader, assetId, as } = await setup("strat-pol");
  const api = as(trader);
  const policy = (p: Record<string, unknown>) =>
    as(org.admin)("PUT", "/api/approvals/policy", {
      all_bids: false,
      above_mw: null,
      above_notional: null,
      strategy_bids: false,
      strategies_may_submit: true,
      ...p,
    });
  const day = nextGateClosure("PJM", new Date()).deliveryDate;
  const mk = async (name: string, hour: number) =>
    (await api(
      "POST",
      "/api/strategies",
      fixed(assetId, {
        name,
        submit: true,
        params: { side: "offer", segments: [{ price: 45, quantity: 5 }], hours: [hour] },
      }),
    )).body;

  const a = await mk("A", 1);
  const ra = await api("POST", `/api/strategies/${a.id}/runs`, { delivery_date: day });
  assert.equal(ra.body.run.bid_status, "submitted");

  expectStatus(await policy({ strategy_bids: true }), 200);
  const b = await mk("B", 2);
  const rb = await api("POST", `/api/strategies/${b.id}/runs`, { delivery_date: day });
  assert.equal(rb.body.run.bid_status, "pending_approval");
  // The owner cannot approve the strategy's bid; the admin can.
  const bidId = rb.body.run.bid_ids[0];
  const queue = await as(org.admin)("GET", "/api/approvals");
  assert.ok(
    queue.body.items.some((x: { id: string; strategy_id: string }) => x.id === bidId && x.strategy_id === b.id),
  );
  expectStatus(await as(org.admin)("POST", `/api/bids/${bidId}/approve`), 200);

  expectStatus(await policy({ strategies_may_submit: false }), 200);
  const c = await mk("C", 3);
  const rc = await api("POST", `/api/strategies/${c.id}/runs`, { delivery_date: day });
  assert.equal(rc.body.run.bid_status, "draft");
  assert.match(rc.body.run.reason, /policy does not let strategies submit/);
});

Deno.test("strategies: a run whose bids are refused records the reason and makes nothing", opts, async () => {
  const { t, trader, assetId, as } = await setup("strat-ref");
  const api = as(trader);
  const day = nextGateClosure("PJM", new Date()).deliveryDate;
  // Two strategies each submitting 50 MW of discharge for the same hours: the second over-commits.
  const mk = async (name: string) =>
    (await api(
      "POST",
      "/api/strategies",
      fixed(assetId, {
        name,
        submit: true,
        params: { side: "offer", segments: [{ price: 45, quantity: 50 }], hours: [10] },
      }),
    )).body;
  const first = await mk("First");
  const second = await mk("Second");
  assert.equal(
    (await api("POST", `/api/strategies/${first.id}/runs`, { delivery_date: day })).body.run.outcome,
    "created",
  );
  const r = await api("POST", `/api/strategies/${second.id}/runs`, { delivery_date: day });
  expectStatus(r, 201);
  assert.equal(r.body.run.outcome, "nothing");
  assert.ok(r.body.run.reason.length > 10, r.body.run.reason);
  const [{ n }] = await t.services.db().query<{ n: number }>(
    `SELECT count(*)::int AS n FROM bids WHERE strategy_id = $1`,
    [second.id],
  );
  assert.equal(n, 0);
});

Deno.test("strategy pages: list, create by form, run now, runs, edit and delete", opts, async () => {
  const { t, trader, assetId } = await setup("strat-page");
  const token = trader.tokens.access_token;
  const empty = await bidPage(t, token, "/strategies");
  assert.equal(empty.status, 200);
  assert.match(empty.html, /No strategies yet/);
  const form = {
    name: "Form made",
    asset_id: assetId,
    kind: "fixed_curve",
    side: "offer",
    lead_minutes: "45",
    curve: "30, 5\n40, 5",
    hours: "7-9",
    enabled: "on",
  };
  const bad = await bidPage(t, token, "/strategies", { ...form, curve: "abc" });
  assert.equal(bad.status, 400);
  assert.match(bad.html, /data-field-error="curve"/);
  const made = await bidPage(t, token, "/strategies", form);
  assert.equal(made.status, 303);
  const path = made.location!.replace(/\?.*$/, "");
  const detail = await bidPage(t, token, path);
  assert.match(detail.html, /Form made/);
  assert.match(detail.html, /No runs yet/);

  assert.equal((await bidPage(t, token, path, { _action: "run" })).location, `${path}?done=ran`);
  assert.equal((await bidPage(t, token, path, { _action: "run" })).location, `${path}?done=already`);
  const ran = await bidPage(t, token, path);
  assert.equal([...ran.html.matchAll(/data-testid="strategy-run"/g)].length, 1);
  assert.match(ran.html, /3 bids \(draft\)/);

  const version = /name="version" value="(\d+)"/.exec(ran.html)![1];
  const edited = await bidPage(t, token, path, { ...form, _action: "edit", version, name: "Renamed" });
  assert.equal(edited.status, 303);
  assert.match((await bidPage(t, token, "/strategies")).html, /Renamed/);
  const del = await bidPage(t, token, path, { _action: "delete" });
  assert.equal(del.location, "/strategies?done=deleted");
  assert.equal((await bidPage(t, token, path)).status, 404);
});

Deno.test(
  "strategies: battery arbitrage optimises the storage day on the live forecast and bids its curves",
  opts,
  async () => {
    const { t, trader, assetId, siteId, as } = await setup("strat-arb");
    const api = as(trader);
    const pv = await api("POST", "/api/assets", { site_id: siteId, name: "PV", kind: "solar", capacity_mw: 5 });
    const arb = (asset: string, name = "Arbitrage") => ({
      name,
      asset_id: asset,
      kind: "battery_arbitrage",
      lead_minutes: 120,
      params: { max_cycles: 1, degradation_cost: 2 },
    });
    const notStorage = await api("POST", "/api/strategies", arb(pv.body.id));
    expectError(notStorage, 400, "validation_failed");
    assert.match(notStorage.text, /needs a storage asset/);
    expectError(
      await api("POST", "/api/strategies", { ...arb(assetId), params: { max_cycles: -1 } }),
      400,
      "validation_failed",
    );
    const s = await api("POST", "/api/strategies", arb(assetId));
    expectStatus(s, 201);
    // The day after the next gate's: the forecast-following test stored a forecast for that one.
    const day = addDays(nextGateClosure("PJM", new Date()).deliveryDate, 1);
    const none = await api("POST", `/api/strategies/${s.body.id}/runs`, { delivery_date: day });
    assert.equal(none.body.run.outcome, "nothing");
    assert.match(none.body.run.reason, /No complete DA price forecast/);

    const db = t.services.db();
    await insertRun(db, {
      zone: "PJM",
      deliveryDate: day,
      modelId: await modelVersion(db, "strategy-arb-model"),
      madeAt: new Date(),
      hours: dayShape(operatingHours("PJM", day), 40, 12),
    });
    const run = await api("POST", `/api/strategies/${s.body.id}/runs`, { delivery_date: day });
    expectStatus(run, 201);
    assert.equal(run.body.run.outcome, "created", JSON.stringify(run.body));
    const bids = (await api("GET", `/api/bids?asset_id=${assetId}&limit=100`)).body.items
      .filter((b: { strategy_id: string }) => b.strategy_id === s.body.id);
    assert.equal(bids.length, run.body.run.bid_ids.length);
    // It charges in some hours and discharges in others, and never both in one hour.
    const sides = new Set(bids.map((b: { side: string }) => b.side));
    assert.deepEqual([...sides].sort(), ["bid", "offer"]);
    const hours = bids.map((b: { interval_start: string }) => b.interval_start);
    assert.equal(new Set(hours).size, hours.length);
    // The same as the asset page's optimiser makes for that day.
    const optimised = await api("POST", `/api/assets/${assetId}/optimise`, {
      delivery_date: day,
      max_cycles: 1,
      degradation_cost: 2,
    });
    expectStatus(optimised, 200);
    assert.equal(optimised.body.curves.length, bids.length);
  },
);
