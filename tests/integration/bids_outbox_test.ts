/** The outbox relay with a publisher that fails, then recovers: nothing lost, nothing reordered per bid. */
import assert from "node:assert/strict";
import { migrate } from "../../db/migrate.ts";
import { enqueueEvent, type OutboxEvent, relayOutbox, startOutboxRelay } from "../../services/bids/outbox.ts";
import { setLogSink } from "../../services/log/logger.ts";
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
