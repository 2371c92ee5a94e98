/** The /webhooks, /alerts and /notifications pages without JavaScript: forms post, refuse bad input beside the field, list. */
import assert from "node:assert/strict";
import { dispatchOnce } from "../../services/notifications/dispatcher.ts";
import { publishEvent } from "../../services/notifications/events.ts";
import { call, createOrg, opts } from "../helpers/auth.ts";
import { bidPage } from "../helpers/bids.ts";
import { testApp } from "../helpers/test_app.ts";

Deno.test("pages: webhooks, alerts and notifications forms", opts, async () => {
  const t = await testApp({ WEBHOOK_ALLOW_PRIVATE: "false" });
  const org = await createOrg(t, "npages");
  const token = org.admin.tokens.access_token;

  const refused = await bidPage(t, token, "/webhooks", {
    _action: "create",
    url: "http://169.254.169.254/latest",
    "type_bid.cleared": "on",
  });
  assert.equal(refused.status, 400);
  assert.match(refused.html, /link-local/);
  const made = await bidPage(t, token, "/webhooks", {
    _action: "create",
    url: "https://93.184.216.34/hooks/optibid",
    "type_bid.cleared": "on",
    "type_alert.fired": "on",
  });
  assert.equal(made.status, 303);
  const list = await call(t, "GET", "/api/webhooks", { token });
  assert.deepEqual(list.body.items.map((w: { event_types: string[] }) => w.event_types), [[
    "bid.cleared",
    "alert.fired",
  ]]);
  const page = await bidPage(t, token, "/webhooks");
  assert.match(page.html, /93\.184\.216\.34\/hooks\/optibid/);

  const badAlert = await bidPage(t, token, "/alerts", {
    _action: "create",
    name: "x",
    market: "RT",
    combine: "any",
    c1_kind: "price_above",
    c1_value: "100",
    hysteresis: "1",
    cooldown_min: "5",
    channel_toast: "on",
  });
  assert.equal(badAlert.status, 400, "no zone chosen");
  assert.match(badAlert.html, /data-field-error="zones"/);
  const alert = await bidPage(t, token, "/alerts", {
    _action: "create",
    name: "Cheap ERCOT",
    zone_ERCOT: "on",
    market: "RT",
    combine: "all",
    c1_kind: "price_below",
    c1_value: "10",
    c2_kind: "spike",
    c2_value: "3",
    hysteresis: "1",
    cooldown_min: "5",
    channel_notification: "on",
  });
  assert.equal(alert.status, 303);
  const alerts = await call(t, "GET", "/api/alerts", { token });
  assert.deepEqual(alerts.body.items[0].conditions, [{ kind: "price_below", level: 10 }, { kind: "spike", k: 3 }]);
  assert.equal(alerts.body.items[0].cooldown_s, 300);
  assert.match((await bidPage(t, token, "/alerts")).html, /Cheap ERCOT/);

  await t.services.db().transaction((tx) =>
    publishEvent(tx, org.id, "approval.requested", {
      title: "Approve strategy S",
      message: "Needs a second pair of eyes",
    })
  );
  // The app's own dispatcher may hold the batch lock at this moment (this call then does nothing, and the
  // event waits for its next pass): dispatch until the event has been fanned out, by this call or by it.
  for (let tries = 0; tries < 50; tries++) {
    await dispatchOnce(t.services.db());
    const [{ n }] = await t.services.db().query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox WHERE topic = 'events' AND sent_at IS NULL`,
    );
    if (n === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const notes = await bidPage(t, token, "/notifications?unread=1");
  assert.match(notes.html, /Approve strategy S/);
  assert.equal((await bidPage(t, token, "/notifications", {})).status, 303);
  assert.doesNotMatch((await bidPage(t, token, "/notifications?unread=1")).html, /Approve strategy S/);
});
