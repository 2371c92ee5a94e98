/** Sent outbox rows past their retention are deleted; unsent ones and recent ones stay (services/bids/outbox_retention.ts). */
import assert from "node:assert/strict";
import {
  OUTBOX_KEEP_DAYS,
  pruneSentOutbox,
  startOutboxRetention,
  WEBHOOK_KEEP_DAYS,
} from "../../services/bids/outbox_retention.ts";
import { setLogSink } from "../../services/log/logger.ts";
import { WEBHOOK_TOPIC } from "../../services/notifications/webhooks.ts";
import { testDatabase } from "../helpers/database.ts";

const DAY = 86_400_000;
const now = new Date("2026-06-15T12:00:00Z");
const daysAgo = (d: number) => new Date(now.getTime() - d * DAY).toISOString();

Deno.test("outbox retention: sent rows past their topic's retention go, unsent and recent ones stay", {
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const restore = setLogSink(() => {});
  const db = await testDatabase("outbox_retention");
  try {
    // key: what the row is; created a little before it was sent (null: never sent).
    const rows: { key: string; topic: string; created: number; sent: number | null; kept: boolean }[] = [
      { key: "old-sent", topic: "bids.events", created: 40, sent: 40, kept: false },
      { key: "old-unsent", topic: "bids.events", created: 40, sent: null, kept: true },
      { key: "past-7-days", topic: "events", created: OUTBOX_KEEP_DAYS + 1, sent: OUTBOX_KEEP_DAYS + 1, kept: false },
      { key: "sent-late", topic: "mail", created: OUTBOX_KEEP_DAYS + 2, sent: OUTBOX_KEEP_DAYS - 1, kept: true },
      { key: "webhook-within", topic: WEBHOOK_TOPIC, created: WEBHOOK_KEEP_DAYS - 1, sent: 20, kept: true },
      {
        key: "webhook-past",
        topic: WEBHOOK_TOPIC,
        created: WEBHOOK_KEEP_DAYS + 1,
        sent: WEBHOOK_KEEP_DAYS + 1,
        kept: false,
      },
      { key: "recent", topic: "bids.events", created: 1, sent: 1, kept: true },
    ];
    // In creation order, as ids are handed out.
    for (const r of [...rows].sort((a, b) => b.created - a.created)) {
      await db.query(
        `INSERT INTO outbox (topic, key, payload, created_at, sent_at) VALUES ($1, $2, '{}'::jsonb, $3, $4)`,
        [r.topic, r.key, daysAgo(r.created), r.sent === null ? null : daysAgo(r.sent)],
      );
    }
    // Many old sent rows ahead of them, so that the scan takes several batches.
    await db.query(
      `INSERT INTO outbox (topic, key, payload, created_at, sent_at)
       SELECT 'bids.events', 'bulk', '{}'::jsonb, $1, $1 FROM generate_series(1, 25)`,
      [daysAgo(50)],
    );
    await db.query(`UPDATE outbox SET id = id + 1000 WHERE key <> 'bulk'`); // the bulk rows first, as the oldest

    const first = await pruneSentOutbox(db, now, { batch: 10 });
    assert.equal(first.ran, true);
    assert.equal(first.deleted, 25 + rows.filter((r) => !r.kept).length);
    const left = await db.query<{ key: string }>(`SELECT key FROM outbox ORDER BY key`);
    assert.deepEqual(left.map((r) => r.key), rows.filter((r) => r.kept).map((r) => r.key).sort());

    assert.deepEqual(
      await pruneSentOutbox(db, now, { batch: 10 }),
      { deleted: 0, ran: true },
      "a second pass finds nothing",
    );

    // Stopping between transactions: one batch, then the pass ends (a shutdown does not wait for the backlog).
    await db.query(
      `INSERT INTO outbox (topic, key, payload, created_at, sent_at)
       SELECT 'bids.events', 'backlog', '{}'::jsonb, $1, $1 FROM generate_series(1, 30)`,
      [daysAgo(60)],
    );
    await db.query(`UPDATE outbox SET id = id + 100000 WHERE key <> 'backlog'`); // the backlog the oldest of all
    const stopped = await pruneSentOutbox(db, now, { batch: 10, stopping: () => true });
    assert.deepEqual(stopped, { deleted: 10, ran: true });
    assert.equal((await pruneSentOutbox(db, now, { batch: 10 })).deleted, 20, "the next pass takes the rest");

    // Another instance holding the lock: the pass is skipped, nothing deleted.
    await db.query(`UPDATE outbox SET sent_at = $1 WHERE key = 'old-unsent'`, [daysAgo(39)]);
    const held = Promise.withResolvers<void>();
    const holding = db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('optibid.outbox_retention'))`);
      await held.promise;
    });
    try {
      // PGlite runs one transaction at a time: the lock can only be seen held on Postgres.
      if (db.kind === "postgres") {
        assert.deepEqual(await pruneSentOutbox(db, now, { batch: 10 }), { deleted: 0, ran: false });
      }
    } finally {
      held.resolve();
      await holding;
    }

    // The job: a pass at start (firstMs), then on its interval.
    const job = startOutboxRetention({ db: () => db, firstMs: 0, everyMs: 60_000 });
    try {
      for (let i = 0; i < 100; i++) {
        const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE key = 'old-unsent'`);
        if (n === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE key = 'old-unsent'`);
      assert.equal(n, 0, "the job's first pass deleted the row sent since");
    } finally {
      await job.stop();
    }
  } finally {
    await db.close();
    restore();
  }
});
