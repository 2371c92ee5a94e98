/**
 * The capabilities wired together: feature flags gating analytics, strategies and virtual bids on pages,
 * API and every bid path (single, batch, submit of an existing draft), the navigation leaving out what
 * the organization lacks; approvals and strategy runs reaching members as notifications (the bid_events
 * trigger of migration 018, the runner's publishEvent) and strategy runs counted in strategy_runs_total.
 */
import assert from "node:assert/strict";
import { addMember, call, createOrg, expectError, expectStatus, type Member, opts } from "../helpers/auth.ts";
import { battery, bidPage, deliveryHour, siteWithAsset } from "../helpers/bids.ts";
import { testApp, uniqueEmail } from "../helpers/test_app.ts";
import { until } from "../helpers/until.ts";
import { counters } from "../../services/metrics/metrics.ts";

const OPERATOR = uniqueEmail("wire-operator");
const t = await testApp({ PLATFORM_ADMINS: OPERATOR });
const operator = await createOrg(t, "wire-platform", { email: OPERATOR });

async function setFlag(orgId: string, key: string, enabled: boolean | null) {
  expectStatus(
    await call(t, "PUT", `/api/admin/flags/${key}/overrides/${orgId}`, {
      token: operator.admin.tokens.access_token,
      body: { enabled },
    }),
    204,
    `${key} → ${enabled}`,
  );
}

// The pages as the built app serves them (islands included).
const page = (m: Member, path: string) => bidPage(t, m.tokens.access_token, path);

const inc = () => ({
  kind: "virtual",
  zone: "PJM",
  location: "western hub",
  market: "DA",
  interval_start: deliveryHour(),
  side: "inc",
  segments: [{ price: 40, quantity: 5 }],
});

const navLinks = (html: string) => [...html.matchAll(/<nav[\s\S]*?<\/nav>/g)].map((m) => m[0]).join("");

Deno.test("flags: analytics and strategies are 404 on pages, API and navigation when off", opts, async () => {
  const org = await createOrg(t, "wire-flags");
  const admin = org.admin;
  const token = admin.tokens.access_token;
  const { assetId } = await siteWithAsset(t, token, battery("BESS"));
  const strategy = await call(t, "POST", "/api/strategies", {
    token,
    body: {
      name: "Peak",
      asset_id: assetId,
      kind: "fixed_curve",
      // Always due: the schedule would run it at every tick.
      lead_minutes: 1440,
      params: { side: "offer", segments: [{ price: 45, quantity: 10 }], hours: [18] },
    },
  });
  expectStatus(strategy, 201, "strategy while on");
  const sid = strategy.body.id;

  const on = async () => {
    expectStatus(await call(t, "GET", "/api/analytics/market?zones=PJM&market=DA", { token }), 200, "analytics api");
    expectStatus(await call(t, "GET", "/api/analytics/portfolio", { token }), 200, "portfolio api");
    expectStatus(await call(t, "GET", "/api/strategies", { token }), 200, "strategies api");
    expectStatus(await call(t, "GET", `/api/strategies/${sid}/runs`, { token }), 200, "runs api");
    assert.equal((await page(admin, "/analytics")).status, 200);
    assert.equal((await page(admin, `/strategies/${sid}`)).status, 200);
    const home = navLinks((await page(admin, "/strategies")).html);
    assert.match(home, /href="\/analytics"/);
    assert.match(home, /href="\/strategies"/);
  };
  await on();

  await setFlag(org.id, "analytics", false);
  await setFlag(org.id, "strategies", false);
  expectError(await call(t, "GET", "/api/analytics/market?zones=PJM&market=DA", { token }), 404, "feature_disabled");
  expectError(await call(t, "GET", "/api/analytics/portfolio", { token }), 404, "feature_disabled");
  expectError(await call(t, "GET", "/api/strategies", { token }), 404, "feature_disabled");
  expectError(await call(t, "GET", `/api/strategies/${sid}`, { token }), 404, "feature_disabled");
  expectError(await call(t, "POST", `/api/strategies/${sid}/runs`, { token }), 404, "feature_disabled");
  expectError(await call(t, "DELETE", `/api/strategies/${sid}`, { token }), 404, "feature_disabled");
  for (const path of ["/analytics", "/strategies", `/strategies/${sid}`]) {
    assert.equal((await page(admin, path)).status, 404, path);
  }
  const nav = navLinks((await page(admin, "/bidding")).html);
  assert.doesNotMatch(nav, /href="\/analytics"/);
  assert.doesNotMatch(nav, /href="\/strategies"/);
  assert.match(nav, /href="\/bidding"/);
  // The schedule keeps the organization's strategies but does not run them.
  const runs = async () =>
    (await t.services.db().query(`SELECT 1 FROM strategy_runs WHERE strategy_id = $1`, [sid])).length;
  await t.services.strategies.tick();
  assert.equal(await runs(), 0, "no scheduled run while the feature is off");
  // Another organization keeps both.
  expectStatus(await call(t, "GET", "/api/strategies", { token: operator.admin.tokens.access_token }), 200);

  await setFlag(org.id, "analytics", null);
  await setFlag(org.id, "strategies", null);
  await on();
  await t.services.strategies.tick();
  assert.equal(await runs(), 1, "the schedule runs it again once the feature is back");
});

Deno.test("flags: virtual bids off refuses every path that would create or submit one", opts, async () => {
  const org = await createOrg(t, "wire-virtual");
  const admin = org.admin;
  const token = admin.tokens.access_token;
  const { assetId } = await siteWithAsset(t, token, battery("BESS"));
  const physical = {
    asset_id: assetId,
    market: "DA",
    interval_start: deliveryHour(),
    side: "offer",
    segments: [{ price: 30, quantity: 5 }],
  };
  expectStatus(
    await call(t, "PUT", "/api/virtual-bids/settings", { token, body: { credit_limit: 1e6, fee_per_mwh: 0 } }),
    200,
  );
  const draft = await call(t, "POST", "/api/bids", { token, body: inc() });
  expectStatus(draft, 201, "virtual draft while on");
  assert.match((await page(admin, "/bidding")).html, /data-testid="bid-kind"/);

  await setFlag(org.id, "virtual_bids", false);
  expectError(await call(t, "POST", "/api/bids", { token, body: inc() }), 404, "feature_disabled");
  expectError(
    await call(t, "POST", "/api/bids", { token, body: inc(), headers: { "idempotency-key": crypto.randomUUID() } }),
    404,
    "feature_disabled",
  );
  const batch = await call(t, "POST", "/api/bids/batch", { token, body: { bids: [physical, inc()], submit: true } });
  expectError(batch, 404, "feature_disabled");
  expectError(await call(t, "POST", `/api/bids/${draft.body.id}/submit`, { token }), 404, "feature_disabled");
  expectError(await call(t, "GET", "/api/virtual-bids/settings", { token }), 404, "feature_disabled");
  expectError(await call(t, "GET", "/api/virtual-bids/rules", { token }), 404, "feature_disabled");
  const [n] = await t.services.db().query<{ n: number }>(
    `SELECT count(*)::int AS n FROM bids WHERE org_id = $1`,
    [org.id],
  );
  assert.equal(n.n, 1, "nothing was created by the refused calls");
  // Physical bids are untouched; the builder offers no kind to choose.
  expectStatus(await call(t, "POST", "/api/bids", { token, body: physical }), 201);
  assert.doesNotMatch((await page(admin, "/bidding")).html, /data-testid="bid-kind"/);

  await setFlag(org.id, "virtual_bids", true);
  expectStatus(await call(t, "POST", "/api/bids", { token, body: inc() }), 201);
  expectStatus(await call(t, "POST", `/api/bids/${draft.body.id}/submit`, { token }), 200);
  expectStatus(await call(t, "GET", "/api/virtual-bids/rules", { token }), 200);
});

type Note = { type: string; title: string; message: string; data: Record<string, unknown> };

async function notes(m: Member, type: string, pred: (n: Note) => boolean = () => true): Promise<Note> {
  return await until(type, async () => {
    const r = await call(t, "GET", "/api/notifications", { token: m.tokens.access_token });
    return (r.body.items as Note[]).find((n) => n.type === type && pred(n));
  });
}

Deno.test("notifications: approval requested and decided, single and batch", opts, async () => {
  const org = await createOrg(t, "wire-approve");
  const trader = await addMember(t, org, "trader", "wire-approve-trader");
  const token = trader.tokens.access_token;
  const { assetId } = await siteWithAsset(t, token, { name: "PV", kind: "solar", capacity_mw: 50 });
  expectStatus(
    await call(t, "PUT", "/api/approvals/policy", {
      token: org.admin.tokens.access_token,
      body: { all_bids: true, above_mw: null, above_notional: null, strategy_bids: false, strategies_may_submit: true },
    }),
    200,
  );
  const offer = (hour: number) => ({
    asset_id: assetId,
    market: "DA",
    interval_start: deliveryHour(hour),
    side: "offer",
    segments: [{ price: 30, quantity: 5 }],
  });
  const made = await call(t, "POST", "/api/bids", { token, body: offer(0) });
  const pending = await call(t, "POST", `/api/bids/${made.body.id}/submit`, { token });
  expectStatus(pending, 200);
  assert.equal(pending.body.status, "pending_approval");
  const requested = await notes(org.admin, "approval.requested", (n) => n.data.bid_id === made.body.id);
  assert.equal(requested.title, "Approval requested");
  assert.match(requested.message, /PJM DA bid .* waits for a second person's approval/);

  const approved = await call(t, "POST", `/api/bids/${made.body.id}/approve`, {
    token: org.admin.tokens.access_token,
  });
  expectStatus(approved, 200);
  const decided = await notes(trader, "approval.decided", (n) => n.data.bid_id === made.body.id);
  assert.equal(decided.data.decision, "approved");
  assert.equal(decided.title, "Bid approved");

  // A batch: one request per bid, the same trigger; a rejection carries its reason.
  const batch = await call(t, "POST", "/api/bids/batch", {
    token,
    body: { bids: [offer(1), offer(2)], submit: true },
  });
  expectStatus(batch, 201);
  for (const b of batch.body.items) {
    await notes(org.admin, "approval.requested", (n) => n.data.bid_id === b.id);
  }
  const rejectedId = batch.body.items[0].id;
  expectStatus(
    await call(t, "POST", `/api/bids/${rejectedId}/reject`, {
      token: org.admin.tokens.access_token,
      body: { reason: "too cheap" },
    }),
    200,
  );
  const rejected = await notes(trader, "approval.decided", (n) => n.data.bid_id === rejectedId);
  assert.deepEqual([rejected.data.decision, rejected.data.reason], ["rejected", "too cheap"]);
  assert.match(rejected.message, /rejected: too cheap/);
});

async function strategyRuns(status: string): Promise<number> {
  const m = await counters.strategyRuns.get();
  return m.values.find((v) => v.labels.status === status)?.value ?? 0;
}

Deno.test("notifications: strategy runs completed and failed, counted in strategy_runs_total", opts, async () => {
  const org = await createOrg(t, "wire-strategy");
  const token = org.admin.tokens.access_token;
  const { assetId } = await siteWithAsset(t, token, battery("BESS"));
  const s = await call(t, "POST", "/api/strategies", {
    token,
    body: {
      name: "Evening",
      asset_id: assetId,
      kind: "fixed_curve",
      lead_minutes: 60,
      params: { side: "offer", segments: [{ price: 45, quantity: 10 }], hours: [17, 18] },
    },
  });
  expectStatus(s, 201);
  const before = { created: await strategyRuns("created"), failed: await strategyRuns("failed") };
  const run = await call(t, "POST", `/api/strategies/${s.body.id}/runs`, { token });
  expectStatus(run, 201);
  assert.equal(run.body.run.outcome, "created");
  const done = await notes(org.admin, "strategy.run_completed", (n) => n.data.run_id === run.body.run.id);
  assert.equal(done.title, "Strategy run completed: Evening");
  assert.match(done.message, /made 2 bids \(draft\)/);
  assert.deepEqual(done.data.bid_ids, run.body.run.bid_ids);
  // A second Run now answers with the first run: no new run, no new event, no count.
  const again = await call(t, "POST", `/api/strategies/${s.body.id}/runs`, { token });
  assert.equal(again.body.already, true);
  assert.equal(await strategyRuns("created"), before.created + 1);

  // A day whose gate has closed cannot be bid: a failed run.
  const past = await call(t, "POST", `/api/strategies/${s.body.id}/runs`, {
    token,
    body: { delivery_date: "2020-01-01" },
  });
  expectStatus(past, 201);
  assert.equal(past.body.run.outcome, "nothing");
  const failed = await notes(org.admin, "strategy.run_failed", (n) => n.data.run_id === past.body.run.id);
  assert.match(failed.message, /made no bids for 2020-01-01: the PJM DA gate/);
  assert.equal(await strategyRuns("failed"), before.failed + 1);
});
