/**
 * Notifications end to end on the app's database: an event published in a transaction becomes an in-app
 * notification (listed, counted, marked read) and, for a user who chose e-mail, a mail in the outbox that
 * waits out an SMTP outage and is delivered to a real SMTP server (smtp-server) once it is up.
 */
import assert from "node:assert/strict";
import { SMTPServer } from "smtp-server";
import { createSmtpMailer } from "../../services/adapters/smtp.ts";
import { dispatchOnce } from "../../services/notifications/dispatcher.ts";
import { publishEvent } from "../../services/notifications/events.ts";
import { sendMailOnce } from "../../services/notifications/mail_relay.ts";
import { call, createOrg, expectStatus, opts } from "../helpers/auth.ts";
import { freePort } from "../helpers/ports.ts";
import { testApp } from "../helpers/test_app.ts";

Deno.test("notifications: in-app list, unread count, mark read; e-mail survives an SMTP outage", opts, async () => {
  const t = await testApp({ APP_ENV: "test", LOG_LEVEL: "error" });
  // This file drives the relays itself, with its own clock.
  await t.services.notifications.stop();
  const db = t.services.db();
  const org = await createOrg(t, "mail");
  const token = org.admin.tokens.access_token;

  const prefs = await call(t, "PUT", "/api/notifications/preferences", {
    token,
    body: { preferences: { "strategy.run_completed": ["in_app", "email"] } },
  });
  expectStatus(prefs, 200);
  assert.deepEqual(prefs.body["strategy.run_completed"], ["in_app", "email"]);
  assert.deepEqual(prefs.body["bid.cleared"], ["in_app"], "others keep their defaults");
  const bad = await call(t, "PUT", "/api/notifications/preferences", {
    token,
    body: { preferences: { "strategy.run_completed": ["pager"] } },
  });
  expectStatus(bad, 400);

  // A malformed event (another module's bug) is set aside and does not hold back the ones after it.
  await db.query(
    `INSERT INTO outbox (topic, key, payload) VALUES ('events', 'x', '{"org_id":"not-a-uuid","type":"bid.cleared"}')`,
  );
  await db.query(`INSERT INTO outbox (topic, key, payload) VALUES ('events', 'x', 'null'::jsonb)`);
  // Well-formed but for its data: the batch reads its bids before any event's savepoint, and must not fail there.
  await db.query(
    `INSERT INTO outbox (topic, key, payload)
     VALUES ('events', 'x', jsonb_build_object('org_id', $1::text, 'type', 'bid.cleared', 'id', gen_random_uuid()))`,
    [org.id],
  );
  await db.transaction((tx) => publishEvent(tx, org.id, "alert.fired", { user_id: "nobody", channels: ["email"] }));
  // A rolled-back transaction publishes nothing.
  await db.transaction(async (tx) => {
    await publishEvent(tx, org.id, "strategy.run_completed", { title: "Rolled back", message: "never" });
    throw new Error("rollback");
  }).catch(() => {});
  await db.transaction((tx) =>
    publishEvent(tx, org.id, "strategy.run_completed", { title: "Run finished", message: "Strategy A made $12" })
  );
  const out = await dispatchOnce(db);
  assert.ok(out.events >= 1);
  assert.ok(out.live.some((n) => n.userId === org.admin.userId && n.title === "Run finished" && !n.toast));

  const list = await call(t, "GET", "/api/notifications", { token });
  expectStatus(list, 200);
  assert.deepEqual(list.body.items.map((n: { title: string }) => n.title), ["Run finished"]);
  assert.equal((await call(t, "GET", "/api/notifications/unread-count", { token })).body.unread, 1);

  // SMTP down: the mail stays in the outbox with its error, due again later.
  const port = freePort();
  const mailer = createSmtpMailer(`smtp://127.0.0.1:${port}`, "OptiBid <alerts@optibid.test>", 2_000);
  let now = Date.now();
  assert.equal(await sendMailOnce(db, mailer, { now: () => now }), 1);
  const [pending] = await db.query<{ attempts: number; last_error: string; sent_at: string | null }>(
    `SELECT attempts, last_error, sent_at FROM outbox WHERE topic = 'mail' AND payload->>'to' = $1`,
    [org.admin.email],
  );
  assert.equal(pending.attempts, 1);
  assert.equal(pending.sent_at, null);
  assert.ok(pending.last_error);
  assert.equal(await sendMailOnce(db, mailer, { now: () => now }), 0, "not due again at once");

  // SMTP up: the next due attempt delivers it.
  const received: { to: string[]; body: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, done) {
      let body = "";
      stream.on("data", (c: Uint8Array) => (body += new TextDecoder().decode(c)));
      stream.on("end", () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), body });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
  try {
    now += 11_000;
    assert.equal(await sendMailOnce(db, mailer, { now: () => now }), 1);
    assert.equal(received.length, 1);
    assert.deepEqual(received[0].to, [org.admin.email]);
    assert.match(received[0].body, /Subject: \[OptiBid\] Run finished/);
    assert.match(received[0].body, /Strategy A made \$12/);
    const [sent] = await db.query<{ sent_at: string | null }>(
      `SELECT sent_at FROM outbox WHERE topic = 'mail' AND payload->>'to' = $1`,
      [org.admin.email],
    );
    assert.ok(sent.sent_at);
  } finally {
    mailer.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  const read = await call(t, "POST", "/api/notifications/read", { token, body: {} });
  expectStatus(read, 200);
  assert.deepEqual(read.body, { marked: 1, unread: 0 });
  expectStatus(await call(t, "POST", "/api/notifications/read", { token, body: { ids: ["x"] } }), 400);

  // Another organization sees none of it.
  const other = await createOrg(t, "mail-other");
  const theirs = await call(t, "GET", "/api/notifications", { token: other.admin.tokens.access_token });
  assert.deepEqual(theirs.body.items, []);
});
