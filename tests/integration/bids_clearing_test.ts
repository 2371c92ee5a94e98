/**
 * Clearing and settlement through the app: submitted bids clear when their interval's price is in,
 * settle once the real-time prices of the interval are in, and the P&L adds them up.
 */
import assert from "node:assert/strict";
import { writeTicks } from "../../services/market/store.ts";
import type { PriceTick } from "../../services/market/types.ts";
import { GOOD_PASSWORD, json, testApp, uniqueEmail, uniqueIp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

function tick(market: "DA" | "RT", start: Date, lmp: number): PriceTick {
  const minutes = market === "DA" ? 60 : 5;
  return {
    zone: "MISO",
    market,
    interval_start: start.toISOString(),
    interval_end: new Date(start.getTime() + minutes * 60_000).toISOString(),
    lmp,
    energy: lmp,
    congestion: 0,
    loss: 0,
  };
}

Deno.test("bids clear at their interval's LMP, settle two ways, and show in the P&L", opts, async () => {
  const t = await testApp();
  const reg = await t.fetch("/api/auth/register", {
    ...json({ email: uniqueEmail("clr"), password: GOOD_PASSWORD, name: "C", organization_name: "Clearing Org" }),
    ip: uniqueIp(),
  });
  const { access_token, organization, user } = await reg.json();
  const auth = { authorization: `Bearer ${access_token}`, "content-type": "application/json" };
  const site = await (await t.fetch("/api/sites", {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ name: "S", zone: "MISO", node: "INDIANA.HUB", latitude: 40, longitude: -86 }),
  })).json();
  const asset = await (await t.fetch("/api/assets", {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ site_id: site.id, name: "Wind 1", kind: "wind", capacity_mw: 50 }),
  })).json();

  // Past intervals (a year ago, unique to this test): bids placed directly as submitted, as if before the gate.
  const hour = new Date(Date.UTC(2025, 10, 20, 14));
  const db = t.services.db();
  const insert = async (market: "DA" | "RT", start: Date, segments: unknown) => {
    const [{ id }] = await db.query<{ id: string }>(
      `INSERT INTO bids (org_id, asset_id, zone, market, interval_start, interval_end, side, segments, status,
                         created_by, submitted_at)
       VALUES ($1, $2, 'MISO', $3, $4, $5, 'offer', $6::jsonb, 'submitted', $7, now()) RETURNING id`,
      [
        organization.id,
        asset.id,
        market,
        start,
        new Date(start.getTime() + (market === "DA" ? 3_600_000 : 300_000)),
        JSON.stringify(segments),
        user.id,
      ],
    );
    return id;
  };
  // DA: 10 MW at $20, 15 MW at exactly the LMP ($30): both in; 20 MW at $30.01: out.
  const da = await insert("DA", hour, [{ price: 20, quantity: 10 }, { price: 30, quantity: 15 }, {
    price: 30.01,
    quantity: 20,
  }]);
  // RT: at −$10, in the money when the RT price is −$5.
  const rtStart = new Date(hour.getTime() + 10 * 60_000);
  const rt = await insert("RT", rtStart, [{ price: -10, quantity: 8 }]);
  // Out of the money: rejected.
  const out = await insert("DA", new Date(hour.getTime() + 3_600_000), [{ price: 500, quantity: 5 }]);

  const rtPrices = Array.from({ length: 12 }, (_, i) => tick("RT", new Date(hour.getTime() + i * 300_000), 40));
  rtPrices[2] = tick("RT", rtStart, -5);
  await writeTicks(db, [
    tick("DA", hour, 30),
    tick("DA", new Date(hour.getTime() + 3_600_000), 31),
    ...rtPrices.slice(0, 6),
  ], "test");
  await t.services.bids.clearNow();
  const get = async (id: string) =>
    await (await t.fetch(`/api/bids/${id}`, { headers: { authorization: auth.authorization } })).json();
  let bid = await get(da);
  assert.equal(bid.status, "cleared");
  assert.equal(bid.awarded_mw, 25, "segments at or below the LMP, the one exactly at it included");
  assert.equal(bid.clearing_price, 30);
  assert.equal((await get(out)).status, "rejected");
  assert.equal((await get(rt)).status, "settled", "the RT interval's price is in: cleared and settled");
  assert.equal((await get(rt)).revenue, Math.round(8 * -5 * (5 / 60) * 10_000) / 10_000);

  // Half the hour's RT prices: the DA bid waits.
  assert.equal(bid.status, "cleared");
  await writeTicks(db, rtPrices.slice(6), "test");
  await t.services.bids.clearNow();
  bid = await get(da);
  assert.equal(bid.status, "settled");
  assert.equal(bid.da_revenue, 25 * 30, "DA award × DA LMP × 1 h");
  assert.equal(bid.rt_revenue, 0, "delivered as awarded: no deviation");
  assert.deepEqual(bid.history.map((h: { to: string }) => h.to).slice(-2), ["cleared", "settled"]);
  assert.ok(
    bid.history.some((h: { to: string; actor_system: string }) => h.to === "settled" && h.actor_system === "clearing"),
  );

  const pnl = await (await t.fetch(
    `/api/portfolio/pnl?from=${hour.toISOString()}&to=${
      new Date(hour.getTime() + 86_400_000).toISOString()
    }&group_by=asset`,
    { headers: { authorization: auth.authorization } },
  )).json();
  assert.equal(pnl.items.length, 1);
  assert.equal(pnl.items[0].label, "Wind 1");
  assert.equal(pnl.items[0].bids, 2);
  assert.equal(pnl.total.revenue, Math.round((750 + 8 * -5 * (5 / 60)) * 100) / 100);
  assert.equal(pnl.total.awarded_mwh, Math.round((25 + 8 * 5 / 60) * 10_000) / 10_000);
});
