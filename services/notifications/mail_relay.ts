/**
 * Sends e-mails queued in the outbox (topic `mail`, written by the dispatcher in the same transaction as
 * the notification): each claimed, sent with no transaction open, and marked sent; a mail server that is
 * down or refuses leaves the row for a later attempt (./backoff.ts), so an outage delays mail, never loses it.
 */
import type { Database } from "../../db/database.ts";
import type { Mail, Mailer } from "../adapters/smtp.ts";
import { log } from "../log/logger.ts";
import { mailRetryAt } from "./backoff.ts";
import { claimDue, finishRow, retryRow } from "./due_outbox.ts";

export const MAIL_TOPIC = "mail";

export async function sendMailOnce(
  db: Database,
  mailer: Mailer,
  o: { now?: () => number } = {},
): Promise<number> {
  const now = (o.now ?? Date.now)();
  const rows = await claimDue<Mail>(db, MAIL_TOPIC, { now, leaseMs: 60_000, limit: 20 });
  for (const row of rows) {
    try {
      await mailer.send(row.payload);
      await finishRow(db, row.id, (o.now ?? Date.now)());
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const at = (o.now ?? Date.now)();
      const retryAt = mailRetryAt(row.attempts + 1, at, Date.parse(row.created_at));
      log.warn("mail not sent; will retry", { outbox_id: row.id, error: message });
      if (retryAt === null) await finishRow(db, row.id, at, `gave up: ${message}`);
      else await retryRow(db, row.id, retryAt, message);
    }
  }
  return rows.length;
}
