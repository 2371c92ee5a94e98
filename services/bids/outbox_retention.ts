/**
 * Sent outbox rows do not stay forever: every bid writes two (its own event and the status change the history
 * trigger publishes), and nothing read them once sent, so the table grew with every bid ever made. A row sent
 * more than `OUTBOX_KEEP_DAYS` ago is deleted; a webhook message is kept `WEBHOOK_KEEP_DAYS`, as long as it can
 * be sent again from its endpoint's delivery log (services/notifications/webhooks.ts `redeliver`). Unsent rows
 * are never touched, however old: they are work still owed.
 *
 * The scan walks the primary key from the oldest row in batches and stops at the first row created after the
 * shorter cutoff (a row's `sent_at` is after its `created_at`, so nothing later can qualify): no index on
 * `sent_at` to maintain on the hot path, and each batch is one short transaction. One instance prunes at a
 * time (an advisory lock); the others skip the pass.
 */
import type { Database } from "../../db/database.ts";
import { log } from "../log/logger.ts";
import { passLoop } from "../queue/pass_loop.ts";
import { WEBHOOK_TOPIC } from "../notifications/webhooks.ts";

export const OUTBOX_KEEP_DAYS = 7;
export const WEBHOOK_KEEP_DAYS = 30;
const DAY_MS = 86_400_000;
const BATCH = 5_000;
const EVERY_MS = 60 * 60_000;

export interface PruneResult {
  deleted: number;
  /** False when another instance held the lock: nothing was looked at. */
  ran: boolean;
}

/**
 * Deletes sent rows past their retention at `now`, oldest first, `batch` rows looked at per transaction.
 * `stopping`: asked between transactions, so that a shutdown during a long first pass (a table that grew for
 * months) waits for one batch, not for the whole backlog.
 */
export async function pruneSentOutbox(
  db: Database,
  now: Date,
  opts: { batch?: number; stopping?: () => boolean } = {},
): Promise<PruneResult> {
  const batch = opts.batch ?? BATCH;
  const cutoff = new Date(now.getTime() - OUTBOX_KEEP_DAYS * DAY_MS);
  const webhookCutoff = new Date(now.getTime() - WEBHOOK_KEEP_DAYS * DAY_MS);
  let after = "0";
  let deleted = 0;
  for (;;) {
    const pass = await db.transaction(async (tx) => {
      const [{ locked }] = await tx.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_xact_lock(hashtext('optibid.outbox_retention')) AS locked`,
      );
      if (!locked) return null;
      const [row] = await tx.query<{ last: string | null; more: boolean; deleted: number }>(
        `WITH batch AS (
           SELECT id, topic, sent_at, created_at FROM outbox WHERE id > $1::bigint ORDER BY id LIMIT $2),
         gone AS (
           DELETE FROM outbox o USING batch b
            WHERE o.id = b.id AND b.sent_at IS NOT NULL
              AND b.sent_at < CASE WHEN b.topic = $5 THEN $4::timestamptz ELSE $3::timestamptz END
           RETURNING o.id)
         SELECT (SELECT max(id) FROM batch)::text AS last,
                (SELECT count(*) FROM batch) = $2 AND (SELECT max(created_at) FROM batch) < $3::timestamptz AS more,
                (SELECT count(*) FROM gone)::int AS deleted`,
        [after, batch, cutoff, webhookCutoff, WEBHOOK_TOPIC],
      );
      return row;
    });
    if (!pass) return { deleted, ran: false };
    deleted += pass.deleted;
    if (!pass.more || pass.last === null || opts.stopping?.()) return { deleted, ran: true };
    after = pass.last;
  }
}

/**
 * Prunes a minute after start (not among start-up's own work), then hourly: a `passLoop`, so passes never
 * overlap and a failed one is logged and retried on the next.
 */
export function startOutboxRetention(opts: { db: () => Database; everyMs?: number; firstMs?: number }) {
  let stopping = false;
  const loop = passLoop({
    pass: async () => {
      const r = await pruneSentOutbox(opts.db(), new Date(), { stopping: () => stopping });
      if (r.deleted) log.info("sent outbox rows past retention deleted", { deleted: r.deleted });
      return false;
    },
    everyMs: opts.everyMs ?? EVERY_MS,
    onError: (e) => log.warn("outbox retention pass failed; next pass retries", { error: String(e) }),
  });
  const first = setTimeout(() => loop.start(), opts.firstMs ?? 60_000);
  return {
    async stop() {
      stopping = true; // a pass under way ends after its current transaction
      clearTimeout(first);
      await loop.stop();
    },
  };
}
