/** The outbox relay with a publisher that fails, then recovers: nothing lost, nothing reordered per bid. */
import assert from "node:assert/strict";
import { migrate } from "../../db/migrate.ts";
import { enqueueEvent, type OutboxEvent, relayOutbox, startOutboxRelay } from "../../services/bids/outbox.ts";
import { setLogSink } from "../../services/log/logger.ts";
import { dispatchOnce } from "../../services/notifications/dispatcher.ts";
import { EVENTS_TOPIC } from "../../services/notifications/events.ts";
import { testDatabase } from "../helpers/database.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test("outbox: a failing publisher delays events; after recovery all arrive, in order per bid", opts, async () => {
  const restore = setLogSink(() => {});
  const db = await testDatabase("outbox");
  try {
    await migrate(db);
    const bids = ["bid-a", "bid-b", "bid-c"];
    for (let i = 0; i < 30; i++) {
      const key = bids[i % 3];
      await db.transaction((tx) => enqueueEvent(tx, "bids.events", key, { seq: i, key }));
    }
    const published: OutboxEvent[] = [];
    let up = false;
    let calls = 0;
    const publish = (events: OutboxEvent[]) => {
      calls++;
      // Down at first, then flaky: every 4th call fails even after it is up.
      if (!up || calls % 4 === 0) return Promise.reject(new Error("broker unreachable"));
      published.push(...events);
      return Promise.resolve();
    };
    assert.equal(await relayOutbox(db, publish), 0, "nothing goes while the target is down");
    const [{ pending }] = await db.query<{ pending: number }>(
      `SELECT count(*)::int AS pending FROM outbox WHERE sent_at IS NULL`,
    );
    assert.equal(pending, 30, "and nothing is lost");
    up = true;
    for (let pass = 0; pass < 100 && published.length < 30; pass++) await relayOutbox(db, publish, 7);
    assert.equal(published.length, 30);
    assert.deepEqual(published.map((e) => e.payload.seq), [...Array(30).keys()], "global order kept");
    for (const key of bids) {
      const seqs = published.filter((e) => e.key === key).map((e) => e.payload.seq as number);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `order of ${key}`);
    }
    const [{ unsent }] = await db.query<{ unsent: number }>(
      `SELECT count(*)::int AS unsent FROM outbox WHERE sent_at IS NULL`,
    );
    assert.equal(unsent, 0);
  } finally {
    await db.close();
    restore();
  }
});

Deno.test("outbox relay runs on a timer and on kick", opts, async () => {
  const db = await testDatabase("outbox");
  try {
    await migrate(db);
    const seen: string[] = [];
    const relay = startOutboxRelay({
      db: () => db,
      publish: (events) => (seen.push(...events.map((e) => e.key)), Promise.resolve()),
      everyMs: 50,
    });
    await db.transaction((tx) => enqueueEvent(tx, "bids.events", "x", { n: 1 }));
    relay.kick();
    const deadline = Date.now() + 3000;
    while (!seen.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await relay.stop();
    assert.deepEqual(seen, ["x"]);
  } finally {
    await db.close();
  }
});

Deno.test("outbox readers take the oldest rows of their own topics by id, not by the id's text", opts, async () => {
  const db = await testDatabase("outbox");
  try {
    await migrate(db);
    // 240 rows, topics interleaved as a burst of bids writes them: odd ids the dispatcher's 'events', even ids
    // two topics for the bus (one of them no relay of its own claims). By the id's text the dispatcher's batch
    // of 100 would take '101' … '199' before '21' … '99'.
    const topicOf = (i: number) => i % 2 === 1 ? EVENTS_TOPIC : i % 4 === 0 ? "bids.events" : "other.events";
    for (let i = 1; i <= 240; i++) await db.transaction((tx) => enqueueEvent(tx, topicOf(i), "k", { i }));
    const [{ first }] = await db.query<{ first: string }>(`SELECT min(id)::text AS first FROM outbox`);
    const idOf = (i: number) => String(BigInt(first) + BigInt(i - 1));
    const pendingEvents = async () =>
      (await db.query<{ id: string }>(
        `SELECT id::text AS id FROM outbox WHERE topic = $1 AND sent_at IS NULL ORDER BY outbox.id`,
        [EVENTS_TOPIC],
      )).map((r) => r.id);
    const odd = (from: number, to: number) =>
      [...Array(to - from + 1).keys()].map((k) => k + from).filter((i) => i % 2 === 1);
    await dispatchOnce(db);
    assert.deepEqual(await pendingEvents(), odd(201, 240).map(idOf), "the 100 oldest events went first");
    const published: OutboxEvent[] = [];
    const publish = (events: OutboxEvent[]) => (published.push(...events), Promise.resolve());
    assert.equal(await relayOutbox(db, publish, 30), 30);
    const bus = [...Array(120).keys()].map((k) => 2 * (k + 1));
    // One message per topic a pass (each in id order), so the pass's rows are compared as a set.
    const sorted = () => published.map((e) => e.payload.i as number).sort((a, b) => a - b);
    assert.deepEqual(sorted(), bus.slice(0, 30), "the 30 oldest bus rows");
    while (await relayOutbox(db, publish) > 0);
    assert.deepEqual(sorted(), bus);
    for (const topic of ["bids.events", "other.events"]) {
      const ids = published.filter((e) => e.topic === topic).map((e) => BigInt(e.id));
      assert.deepEqual(ids, [...ids].sort((a, b) => a < b ? -1 : a > b ? 1 : 0), `${topic} in id order`);
    }
    assert.ok(published.every((e) => e.topic !== EVENTS_TOPIC));
  } finally {
    await db.close();
  }
});
