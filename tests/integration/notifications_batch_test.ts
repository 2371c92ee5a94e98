/**
 * The dispatcher writes a batch's notifications and outbox rows in bulk: every member gets one notification per
 * event, live notices carry their notification's id and keep the events' order, mails go to the outbox in
 * event order, and an event fanned out again (its batch not marked sent before a crash) makes no second
 * notification, only its toasts.
 */
import assert from "node:assert/strict";
import type { Database } from "../../db/database.ts";
import { dispatchOnce } from "../../services/notifications/dispatcher.ts";
import { publishEvent } from "../../services/notifications/events.ts";
import { addMember, call, createOrg, expectStatus, opts } from "../helpers/auth.ts";
import { testApp } from "../helpers/test_app.ts";

/** An app whose dispatcher this file drives itself (its own loop stopped), and an organization in it. */
async function quietApp(tag: string, env: Record<string, string> = {}) {
  const t = await testApp({ APP_ENV: "test", LOG_LEVEL: "error", ...env });
  await t.services.notifications.stop();
  return { t, db: t.services.db(), org: await createOrg(t, tag) };
}

/** A trigger that refuses the notification titled `title` with `sqlstate`; returns what removes it. */
async function refuseNotification(db: Database, title: string, sqlstate: string): Promise<() => Promise<void>> {
  const fn = `refuse_${title.replaceAll("-", "_")}`;
  await db.query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.title = '${title}' THEN RAISE EXCEPTION 'refused' USING ERRCODE = '${sqlstate}'; END IF; RETURN NEW; END $$`);
  await db.query(`CREATE TRIGGER ${fn} BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
  return async () => {
    await db.query(`DROP TRIGGER ${fn} ON notifications`);
    await db.query(`DROP FUNCTION ${fn}()`);
  };
}

/** The organization's events in the outbox: title, sent or not, and the error they were set aside with. */
const eventsOf = (db: Database, orgId: string) =>
  db.query<{ title: string; sent: boolean; last_error: string | null }>(
    `SELECT payload->'data'->>'title' AS title, sent_at IS NOT NULL AS sent, last_error FROM outbox
      WHERE topic = 'events' AND payload->>'org_id' = $1 ORDER BY id`,
    [orgId],
  );

Deno.test(
  "notifications: a batch's notifications and mails in bulk, in order, once per member and event",
  opts,
  async () => {
    const { t, db, org } = await quietApp("batch");
    const trader = await addMember(t, org, "trader", "batch-trader");
    // The admin hears of runs in-app, by mail and as toasts; the trader as the defaults say (in-app only).
    expectStatus(
      await call(t, "PUT", "/api/notifications/preferences", {
        token: org.admin.tokens.access_token,
        body: { preferences: { "strategy.run_completed": ["in_app", "email", "toast"] } },
      }),
      200,
    );
    await db.query(
      `INSERT INTO webhook_endpoints (org_id, url, event_types, secret)
       VALUES ($1, 'https://hooks.example.com/optibid', ARRAY['strategy.run_completed'], 'whsec_test')`,
      [org.id],
    );
    const titles = Array.from({ length: 40 }, (_, i) => `Run ${i} — “quoted”, tab\there, back\\slash`);
    await db.transaction(async (tx) => {
      for (const title of titles) {
        await publishEvent(tx, org.id, "strategy.run_completed", { title, message: `${title} done`, n: 1 });
      }
    });

    const out = await dispatchOnce(db);
    assert.equal(out.events, 40);
    assert.equal(out.mails, 40);
    assert.equal(out.webhooks, 40);
    const mine = out.live.filter((l) => l.userId === org.admin.userId);
    const theirs = out.live.filter((l) => l.userId === trader.userId);
    assert.deepEqual(mine.map((l) => l.title), titles, "the admin's notices, in event order");
    assert.deepEqual(theirs.map((l) => l.title), titles, "the trader's too");
    assert.ok(mine.every((l) => l.toast) && theirs.every((l) => !l.toast));
    const ids = out.live.map((l) => l.notificationId);
    assert.ok(ids.every((id) => typeof id === "string"));
    assert.equal(new Set(ids).size, 80, "one notification per member and event");

    const stored = await db.query<{ id: string; user_id: string; title: string; message: string; data: unknown }>(
      `SELECT id, user_id, title, message, data FROM notifications WHERE org_id = $1`,
      [org.id],
    );
    assert.equal(stored.length, 80);
    const byId = new Map(stored.map((n) => [n.id, n]));
    for (const l of out.live) {
      const n = byId.get(l.notificationId!);
      assert.ok(n, "a live notice names its stored notification");
      assert.equal(n.user_id, l.userId);
      assert.equal(n.title, l.title);
      assert.equal(n.message, `${l.title} done`);
    }
    for (const n of stored) assert.deepEqual(n.data, { title: n.title, message: n.message, n: 1 }, "the event's data");
    // Mails and webhook deliveries in one outbox order: each event's mail, then its delivery, event after event.
    const outbox = await db.query<{ topic: string; title: string }>(
      `SELECT topic, CASE topic WHEN 'mail' THEN payload->>'subject'
                                ELSE (payload->>'body')::jsonb->'data'->>'title' END AS title
         FROM outbox WHERE (topic = 'mail' AND payload->>'to' = $1) OR (topic = 'webhook' AND payload->>'org_id' = $2)
        ORDER BY id`,
      [org.admin.email, org.id],
    );
    assert.deepEqual(
      outbox.map((o) => [o.topic, o.title]),
      titles.flatMap((x) => [["mail", `[OptiBid] ${x}`], ["webhook", x]]),
      "mails and deliveries in event order",
    );
    const list = await call(t, "GET", "/api/notifications?limit=100", { token: trader.tokens.access_token });
    expectStatus(list, 200);
    assert.equal(list.body.items.length, 40);

    // The same events again (their batch was not marked sent): no second notification; the toasts still go.
    await db.query(`UPDATE outbox SET sent_at = NULL WHERE topic = 'events'`);
    const again = await dispatchOnce(db);
    assert.equal(again.events, 40);
    assert.deepEqual(
      again.live.map((l) => [l.userId, l.title, l.notificationId]),
      titles.map((x) => [org.admin.userId, x, null]),
    );
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE org_id = $1`, [
      org.id,
    ]);
    assert.equal(n, 80);
  },
);

for (const embedded of [false, true]) {
  Deno.test(
    `notifications: an event whose writes fail is set aside alone; the batch's others are written${
      embedded ? " (PGlite)" : ""
    }`,
    opts,
    async () => {
      const { db, org } = await quietApp("batch-poison", embedded ? { DATABASE_URL: "" } : {});
      const poison = `poison-${crypto.randomUUID()}`;
      // Another module's bug, as the database sees it: one notification's INSERT fails (a check violation).
      const unrefuse = await refuseNotification(db, poison, "23514");
      try {
        await db.transaction(async (tx) => {
          for (const title of ["First", poison, "Third"]) {
            await publishEvent(tx, org.id, "strategy.run_completed", { title, message: title });
          }
        });
        const out = await dispatchOnce(db);
        assert.equal(out.events, 3);
        assert.deepEqual(out.live.map((l) => l.title), ["First", "Third"]);
        assert.ok(out.live.every((l) => l.notificationId));
        const stored = await db.query<{ title: string }>(
          `SELECT title FROM notifications WHERE org_id = $1 ORDER BY created_at, title`,
          [org.id],
        );
        assert.deepEqual(stored.map((n) => n.title), ["First", "Third"]);
        assert.deepEqual(
          (await eventsOf(db, org.id)).map((e) => [e.title, e.sent, e.last_error?.startsWith("set aside:") ?? false]),
          [
            ["First", true, false],
            [poison, true, true],
            ["Third", true, false],
          ],
        );
      } finally {
        await unrefuse();
      }
    },
  );
}

Deno.test(
  "notifications: a passing failure (a lock not available) fails the batch; nothing is set aside or lost",
  opts,
  async () => {
    const { db, org } = await quietApp("batch-busy");
    const busy = `busy-${crypto.randomUUID()}`;
    const unrefuse = await refuseNotification(db, busy, "55P03");
    const events = () => eventsOf(db, org.id);
    try {
      await db.transaction(async (tx) => {
        for (const title of ["First", busy]) await publishEvent(tx, org.id, "strategy.run_completed", { title });
      });
      await assert.rejects(dispatchOnce(db), { code: "55P03" });
      assert.deepEqual((await events()).map((e) => [e.sent, e.last_error]), [[false, null], [false, null]]);
    } finally {
      await unrefuse();
    }
    // Once the lock is there to take, the same events go out, each once.
    assert.equal((await dispatchOnce(db)).events, 2);
    assert.deepEqual((await events()).map((e) => [e.title, e.sent, e.last_error]), [["First", true, null], [
      busy,
      true,
      null,
    ]]);
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE org_id = $1`, [
      org.id,
    ]);
    assert.equal(n, 2);
  },
);
