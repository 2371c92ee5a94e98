/**
 * The bidding pages without a browser: login required, viewers read only, another organization's bid is
 * a 404, filters and cursors that are not ours are ignored rather than errors, and the bid page's forms
 * submit, refuse stale versions and unknown actions as the API does.
 */
import assert from "node:assert/strict";
import { call, createOrg, expectStatus, type Member, orgWithAllRoles } from "../helpers/auth.ts";
import { bidPage, deliveryHour, siteWithAsset } from "../helpers/bids.ts";
import { formFieldsOf } from "../../components/bid_form.ts";
import { type TestApp, testApp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

const page = (t: TestApp, m: Member | null, path: string, form?: Record<string, string>) =>
  bidPage(t, m?.tokens.access_token ?? null, path, form);

async function setup(tag: string) {
  const t = await testApp();
  const { org, members } = await orgWithAllRoles(t, tag);
  const token = org.admin.tokens.access_token;
  const { asset } = await siteWithAsset(t, token, { name: "Page Solar", kind: "solar", capacity_mw: 20 });
  const draft = async (price = 30) => {
    const r = await call(t, "POST", "/api/bids", {
      token,
      body: {
        asset_id: asset.id,
        zone: "PJM",
        market: "DA",
        interval_start: deliveryHour(),
        side: "offer",
        segments: [{ price, quantity: 5 }],
      },
    });
    expectStatus(r, 201);
    return r.body as { id: string; version: number };
  };
  return { t, org, members, asset, draft };
}

Deno.test(
  "bidding pages: login required; viewers see bids but no builder and no buttons, and cannot post",
  opts,
  async () => {
    const { t, members, draft } = await setup("bidpages-rbac");
    const bid = await draft();

    const anon = await page(t, null, "/bidding?status=draft");
    assert.equal(anon.status, 303);
    assert.equal(anon.location, `/login?next=${encodeURIComponent("/bidding?status=draft")}`);

    const viewer = await page(t, members.viewer, "/bidding");
    assert.equal(viewer.status, 200);
    assert.match(viewer.html, /data-testid="read-only"/);
    assert.doesNotMatch(viewer.html, /data-testid="bid-builder"/);
    assert.match(viewer.html, new RegExp(`data-bid-id="${bid.id}"`));
    const detail = await page(t, members.viewer, `/bidding/${bid.id}`);
    assert.equal(detail.status, 200);
    assert.match(detail.html, /data-testid="bid-history"/);
    assert.doesNotMatch(detail.html, /data-action=/);
    const post = await page(t, members.viewer, `/bidding/${bid.id}`, { _action: "submit", version: "1" });
    assert.equal(post.status, 403);

    const trader = await page(t, members.trader, "/bidding");
    assert.match(trader.html, /data-testid="bid-builder"/);
    assert.match(trader.html, /data-island="BidBuilder"/);
    // The builder gets what it shows: the assets and the latest prices; the list its rows.
    assert.match(trader.html, /Page Solar/);
  },
);

Deno.test("bidding list: filters narrow it, bad filter values and foreign cursors are ignored", opts, async () => {
  const { t, org, draft } = await setup("bidpages-filters");
  const bid = await draft();
  const rows = (html: string) => [...html.matchAll(/<tr[^>]*data-bid-id="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(rows((await page(t, org.admin, "/bidding?status=draft&zone=PJM&market=DA")).html), [bid.id]);
  assert.deepEqual(rows((await page(t, org.admin, "/bidding?status=submitted")).html), []);
  assert.deepEqual(rows((await page(t, org.admin, "/bidding?zone=ERCOT")).html), []);
  const ignored = await page(t, org.admin, "/bidding?status=bogus&zone=MARS&asset_id=nope");
  assert.equal(ignored.status, 200);
  assert.deepEqual(rows(ignored.html), [bid.id]);
  for (const cursor of ["garbage", btoa(JSON.stringify(["not a time", "x"])), "x".repeat(500)]) {
    const r = await page(t, org.admin, `/bidding?cursor=${encodeURIComponent(cursor)}`);
    assert.equal(r.status, 200, cursor);
    assert.deepEqual(rows(r.html), [bid.id]);
  }
});

Deno.test("bid page: another organization's bid is not found; a bad id is not found", opts, async () => {
  const { t, draft } = await setup("bidpages-tenancy");
  const bid = await draft();
  const other = await createOrg(t, "bidpages-other");
  assert.equal((await page(t, other.admin, `/bidding/${bid.id}`)).status, 404);
  assert.equal((await page(t, other.admin, `/bidding/${bid.id}`, { _action: "delete" })).status, 404);
  assert.equal((await page(t, other.admin, "/bidding/not-a-uuid")).status, 404);
});

Deno.test(
  "bid page forms: submit with the version read, stale versions and unknown actions refused",
  opts,
  async () => {
    const { t, members, draft } = await setup("bidpages-forms");
    const bid = await draft();

    const unknown = await page(t, members.trader, `/bidding/${bid.id}`, { _action: "launch" });
    assert.equal(unknown.status, 400);
    assert.match(unknown.html, /Unknown action/);

    const stale = await page(t, members.trader, `/bidding/${bid.id}`, { _action: "submit", version: "7" });
    assert.equal(stale.status, 409);
    assert.match(stale.html, /changed since you read it/);

    const ok = await page(t, members.trader, `/bidding/${bid.id}`, { _action: "submit", version: String(bid.version) });
    assert.equal(ok.status, 303);
    assert.equal(ok.location, `/bidding/${bid.id}?done=submitted`);
    const after = await call(t, "GET", `/api/bids/${bid.id}`, { token: members.trader.tokens.access_token });
    assert.equal(after.body.status, "submitted");
    const last = after.body.history.at(-1);
    assert.deepEqual([last.from, last.to, last.actor_email], ["draft", "submitted", members.trader.email]);

    const shown = await page(t, members.trader, `/bidding/${bid.id}?done=submitted`);
    assert.match(shown.html, /Submitted to the market/);
    assert.match(shown.html, /data-action="withdraw"/);
    assert.doesNotMatch(shown.html, /data-action="submit"/);

    // Submitting twice is the API's 409, shown on the page.
    const again = await page(t, members.trader, `/bidding/${bid.id}`, { _action: "submit" });
    assert.equal(again.status, 409);
    assert.match(again.html, /A submitted bid cannot be submitted/);

    // A submitted bid is not deleted; a draft is, and the list says so.
    assert.equal((await page(t, members.trader, `/bidding/${bid.id}`, { _action: "delete" })).status, 409);
    const other = await draft(40);
    const del = await page(t, members.trader, `/bidding/${other.id}`, { _action: "delete", version: "1" });
    assert.equal(del.status, 303);
    assert.equal(del.location, "/bidding?done=deleted");
    assert.equal(
      (await call(t, "GET", `/api/bids/${other.id}`, { token: members.trader.tokens.access_token })).status,
      404,
    );

    const withdrawn = await page(t, members.trader, `/bidding/${bid.id}`, { _action: "withdraw" });
    assert.equal(withdrawn.status, 303);
    const final = await page(t, members.trader, `/bidding/${bid.id}?done=withdrawn`);
    assert.match(final.html, /data-bid-status="withdrawn"/);
    assert.match(final.html, /data-history-to="withdrawn"/);
  },
);

Deno.test(
  "the builder without JavaScript: rows added by a post, errors beside fields, a repeated post creates once",
  opts,
  async () => {
    const { t, members, asset } = await setup("bidpages-nojs");
    const day = deliveryHour();
    const fields = (extra: Record<string, string>) => ({
      idempotency_key: crypto.randomUUID(),
      asset_id: asset.id,
      market: "DA",
      // The form is on the zone's market clock: the operating day and the hour's place in it.
      date: formFieldsOf("PJM", Date.parse(day)).date,
      hour: String(formFieldsOf("PJM", Date.parse(day)).hour),
      side: "offer",
      "segments.0.price": "30",
      "segments.0.quantity": "5",
      ...extra,
    });

    const added = await page(t, members.trader, "/bidding", fields({ action: "add_row" }));
    assert.equal(added.status, 200);
    assert.match(added.html, /name="segments\.1\.price"[^>]*value="30"/, "a new row starts at the last price");
    assert.doesNotMatch(added.html, /data-field-error/);

    const wrong = await page(
      t,
      members.trader,
      "/bidding",
      fields({ "segments.1.price": "20", "segments.1.quantity": "5" }),
    );
    assert.equal(wrong.status, 400);
    assert.match(
      wrong.html,
      /data-field-error="segments\.1\.price"[^>]*><li[^>]*>segments\.1\.price \$20\/MWh is below/,
    );
    assert.match(wrong.html, /name="segments\.1\.price"[^>]*value="20"/, "what was typed stays");

    const good = fields({ "segments.1.price": "40", "segments.1.quantity": "5", action: "save" });
    const saved = await page(t, members.trader, "/bidding", good);
    assert.equal(saved.status, 303, saved.html.slice(0, 500));
    assert.match(saved.location ?? "", /^\/bidding\/[0-9a-f-]{36}\?done=saved$/);
    const replay = await page(t, members.trader, "/bidding", good);
    assert.equal(replay.location, saved.location, "the same form key: the same bid");
    const id = saved.location!.split("/")[2].split("?")[0];
    const bid = await call(t, "GET", `/api/bids/${id}`, { token: members.trader.tokens.access_token });
    assert.equal(bid.body.status, "draft");
    assert.deepEqual(bid.body.segments, [{ price: 30, quantity: 5 }, { price: 40, quantity: 5 }]);

    const submitted = await page(t, members.trader, "/bidding", fields({ action: "submit" }));
    assert.equal(submitted.status, 303);
    assert.match(submitted.location ?? "", /\?done=submitted$/);
    const sid = submitted.location!.split("/")[2].split("?")[0];
    assert.equal(
      (await call(t, "GET", `/api/bids/${sid}`, { token: members.trader.tokens.access_token })).body.status,
      "submitted",
    );

    assert.equal((await page(t, members.viewer, "/bidding", fields({ action: "save" }))).status, 403);
    const foreign = await page(
      t,
      members.trader,
      "/bidding",
      fields({ asset_id: crypto.randomUUID(), action: "save" }),
    );
    assert.equal(foreign.status, 400);
    assert.match(foreign.html, /data-field-error="asset_id"/);
  },
);

Deno.test(
  "editing a draft: its page links to the builder preloaded with it; the form saves it with its version",
  opts,
  async () => {
    const { t, members, asset, draft } = await setup("bidpages-edit");
    const bid = await draft(31);
    const token = members.trader.tokens.access_token;

    const detail = await page(t, members.trader, `/bidding/${bid.id}`);
    assert.match(detail.html, new RegExp(`href="/bidding\\?edit=${bid.id}#builder"`));
    assert.doesNotMatch((await page(t, members.viewer, `/bidding/${bid.id}`)).html, /data-testid="edit-draft"/);

    const opened = await page(t, members.trader, `/bidding?edit=${bid.id}`);
    assert.equal(opened.status, 200);
    assert.match(opened.html, />Edit draft</);
    assert.match(opened.html, /name="segments\.0\.price"[^>]*value="31"/);
    assert.match(opened.html, /name="segments\.0\.quantity"[^>]*value="5"/);
    assert.match(opened.html, new RegExp(`name="edit_id" value="${bid.id}"`));
    assert.match(opened.html, /name="edit_version" value="1"/);
    assert.match(opened.html, new RegExp(`<option\\s+value="${asset.id}"\\s+selected`));
    // Another organization's bid, or none, is not found; a bid that is no longer a draft says so.
    const other = await createOrg(t, "bidpages-edit-other");
    assert.equal((await page(t, other.admin, `/bidding?edit=${bid.id}`)).status, 404);
    assert.equal((await page(t, members.trader, "/bidding?edit=nope")).status, 404);

    const day = deliveryHour();
    const fields = (extra: Record<string, string>) => ({
      idempotency_key: crypto.randomUUID(),
      edit_id: bid.id,
      edit_version: "1",
      asset_id: asset.id,
      market: "DA",
      // The form is on the zone's market clock: the operating day and the hour's place in it.
      date: formFieldsOf("PJM", Date.parse(day)).date,
      hour: String(formFieldsOf("PJM", Date.parse(day)).hour),
      side: "offer",
      "segments.0.price": "33",
      "segments.0.quantity": "4",
      ...extra,
    });
    const added = await page(t, members.trader, "/bidding", fields({ action: "add_row" }));
    assert.match(added.html, /name="edit_version" value="1"/, "a row added by a post keeps editing the draft");
    const saved = await page(t, members.trader, "/bidding", fields({ action: "save" }));
    assert.equal(saved.status, 303, saved.html.slice(0, 300));
    assert.equal(saved.location, `/bidding/${bid.id}?done=saved`);
    const after = await call(t, "GET", `/api/bids/${bid.id}`, { token });
    assert.deepEqual([after.body.status, after.body.version], ["draft", 2]);
    assert.deepEqual(after.body.segments, [{ price: 33, quantity: 4 }]);
    assert.equal(after.body.history.at(-1).details.edited, true);

    // The same form again (version 1): the draft changed since, so 409 with the reason — nothing overwritten.
    const stale = await page(t, members.trader, "/bidding", fields({ "segments.0.price": "99", action: "save" }));
    assert.equal(stale.status, 409);
    assert.match(stale.html, /changed since you read it/);
    assert.deepEqual((await call(t, "GET", `/api/bids/${bid.id}`, { token })).body.segments, [{
      price: 33,
      quantity: 4,
    }]);

    // Submitting from the edit form saves, then submits; after that it can no longer be opened for editing.
    const submitted = await page(
      t,
      members.trader,
      "/bidding",
      fields({ edit_version: "2", "segments.0.price": "34", action: "submit" }),
    );
    assert.equal(submitted.location, `/bidding/${bid.id}?done=submitted`);
    const final = (await call(t, "GET", `/api/bids/${bid.id}`, { token })).body;
    assert.deepEqual([final.status, final.segments[0].price], ["submitted", 34]);
    const closed = await page(t, members.trader, `/bidding?edit=${bid.id}`);
    assert.equal(closed.status, 200);
    assert.match(closed.html, /That bid is submitted: only drafts can be edited\./);
    assert.match(closed.html, />New bid</);
  },
);

Deno.test("bidding list: 20 a page, an Older link with the filters kept, Newest back", opts, async () => {
  const { t, org, draft } = await setup("bidpages-pages");
  for (let i = 0; i < 21; i++) await draft(30 + i);
  const rows = (html: string) => [...html.matchAll(/<tr[^>]*data-bid-id="([^"]+)"/g)].map((m) => m[1]);
  const first = await page(t, org.admin, "/bidding?status=draft");
  assert.equal(rows(first.html).length, 20);
  assert.match(first.html, /data-testid="older"/);
  const href = /href="(\/bidding\?status=draft&amp;cursor=[^"]+)"/.exec(first.html)?.[1].replaceAll("&amp;", "&");
  assert.ok(href, "the Older link keeps the filter");
  const second = await page(t, org.admin, href);
  assert.equal(rows(second.html).length, 1);
  assert.ok(!rows(first.html).includes(rows(second.html)[0]));
  assert.match(second.html, /href="\/bidding\?status=draft"[^>]*>← Newest/);
  assert.doesNotMatch(second.html, /data-testid="older"/);
});

Deno.test(
  "bid page: the buttons are the lifecycle table's — a draft past its gate offers Withdraw, not Submit",
  opts,
  async () => {
    const { t, org, members, asset } = await setup("bidpages-gate");
    // Placed directly: no bid is created past its gate through the app.
    const start = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 86_400_000);
    const [{ id }] = await t.services.db().query<{ id: string }>(
      `INSERT INTO bids (org_id, asset_id, zone, market, interval_start, interval_end, side, segments, created_by)
       VALUES ($1, $2, 'PJM', 'DA', $3, $4, 'offer', '[{"price": 20, "quantity": 5}]'::jsonb, $5) RETURNING id`,
      [org.id, asset.id, start.toISOString(), new Date(start.getTime() + 3_600_000).toISOString(), org.admin.userId],
    );
    const shown = await page(t, members.trader, `/bidding/${id}`);
    assert.equal(shown.status, 200);
    assert.doesNotMatch(shown.html, /data-action="submit"/);
    assert.match(shown.html, /data-action="withdraw"/);
    assert.match(shown.html, /data-action="delete"/);
    // Posted anyway (a stale page): the market is closed for it.
    const late = await page(t, members.trader, `/bidding/${id}`, { _action: "submit" });
    assert.equal(late.status, 409);
    assert.match(late.html, /market closed for this interval/);
    const withdrawn = await page(t, members.trader, `/bidding/${id}`, { _action: "withdraw" });
    assert.equal(withdrawn.status, 303);
    assert.equal(withdrawn.location, `/bidding/${id}?done=withdrawn`);
  },
);

Deno.test(
  "the builder without JavaScript in ¢/kWh: prices posted in the user's unit, stored in $/MWh, edited back",
  opts,
  async () => {
    const { t, members, asset } = await setup("bidpages-cents");
    const token = members.trader.tokens.access_token;
    expectStatus(
      await call(t, "PUT", "/api/auth/me", { token, body: { preferences: { units: { price: "¢/kWh" } } } }),
      200,
    );
    const day = deliveryHour();
    const fields = (extra: Record<string, string>) => ({
      idempotency_key: crypto.randomUUID(),
      asset_id: asset.id,
      market: "DA",
      date: formFieldsOf("PJM", Date.parse(day)).date,
      hour: String(formFieldsOf("PJM", Date.parse(day)).hour),
      side: "offer",
      "segments.0.price": "4.125",
      "segments.0.quantity": "5",
      action: "save",
      ...extra,
    });
    const blank = await page(t, members.trader, "/bidding");
    assert.match(blank.html, /Price ¢\/kWh/);
    assert.match(blank.html, /Segment 1 price \(¢\/kWh\)/);

    const fine = await page(t, members.trader, "/bidding", fields({ "segments.0.price": "4.1255" }));
    assert.equal(fine.status, 400);
    assert.match(fine.html, /Segment 1 price can have at most 3 decimals in ¢\/kWh/);

    const order = await page(
      t,
      members.trader,
      "/bidding",
      fields({ "segments.1.price": "3.5", "segments.1.quantity": "5" }),
    );
    assert.equal(order.status, 400);
    assert.match(order.html, /segments\.1\.price 3\.5 ¢\/kWh is below segments\.0\.price 4\.125 ¢\/kWh/);

    const saved = await page(
      t,
      members.trader,
      "/bidding",
      fields({ "segments.1.price": "4.135", "segments.1.quantity": "5" }),
    );
    assert.equal(saved.status, 303, saved.html.slice(0, 500));
    const id = saved.location!.split("/")[2].split("?")[0];
    const bid = await call(t, "GET", `/api/bids/${id}`, { token });
    assert.deepEqual(bid.body.segments, [{ price: 41.25, quantity: 5 }, { price: 41.35, quantity: 5 }]);

    const edit = await page(t, members.trader, `/bidding?edit=${id}`);
    assert.match(edit.html, /name="segments\.0\.price"[^>]*value="4\.125"/);
    assert.match(edit.html, /name="segments\.1\.price"[^>]*value="4\.135"/);
  },
);
