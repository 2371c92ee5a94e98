/**
 * The outbox: events written in the same transaction as the change they
 * describe, published afterwards by a relay at least once, in order. The relay
 * takes the oldest unsent events, publishes them one by one and marks each
 * sent; at the first failure it stops, so no event overtakes an earlier one of
 * the same bid, and the rest wait for the next run (the target's outage
 * delays events, never loses them).
 */
import type { Database, Queryable } from "../../db/database.ts";
import { log } from "../log/logger.ts";
import { passLoop } from "../queue/pass_loop.ts";
import { EVENTS_TOPIC } from "../notifications/events.ts";
import { MAIL_TOPIC } from "../notifications/mail_relay.ts";
import { WEBHOOK_TOPIC } from "../notifications/webhooks.ts";

export const BID_EVENTS_TOPIC = "bids.events";
/** Model runs for MLflow: written here, delivered by their own relay (services/models/mlflow_relay.ts). */
export const MLFLOW_RUNS_TOPIC = "mlflow.runs";
/**
 * Topics that go to an external system rather than the bus: the bus relay leaves them alone, so
 * an MLflow outage neither blocks bid events nor lets MLflow's events leak onto the bus.
 */
export const OWN_RELAY_TOPICS: readonly string[] = [MLFLOW_RUNS_TOPIC, EVENTS_TOPIC, MAIL_TOPIC, WEBHOOK_TOPIC];

export interface OutboxEvent {
  id: string;
  topic: string;
  key: string;
  payload: Record<string, unknown>;
}

export async function enqueueEvent(q: Queryable, topic: string, key: string, payload: Record<string, unknown>) {
  await q.query(`INSERT INTO outbox (topic, key, payload) VALUES ($1, $2, $3::jsonb)`, [
    topic,
    key,
    JSON.stringify(payload),
  ]);
}

/** Publishes events of one topic, in order, as one message. */
export type Publish = (events: OutboxEvent[]) => Promise<void>;

/**
 * One pass: returns how many events were sent. One relay at a time across
 * instances (a transaction-level advisory lock): two relays working at once
 * could publish a bid's later event before its earlier one. Events go out in
 * order, as one message per topic per pass (a message holds them in id order),
 * so a busy outbox costs one publish per pass, not one per event.
 */
/** Events per pass: one message holds them all, and a Deno KV message must stay under 64 KiB. */
export const RELAY_BATCH = 100;

export async function relayOutbox(db: Database, publish: Publish, limit = RELAY_BATCH): Promise<number> {
  return await db.transaction(async (tx) => {
    const [{ locked }] = await tx.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_xact_lock(hashtext('optibid.outbox')) AS locked`,
    );
    if (!locked) return 0;
    // The topics with unsent rows, one index probe each (a loose scan of outbox_pending_topic), then the oldest
    // rows of each of the bus's topics (db/migrations/022): a backlog of another relay's rows is never read here.
    const events = await tx.query<OutboxEvent>(
      `WITH RECURSIVE pending AS (
         (SELECT topic FROM outbox WHERE sent_at IS NULL ORDER BY topic LIMIT 1)
         UNION ALL
         SELECT (SELECT o.topic FROM outbox o WHERE o.sent_at IS NULL AND o.topic > pending.topic
                  ORDER BY o.topic LIMIT 1)
           FROM pending WHERE pending.topic IS NOT NULL)
       SELECT e.id::text AS id, e.topic, e.key, e.payload
         FROM pending CROSS JOIN LATERAL outbox_pending(pending.topic, $1) e
        WHERE pending.topic IS NOT NULL AND pending.topic <> ALL($2::text[])
        ORDER BY e.id LIMIT $1`,
      [limit, OWN_RELAY_TOPICS],
    );
    if (!events.length) return 0;
    // Topics in the order their first event appears; within a topic, id order.
    const byTopic = new Map<string, OutboxEvent[]>();
    for (const e of events) byTopic.set(e.topic, [...(byTopic.get(e.topic) ?? []), e]);
    const sent: string[] = [];
    for (const [, list] of byTopic) {
      try {
        await publish(list);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await tx.query(
          `UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])`,
          [list.map((e) => e.id), message.slice(0, 500)],
        );
        log.warn("outbox publish failed; will retry", { topic: list[0].topic, events: list.length, error: message });
        // A later topic's events wait too: a relay pass is all or the prefix that went out.
        break;
      }
      sent.push(...list.map((e) => e.id));
    }
    if (sent.length) {
      await tx.query(`UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])`, [sent]);
    }
    return sent.length;
  });
}

/** Runs the relay every `everyMs` (and soon after `kick()`, which follows a commit). */
export function startOutboxRelay(opts: { db: () => Database; publish: Publish; everyMs?: number }) {
  const loop = passLoop({
    pass: async () => (await relayOutbox(opts.db(), opts.publish)) === RELAY_BATCH,
    everyMs: opts.everyMs ?? 1000,
    kickDelayMs: 50,
    onError: (e) => log.warn("outbox relay pass failed", { error: e instanceof Error ? e.message : String(e) }),
  });
  loop.start();
  return { kick: loop.kick, stop: loop.stop };
}
