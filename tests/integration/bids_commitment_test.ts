/**
 * A battery cannot be over-committed (issue 13): the bids that go live for an asset fit its power per side,
 * a storage asset never charges and discharges at once, and its day fits its usable energy — through the
 * API, the page forms and batches, and under parallel submissions.
 */
import assert from "node:assert/strict";
import { call, createOrg, expectError, expectStatus, type Org } from "../helpers/auth.ts";
import { bidPage, hourAhead, siteWithAsset } from "../helpers/bids.ts";
import { freshPostgresUrl, serviceTest } from "../helpers/services.ts";
import { type TestApp, testApp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

/**
 * On real Postgres, in a database of its own (named after the run's, so tests/run.ts drops it): PGlite has
 * one connection, so its transactions never interleave and a missing lock would go unnoticed.
 */
let app: Promise<TestApp> | undefined;
function pgApp(): Promise<TestApp> {
  app ??= (async () => {
    const t = await testApp({ DATABASE_URL: await freshPostgresUrl("commit", { migrated: true }) });
    assert.equal(t.services.db().kind, "postgres");
    return t;
  })();
  return app;
}
const test = (name: string, fn: () => Promise<void>) => serviceTest(name, ["postgres"], fn, opts);

/** The battery of the issue: 50 MW / 200 MWh, 160 MWh usable (10–90 %), 90 % round trip. */
async function battery(tag: string) {
  const t = await pgApp();
  const org: Org = await createOrg(t, tag);
  const token = org.admin.tokens.access_token;
  const { assetId } = await siteWithAsset(t, token, {
    name: "BESS 50/200",
    kind: "storage",
    capacity_mw: 50,
    energy_mwh: 200,
    charge_mw: 50,
    discharge_mw: 50,
    round_trip_efficiency: 0.9,
    min_soc: 0.1,
    max_soc: 0.9,
  });
  const bid = (h: number, side: "offer" | "bid", mw: number) => ({
    asset_id: assetId,
    zone: "PJM",
    market: "DA",
    interval_start: hourAhead(h),
    side,
    segments: [{ price: side === "offer" ? 40 : 20, quantity: mw }],
  });
  const draft = async (h: number, side: "offer" | "bid", mw: number) => {
    const r = await call(t, "POST", "/api/bids", { token, body: bid(h, side, mw) });
    expectStatus(r, 201, "draft");
    return r.body.id as string;
  };
  const submit = (id: string) => call(t, "POST", `/api/bids/${id}/submit`, { token, body: {} });
  const statuses = async () => {
    const r = await call(t, "GET", `/api/bids?asset_id=${assetId}&limit=200`, { token });
    expectStatus(r, 200);
    return (r.body.items as { id: string; status: string }[]);
  };
  return { t, token, assetId, bid, draft, submit, statuses };
}

test("commitment: a second 50 MW offer for the same hour is refused, page then API and API then page", async () => {
  const b = await battery("commit-double");
  // From the page, then the API.
  const first = await b.draft(15, "offer", 50);
  const viaPage = await bidPage(b.t, b.token, `/bidding/${first}`, { _action: "submit", version: "1" });
  assert.equal(viaPage.status, 303, viaPage.html.slice(0, 300));
  const second = await b.draft(15, "offer", 50);
  const r = await b.submit(second);
  expectError(r, 409, "over_committed");
  assert.match(r.body.error.message, /100 MW, more than the asset's discharge power of 50 MW/);
  assert.match(r.body.error.message, new RegExp(first));
  assert.deepEqual(r.body.error.details.map((d: { code: string }) => d.code), ["side_capacity_exceeded"]);

  // From the API, then the page: the form shows the conflict and the bid stays a draft.
  const third = await b.draft(16, "offer", 30);
  expectStatus(await b.submit(third), 200);
  const fourth = await b.draft(16, "offer", 30);
  const refused = await bidPage(b.t, b.token, `/bidding/${fourth}`, { _action: "submit", version: "1" });
  assert.equal(refused.status, 409);
  assert.match(refused.html, /more than the asset(&#39;|&#x27;|')s discharge power of 50 MW/);
  const byId = new Map((await b.statuses()).map((x) => [x.id, x.status]));
  assert.deepEqual([first, second, third, fourth].map((id) => byId.get(id)), [
    "submitted",
    "draft",
    "submitted",
    "draft",
  ]);
});

test("commitment: a charge bid and a discharge offer for the same hour cannot both be live", async () => {
  const b = await battery("commit-both");
  expectStatus(await b.submit(await b.draft(17, "bid", 20)), 200);
  const r = await b.submit(await b.draft(17, "offer", 20));
  expectError(r, 409, "over_committed");
  assert.equal(r.body.error.details[0].code, "simultaneous_charge_discharge");
  assert.match(r.body.error.message, /cannot discharge .* while a live charge bid covers it/);
  // The next hour is free to discharge.
  expectStatus(await b.submit(await b.draft(18, "offer", 20)), 200);
});

test("commitment: six consecutive 50 MW discharge hours do not fit 160 MWh; a cycling day does", async () => {
  const b = await battery("commit-energy");
  const results = [];
  for (let h = 15; h < 21; h++) results.push((await b.submit(await b.draft(h, "offer", 50))).status);
  // 3 h draw 150 / √0.9 = 158 MWh of 160 usable; a fourth hour would need 211.
  assert.deepEqual(results, [200, 200, 200, 409, 409, 409]);
  const r = await b.submit(await b.draft(21, "offer", 50));
  expectError(r, 409, "over_committed");
  assert.equal(r.body.error.details[0].code, "energy_infeasible");
  assert.match(r.body.error.message, /usable energy is 160 MWh/);

  // A feasible day on another battery: discharge 3 h, recharge 2 h (95 MWh stored), discharge 1 h more.
  const c = await battery("commit-cycle");
  const plan: [number, "offer" | "bid"][] = [[15, "offer"], [16, "offer"], [17, "offer"], [18, "bid"], [19, "bid"]];
  plan.push([20, "offer"]);
  for (const [h, side] of plan) expectStatus(await c.submit(await c.draft(h, side, 50)), 200, `${side} at ${h}`);
});

test("commitment: parallel submissions that together over-commit — exactly the feasible subset goes live", async () => {
  const a = await battery("commit-race-mw");
  const b = await battery("commit-race-mwh");
  // Four 20 MW offers for one hour (two fit in 50 MW); five 50 MW discharge hours (three fit in 160 MWh).
  const sameHour = await Promise.all([1, 2, 3, 4].map(() => a.draft(22, "offer", 20)));
  const daily = await Promise.all([15, 16, 17, 18, 19].map((h) => b.draft(h, "offer", 50)));
  const results = await Promise.all([...sameHour.map((id) => a.submit(id)), ...daily.map((id) => b.submit(id))]);
  const ok = (rs: typeof results) => rs.filter((r) => r.status === 200).length;
  for (const r of results) {
    if (r.status !== 200) expectError(r, 409, "over_committed");
  }
  assert.equal(ok(results.slice(0, 4)), 2);
  assert.equal(ok(results.slice(4)), 3);
  assert.equal((await a.statuses()).filter((x) => x.status === "submitted").length, 2);
  assert.equal((await b.statuses()).filter((x) => x.status === "submitted").length, 3);
});

test("commitment: a batch that over-commits is refused whole", async () => {
  const b = await battery("commit-batch");
  const r = await call(b.t, "POST", "/api/bids/batch", {
    token: b.token,
    body: { submit: true, bids: [b.bid(15, "offer", 30), b.bid(15, "offer", 30)] },
  });
  expectError(r, 409, "over_committed");
  assert.equal((await b.statuses()).length, 0);
  // Drafts only: nothing goes live, nothing to check.
  const drafts = await call(b.t, "POST", "/api/bids/batch", {
    token: b.token,
    body: { bids: [b.bid(15, "offer", 30), b.bid(15, "offer", 30)] },
  });
  expectStatus(drafts, 201);
  const fits = await call(b.t, "POST", "/api/bids/batch", {
    token: b.token,
    body: { submit: true, bids: [b.bid(16, "offer", 25), b.bid(16, "offer", 25)] },
  });
  expectStatus(fits, 201);
});
