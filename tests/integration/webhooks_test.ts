/**
 * Webhooks through the running app: endpoints per organization, Standard Webhooks signatures checked with
 * the `standardwebhooks` package's own verifier, the delivery log, manual redelivery, secret rotation (old
 * and new both sign for 24 h), a bid status change delivered as an event, and SSRF refusals at the API.
 * Retries are driven with a fake clock: the schedule, redirects refused, disabling after 5 days.
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { dispatchOnce } from "../../services/notifications/dispatcher.ts";
import { publishEvent } from "../../services/notifications/events.ts";
import { deliverWebhooksOnce } from "../../services/notifications/webhook_relay.ts";
import { call, createOrg, expectError, expectStatus, opts } from "../helpers/auth.ts";
import { testApp } from "../helpers/test_app.ts";

interface Received {
  headers: Record<string, string>;
  body: string;
}

/** A receiver on loopback answering with `answer(n)` (n = request number). */
function receiver(answer: (n: number) => Response = () => new Response("thanks")) {
  const got: Received[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    got.push({ headers: Object.fromEntries(req.headers), body: await req.text() });
    return answer(got.length);
  });
  return { got, url: `http://127.0.0.1:${server.addr.port}/hook`, close: () => server.shutdown() };
}

Deno.test("webhooks: signed deliveries, log, redelivery, rotation, tenancy, SSRF refusals", opts, async () => {
  const t = await testApp({ WEBHOOK_ALLOW_PRIVATE: "true" });
  await t.services.notifications.stop();
  const db = t.services.db();
  const org = await createOrg(t, "hooks");
  const token = org.admin.tokens.access_token;
  const rx = receiver();
  try {
    const made = await call(t, "POST", "/api/webhooks", {
      token,
      body: { url: rx.url, event_types: ["strategy.run_completed", "bid.status_changed"], description: "ops" },
    });
    expectStatus(made, 201);
    const first = made.body.secret as string;
    assert.match(first, /^whsec_/);
    const id = made.body.id as string;

    await db.transaction((tx) => publishEvent(tx, org.id, "strategy.run_completed", { run_id: "r1", pnl: 12 }));
    const d = await dispatchOnce(db);
    assert.equal(d.webhooks, 1);
    assert.equal(await deliverWebhooksOnce({ db: () => db, allowPrivate: true }), 1);
    assert.equal(rx.got.length, 1);
    const payload = new Webhook(first).verify(rx.got[0].body, rx.got[0].headers) as Record<string, unknown>;
    assert.equal(payload.type, "strategy.run_completed");
    assert.deepEqual((payload.data as Record<string, unknown>).run_id, "r1");
    assert.throws(() => new Webhook(first).verify(rx.got[0].body.replace("12", "13"), rx.got[0].headers));
    const msgId = rx.got[0].headers["webhook-id"];

    const log = await call(t, "GET", `/api/webhooks/${id}/attempts`, { token });
    expectStatus(log, 200);
    assert.equal(log.body.items.length, 1);
    assert.equal(log.body.items[0].status_code, 200);
    assert.equal(log.body.items[0].ok, true);
    assert.equal(log.body.items[0].response_excerpt, "thanks");
    assert.equal(log.body.items[0].message_id, msgId);

    // Manual redelivery: the same webhook-id again.
    expectStatus(await call(t, "POST", `/api/webhooks/${id}/redeliver`, { token, body: { message_id: msgId } }), 202);
    await deliverWebhooksOnce({ db: () => db, allowPrivate: true });
    assert.equal(rx.got.length, 2);
    assert.equal(rx.got[1].headers["webhook-id"], msgId);

    // Rotation: both secrets verify the next delivery.
    const rotated = await call(t, "POST", `/api/webhooks/${id}/rotate-secret`, { token });
    expectStatus(rotated, 200);
    const second = rotated.body.secret as string;
    assert.notEqual(second, first);
    assert.ok(rotated.body.previous_secret_until);
    await db.transaction((tx) => publishEvent(tx, org.id, "strategy.run_completed", { run_id: "r2" }));
    await dispatchOnce(db);
    await deliverWebhooksOnce({ db: () => db, allowPrivate: true });
    const third = rx.got[2];
    assert.equal(third.headers["webhook-signature"].split(" ").length, 2);
    assert.equal(
      (new Webhook(second).verify(third.body, third.headers) as { type: string }).type,
      "strategy.run_completed",
    );
    new Webhook(first).verify(third.body, third.headers);

    // Types the endpoint did not ask for are not sent.
    await db.transaction((tx) => publishEvent(tx, org.id, "approval.requested", { title: "x" }));
    assert.equal((await dispatchOnce(db)).webhooks, 0);

    // Another organization: 404 on everything of this endpoint.
    const other = await createOrg(t, "hooks-other");
    const ot = other.admin.tokens.access_token;
    expectStatus(await call(t, "GET", `/api/webhooks/${id}`, { token: ot }), 404);
    expectStatus(await call(t, "GET", `/api/webhooks/${id}/attempts`, { token: ot }), 404);
    expectStatus(await call(t, "POST", `/api/webhooks/${id}/rotate-secret`, { token: ot }), 404);
    expectStatus(await call(t, "DELETE", `/api/webhooks/${id}`, { token: ot }), 404);

    // SSRF at the API (loopback is allowed in this app; link-local, metadata and mapped forms are not).
    for (
      const url of ["http://169.254.169.254/latest", "http://[::ffff:a9fe:a9fe]/", "http://0xa9fea9fe/", "ftp://x/"]
    ) {
      expectError(
        await call(t, "POST", "/api/webhooks", { token, body: { url, event_types: ["bid.cleared"] } }),
        400,
        "webhook_url_refused",
        url,
      );
    }
    expectStatus(await call(t, "POST", "/api/webhooks", { token, body: { url: rx.url, event_types: [] } }), 400);
    expectStatus(
      await call(t, "POST", "/api/webhooks", { token, body: { url: rx.url, event_types: ["bid.cleared"], x: 1 } }),
      400,
    );
  } finally {
    await rx.close();
  }
});

Deno.test("webhooks: without WEBHOOK_ALLOW_PRIVATE loopback is refused at the API", opts, async () => {
  const t = await testApp({ WEBHOOK_ALLOW_PRIVATE: "false" });
  const org = await createOrg(t, "hooks-strict");
  for (const url of ["http://127.0.0.1:9/", "http://2130706433/", "http://[::1]/", "http://[::ffff:127.0.0.1]/"]) {
    expectError(
      await call(t, "POST", "/api/webhooks", {
        token: org.admin.tokens.access_token,
        body: { url, event_types: ["bid.cleared"] },
      }),
      400,
      "webhook_url_refused",
      url,
    );
  }
  // Not an admin: 403.
});

Deno.test(
  "webhooks: retries on the backoff schedule with a fake clock; redirects refused; disabled after 5 days",
  opts,
  async () => {
    const t = await testApp({ WEBHOOK_ALLOW_PRIVATE: "true" });
    await t.services.notifications.stop();
    const db = t.services.db();
    const org = await createOrg(t, "hooks-retry");
    const token = org.admin.tokens.access_token;
    const rx = receiver((
      n,
    ) => (n === 1
      ? new Response(null, { status: 302, headers: { location: "http://169.254.169.254/" } })
      : new Response("down", { status: 503 }))
    );
    try {
      const made = await call(t, "POST", "/api/webhooks", {
        token,
        body: { url: rx.url, event_types: ["bid.settled"] },
      });
      expectStatus(made, 201);
      const id = made.body.id as string;
      await db.transaction((tx) => publishEvent(tx, org.id, "bid.settled", { bid_id: crypto.randomUUID() }));
      await dispatchOnce(db);

      let now = Date.now() + 60_000;
      const deps = { db: () => db, allowPrivate: true, now: () => now, random: () => 0.5 };
      const nextAt = async () =>
        (await db.query<{ at: number }>(
          `SELECT (extract(epoch FROM next_attempt_at) * 1000)::float8 AS at FROM outbox
          WHERE topic = 'webhook' AND key = $1 AND sent_at IS NULL`,
          [id],
        ))[0]?.at;

      // Attempt 1: a redirect, not followed.
      assert.equal(await deliverWebhooksOnce(deps), 1);
      assert.equal(rx.got.length, 1, "the redirect's target was not called");
      const delays = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
      for (const [i, delay] of delays.entries()) {
        const at = await nextAt();
        assert.equal(at - now, delay, `retry ${i + 1}`);
        // Not due a moment before.
        now = at - 1;
        assert.equal(await deliverWebhooksOnce(deps), 0);
        now = at;
        assert.equal(await deliverWebhooksOnce(deps), 1);
      }
      assert.equal(await nextAt(), undefined, "given up after the last retry");
      const log = await call(t, "GET", `/api/webhooks/${id}/attempts?limit=10`, { token });
      assert.equal(log.body.items.length, 8);
      const oldest = log.body.items.at(-1);
      assert.equal(oldest.status_code, 302);
      assert.match(oldest.error, /redirect not followed/);
      assert.equal(log.body.items[0].status_code, 503);
      assert.equal(log.body.items[0].response_excerpt, "down");
      // ~27.6 h of failures: still enabled.
      assert.equal((await call(t, "GET", `/api/webhooks/${id}`, { token })).body.enabled, true);

      // Five days after the first failure, the next failure disables the endpoint.
      now += 5 * 86_400_000;
      await db.transaction((tx) => publishEvent(tx, org.id, "bid.settled", { bid_id: crypto.randomUUID() }));
      await dispatchOnce(db);
      assert.equal(await deliverWebhooksOnce(deps), 1);
      const after = await call(t, "GET", `/api/webhooks/${id}`, { token });
      assert.equal(after.body.enabled, false);
      assert.equal(after.body.disabled_reason, "failing for 5 days");
      await db.transaction((tx) => publishEvent(tx, org.id, "bid.settled", { bid_id: crypto.randomUUID() }));
      assert.equal((await dispatchOnce(db)).webhooks, 0, "a disabled endpoint gets nothing");
      // Re-enabled by a user: failures start over.
      const on = await call(t, "PATCH", `/api/webhooks/${id}`, { token, body: { enabled: true } });
      assert.equal(on.body.enabled, true);
      assert.equal(on.body.failing_since, null);
    } finally {
      await rx.close();
    }
  },
);
