/**
 * Virtual bids through the app: created and submitted through the bid API (same lifecycle, idempotency,
 * outbox, audit as physical bids), refused beyond the organization's credit limit and by the zone's
 * virtual rules, cleared at the DA price of their location, liquidated at its RT price, and on their own
 * P&L line with the fee taken out.
 */
import assert from "node:assert/strict";
import { writeTicks } from "../../services/market/store.ts";
import { addMember, call, createOrg, expectError, expectStatus } from "../helpers/auth.ts";
import { deliveryHour } from "../helpers/bids.ts";
import { testApp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

const inc = (o: Record<string, unknown> = {}) => ({
  kind: "virtual",
  zone: "PJM",
  location: "western hub",
  market: "DA",
  interval_start: deliveryHour(),
  side: "inc",
  segments: [{ price: 40, quantity: 5 }, { price: 60, quantity: 5 }],
  ...o,
});

Deno.test("virtual bids: lifecycle, rules, credit limit, audit and outbox", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "virt");
  const token = org.admin.tokens.access_token;

  // Zone rules: a location the zone does not accept, a segment under the minimum, a price past the cap.
  let r = await call(t, "POST", "/api/bids", { token, body: inc({ location: "SOME BUS 123" }) });
  expectError(r, 400, "validation_failed");
  assert.equal(r.body.error.details[0].code, "location_not_eligible");
  assert.equal(r.body.error.details[0].path, "body.location");
  r = await call(t, "POST", "/api/bids", { token, body: inc({ segments: [{ price: 10, quantity: 0.05 }] }) });
  assert.equal(r.body.error.details[0].code, "quantity_below_minimum");
  r = await call(t, "POST", "/api/bids", { token, body: inc({ segments: [{ price: 1500, quantity: 1 }] }) });
  assert.equal(r.body.error.details[0].code, "price_above_cap");
  r = await call(t, "POST", "/api/bids", { token, body: inc({ market: "RT" }) });
  expectError(r, 400, "validation_failed");
  r = await call(t, "POST", "/api/bids", { token, body: inc({ asset_id: crypto.randomUUID() }) });
  expectError(r, 400, "validation_failed", "a virtual bid has no asset");
  // DEC prices must not increase.
  r = await call(t, "POST", "/api/bids", {
    token,
    body: inc({ side: "dec", segments: [{ price: 10, quantity: 1 }, { price: 20, quantity: 1 }] }),
  });
  assert.equal(r.body.error.details[0].code, "price_order");

  // A draft, with the location as the ISO spells it; idempotent.
  const key = crypto.randomUUID();
  r = await call(t, "POST", "/api/bids", { token, body: inc(), headers: { "idempotency-key": key } });
  expectStatus(r, 201, "virtual draft");
  const draft = r.body;
  assert.equal(draft.kind, "virtual");
  assert.equal(draft.location, "WESTERN HUB");
  assert.equal(draft.asset_id, null);
  const again = await call(t, "POST", "/api/bids", { token, body: inc(), headers: { "idempotency-key": key } });
  assert.equal(again.text, r.text);
  assert.equal(again.headers.get("idempotent-replayed"), "true");

  // Credit: no limit set yet ($0) refuses it.
  r = await call(t, "POST", `/api/bids/${draft.id}/submit`, { token });
  expectError(r, 409, "credit_limit_exceeded");
  assert.equal(r.body.error.details.requested, 5 * 40 + 5 * 60);

  // A trader may not set the limit; an admin may (audited).
  const trader = await addMember(t, org, "trader");
  r = await call(t, "PUT", "/api/virtual-bids/settings", {
    token: trader.tokens.access_token,
    body: { credit_limit: 1e6, fee_per_mwh: 0 },
  });
  expectStatus(r, 403);
  r = await call(t, "PUT", "/api/virtual-bids/settings", { token, body: { credit_limit: 700, fee_per_mwh: 0.25 } });
  expectStatus(r, 200, "settings");
  r = await call(t, "PUT", "/api/virtual-bids/settings", { token, body: { credit_limit: -1, fee_per_mwh: 0 } });
  expectStatus(r, 400);
  r = await call(t, "PUT", "/api/virtual-bids/settings", { token, body: { credit_limit: 1, fee_per_mwh: 0, x: 1 } });
  expectStatus(r, 400);

  r = await call(t, "POST", `/api/bids/${draft.id}/submit`, { token });
  expectStatus(r, 200, "submit within the limit");
  assert.equal(r.body.status, "submitted");
  // $500 pending of $700: another $300 is beyond it, $200 fits.
  r = await call(t, "POST", "/api/bids", { token, body: inc({ segments: [{ price: 30, quantity: 10 }] }) });
  const second = r.body;
  r = await call(t, "POST", `/api/bids/${second.id}/submit`, { token });
  expectError(r, 409, "credit_limit_exceeded");
  assert.equal(r.body.error.details.pending_exposure, 500);
  // A batch mixing both kinds is judged as one: over the limit, nothing is created.
  r = await call(t, "POST", "/api/bids/batch", {
    token,
    body: { submit: true, bids: [inc({ side: "dec", segments: [{ price: 20, quantity: 10 }] }), inc()] },
  });
  expectError(r, 409, "credit_limit_exceeded");
  r = await call(t, "POST", "/api/bids/batch", {
    token,
    body: { submit: true, bids: [inc({ side: "dec", segments: [{ price: 20, quantity: 10 }] })] },
  });
  expectStatus(r, 201, "batch within the limit");

  // Withdrawing frees the headroom.
  r = await call(t, "POST", `/api/bids/${draft.id}/withdraw`, { token });
  expectStatus(r, 200);
  r = await call(t, "GET", "/api/virtual-bids/settings", { token });
  assert.equal(r.body.pending_exposure, 200);
  assert.equal(r.body.credit_limit, 700);

  // Listed with kind=virtual; audit and outbox as for physical bids.
  r = await call(t, "GET", "/api/bids?kind=virtual", { token });
  assert.ok(r.body.items.length >= 3 && r.body.items.every((b: { kind: string }) => b.kind === "virtual"));
  r = await call(t, "GET", "/api/bids?kind=physical", { token });
  assert.equal(r.body.items.length, 0);
  const db = t.services.db();
  const actions = (await db.query<{ action: string }>(
    `SELECT action FROM audit_logs WHERE org_id = $1 AND target_id = $2 ORDER BY id`,
    [org.id, draft.id],
  )).map((a) => a.action);
  assert.deepEqual(actions, ["bid.created", "bid.submitted", "bid.withdrawn"]);
  const events = await db.query<{ payload: { type: string } }>(
    `SELECT payload FROM outbox WHERE key = $1 ORDER BY id`,
    [draft.id],
  );
  assert.deepEqual(events.map((e) => e.payload.type), ["bid.created", "bid.submitted", "bid.withdrawn"]);
  const settingsAudit = await db.query(
    `SELECT 1 FROM audit_logs WHERE org_id = $1 AND action = 'virtual_settings.updated'`,
    [org.id],
  );
  assert.equal(settingsAudit.length, 1);

  // Another organization sees none of it.
  const other = await createOrg(t, "virt-other");
  r = await call(t, "GET", `/api/bids/${draft.id}`, { token: other.admin.tokens.access_token });
  expectStatus(r, 404);

  r = await call(t, "GET", "/api/virtual-bids/rules", { token });
  const pjm = r.body.items.find((z: { zone: string }) => z.zone === "PJM");
  assert.equal(pjm.locations.length, 12);
  assert.ok(pjm.source.includes("PJM"));
});

Deno.test(
  "virtual bids clear at their location's DA price, liquidate at RT, and have their P&L line",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "virt-clr");
    const token = org.admin.tokens.access_token;
    const db = t.services.db();
    await call(t, "PUT", "/api/virtual-bids/settings", { token, body: { credit_limit: 1e6, fee_per_mwh: 0.1 } });
    const hour = new Date(Date.UTC(2025, 10, 21, 15));
    const end = new Date(hour.getTime() + 3_600_000);
    const insert = async (location: string, side: "inc" | "dec", segments: unknown) => {
      const [{ id }] = await db.query<{ id: string }>(
        `INSERT INTO bids (org_id, kind, location, zone, market, interval_start, interval_end, side, segments, status,
                         created_by, submitted_at)
       VALUES ($1, 'virtual', $2, 'PJM', 'DA', $3, $4, $5, $6::jsonb, 'submitted', $7, now()) RETURNING id`,
        [org.id, location, hour, end, side, JSON.stringify(segments), org.admin.userId],
      );
      return id;
    };
    // At the AEP-DAYTON HUB (its own prices): DA $50, RT $35 → an INC earns 15/MWh, a DEC loses it.
    const incId = await insert("AEP-DAYTON HUB", "inc", [{ price: 45, quantity: 4 }, { price: 55, quantity: 6 }]);
    const decId = await insert("AEP-DAYTON HUB", "dec", [{ price: 60, quantity: 2 }]);
    const outId = await insert("AEP-DAYTON HUB", "dec", [{ price: 49.99, quantity: 2 }]);
    // At the reference hub (WESTERN HUB): the zone's own price (market_prices), RT in 5-minute intervals.
    const refId = await insert("WESTERN HUB", "dec", [{ price: 100, quantity: 3 }]);
    await db.query(
      `INSERT INTO location_prices (zone, location, market, interval_start, interval_end, lmp)
     VALUES ('PJM', 'AEP-DAYTON HUB', 'DA', $1, $2, 50), ('PJM', 'AEP-DAYTON HUB', 'RT', $1, $2, 35)`,
      [hour, end],
    );
    const tick = (market: "DA" | "RT", start: Date, minutes: number, lmp: number) => ({
      zone: "PJM" as const,
      market,
      interval_start: start.toISOString(),
      interval_end: new Date(start.getTime() + minutes * 60_000).toISOString(),
      lmp,
      energy: lmp,
      congestion: 0,
      loss: 0,
    });
    await writeTicks(db, [
      tick("DA", hour, 60, 30),
      ...Array.from({ length: 12 }, (_, i) => tick("RT", new Date(hour.getTime() + i * 300_000), 5, i < 6 ? 20 : 50)),
    ], "test");
    await t.services.bids.clearNow();
    const get = async (id: string) => (await call(t, "GET", `/api/bids/${id}`, { token })).body;
    const a = await get(incId);
    assert.equal(a.status, "settled");
    assert.equal(a.awarded_mw, 4, "an INC sells the segments at or below the DA price");
    assert.equal(a.clearing_price, 50);
    assert.equal(a.da_revenue, 4 * 50);
    assert.equal(a.rt_revenue, -4 * 35);
    assert.equal(a.fee, 0.4);
    assert.equal(a.revenue, 4 * (50 - 35) - 0.4);
    const d = await get(decId);
    assert.equal(d.revenue, 2 * (35 - 50) - 0.2);
    assert.equal((await get(outId)).status, "rejected", "a DEC priced under the DA price buys nothing");
    const ref = await get(refId);
    assert.equal(ref.clearing_price, 30);
    assert.equal(ref.revenue, Math.round((3 * ((20 + 50) / 2 - 30) - 0.3) * 10_000) / 10_000);
    assert.ok(ref.history.some((h: { actor_system: string; to: string }) => h.to === "settled" && h.actor_system));

    const pnl =
      (await call(t, "GET", `/api/portfolio/pnl?from=${hour.toISOString()}&to=${end.toISOString()}&group_by=asset`, {
        token,
      })).body;
    const virtual = pnl.by_kind.virtual;
    assert.equal(virtual.bids, 3);
    assert.equal(virtual.fees, 0.9);
    assert.equal(virtual.revenue, Math.round((60 - 0.4 - 30 - 0.2 + 3 * 5 - 0.3) * 100) / 100);
    assert.equal(pnl.by_kind.physical.bids, 0);
    assert.ok(pnl.items.some((i: { label: string }) => i.label === "Virtual · AEP-DAYTON HUB"));
  },
);
