/**
 * Price alerts through the running app: made over the API, evaluated on ticks that go through the real
 * ingest path (bus → consumer → database → alerts), fired once for a price hovering above the threshold,
 * written to the history, and delivered as a notification and a signed webhook. Also: a bid status change
 * becomes a notification (the bid_events trigger publishes it), validation, permissions, tenancy.
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { publishTicks } from "../../services/market/ingest.ts";
import type { PriceTick } from "../../services/market/types.ts";
import { addMember, call, createOrg, expectStatus, opts } from "../helpers/auth.ts";
import { deliveryHour, siteWithAsset } from "../helpers/bids.ts";
import { testApp } from "../helpers/test_app.ts";
import { until } from "../helpers/until.ts";

function rt(i: number, lmp: number, zone: PriceTick["zone"] = "PJM"): PriceTick {
  // Two days ahead: no other test's prices, and the simulator is off in test apps.
  const start = Math.floor(Date.now() / 3_600_000) * 3_600_000 + 2 * 86_400_000 + i * 300_000;
  return {
    zone,
    market: "RT",
    interval_start: new Date(start).toISOString(),
    interval_end: new Date(start + 300_000).toISOString(),
    lmp,
    energy: lmp,
    congestion: 0,
    loss: 0,
  };
}

Deno.test("price alerts: fire once on a hovering price, to history, notification and webhook", opts, async () => {
  const t = await testApp({ WEBHOOK_ALLOW_PRIVATE: "true" });
  const org = await createOrg(t, "alerts");
  const token = org.admin.tokens.access_token;
  const got: { headers: Record<string, string>; body: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    got.push({ headers: Object.fromEntries(req.headers), body: await req.text() });
    return new Response("ok");
  });
  try {
    const hook = await call(t, "POST", "/api/webhooks", {
      token,
      body: { url: `http://127.0.0.1:${server.addr.port}/`, event_types: ["alert.fired"] },
    });
    expectStatus(hook, 201);

    const made = await call(t, "POST", "/api/alerts", {
      token,
      body: {
        name: "PJM scarcity",
        zones: ["PJM"],
        market: "RT",
        combine: "any",
        conditions: [{ kind: "price_above", level: 500 }],
        hysteresis: 10,
        cooldown_s: 0,
        channels: ["notification", "webhook"],
      },
    });
    expectStatus(made, 201);
    const alertId = made.body.id as string;
    assert.equal(made.body.combine, "any");

    // 600 crosses; 595, 620, 598 hover within the hysteresis: one firing.
    const prices = [100, 600, 595, 620, 598];
    // One message: the queue does not promise the order of separate ones, and the hover is about order.
    await publishTicks(t.services.queue, prices.map((p, i) => rt(i, p)), "test");
    const last = rt(prices.length - 1, 0).interval_start;
    await until(
      "the last tick stored",
      async () =>
        (await t.services.db().query(`SELECT 1 FROM market_prices WHERE zone = 'PJM' AND interval_start = $1`, [last]))
          .length > 0,
    );
    await t.services.alerts.settled();
    const history = await call(t, "GET", `/api/alerts/history?alert_id=${alertId}`, { token });
    expectStatus(history, 200);
    assert.equal(history.body.items.length, 1, JSON.stringify(history.body));
    assert.equal(history.body.items[0].price, 600);
    assert.equal(history.body.items[0].alert_name, "PJM scarcity");

    const note = await until("the alert's notification", async () => {
      const r = await call(t, "GET", "/api/notifications", { token });
      return r.body.items.find((n: { type: string }) => n.type === "alert.fired");
    });
    assert.match(note.message, /PJM RT at \$600\.00/);
    await until("the alert's webhook", () => Promise.resolve(got.length > 0));
    const secret = hook.body.secret as string;
    const payload = new Webhook(secret).verify(got[0].body, got[0].headers) as {
      type: string;
      data: { alert_id: string };
    };
    assert.equal(payload.type, "alert.fired");
    assert.equal(payload.data.alert_id, alertId);

    // Changed: disabled alerts do not fire.
    expectStatus(await call(t, "PATCH", `/api/alerts/${alertId}`, { token, body: { enabled: false } }), 200);
    await publishTicks(t.services.queue, [rt(10, 50), rt(11, 900)], "test");
    await until(
      "the later ticks stored",
      async () =>
        (await t.services.db().query(`SELECT 1 FROM market_prices WHERE zone = 'PJM' AND interval_start = $1`, [
          rt(11, 0).interval_start,
        ])).length > 0,
    );
    await t.services.alerts.settled();
    assert.equal((await call(t, "GET", `/api/alerts/history`, { token })).body.items.length, 1);

    // Validation, permissions, tenancy.
    for (
      const bad of [
        { name: "x", zones: ["PJM"], market: "RT", conditions: [], channels: ["toast"] },
        {
          name: "x",
          zones: ["MARS"],
          market: "RT",
          conditions: [{ kind: "price_above", level: 1 }],
          channels: ["toast"],
        },
        { name: "x", zones: ["PJM"], market: "RT", conditions: [{ kind: "spike", k: "big" }], channels: ["toast"] },
        { name: "x", zones: ["PJM"], market: "RT", conditions: [{ kind: "price_above", level: 1 }], channels: ["sms"] },
        {
          name: "x",
          zones: ["PJM"],
          market: "RT",
          conditions: [{ kind: "price_above", level: 1 }],
          channels: ["toast"],
          x: 1,
        },
      ]
    ) expectStatus(await call(t, "POST", "/api/alerts", { token, body: bad }), 400, JSON.stringify(bad));
    const viewer = await addMember(t, org, "viewer");
    expectStatus(await call(t, "GET", "/api/alerts", { token: viewer.tokens.access_token }), 200);
    expectStatus(
      await call(t, "PATCH", `/api/alerts/${alertId}`, { token: viewer.tokens.access_token, body: { enabled: true } }),
      403,
    );
    expectStatus(await call(t, "GET", "/api/webhooks", { token: viewer.tokens.access_token }), 403);
    const other = await createOrg(t, "alerts-other");
    expectStatus(await call(t, "GET", `/api/alerts/${alertId}`, { token: other.admin.tokens.access_token }), 404);
    expectStatus(await call(t, "DELETE", `/api/alerts/${alertId}`, { token: other.admin.tokens.access_token }), 404);
    assert.deepEqual(
      (await call(t, "GET", "/api/alerts/history", { token: other.admin.tokens.access_token })).body.items,
      [],
    );
    expectStatus(await call(t, "DELETE", `/api/alerts/${alertId}`, { token }), 204);
  } finally {
    await server.shutdown();
  }
});

Deno.test("notifications: a bid status change reaches the organization's members", opts, async () => {
  const t = await testApp({ WEBHOOK_ALLOW_PRIVATE: "true" });
  const org = await createOrg(t, "bidnote");
  const token = org.admin.tokens.access_token;
  const { assetId } = await siteWithAsset(t, token, { name: "PV", kind: "solar", capacity_mw: 20 });
  const bid = await call(t, "POST", "/api/bids", {
    token,
    body: {
      asset_id: assetId,
      zone: "PJM",
      market: "DA",
      interval_start: deliveryHour(),
      side: "offer",
      segments: [{ price: 20, quantity: 5 }],
    },
  });
  expectStatus(bid, 201);
  expectStatus(
    await call(t, "POST", `/api/bids/${bid.body.id}/submit`, { token, body: { version: bid.body.version } }),
    200,
  );
  const note = await until("the bid's notification", async () => {
    const r = await call(t, "GET", "/api/notifications", { token });
    return r.body.items.find((n: { type: string; data: { to?: string } }) =>
      n.type === "bid.status_changed" && n.data.to === "submitted"
    );
  });
  assert.match(note.title, /PV · PJM DA HE/);
  assert.equal(note.data.bid_id, bid.body.id);
});
