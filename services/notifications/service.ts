/**
 * The notification machinery of one instance: the dispatcher (events → notifications, mail, webhook
 * deliveries), the mail relay (when SMTP_URL is set) and the webhook relay, each a polling loop that a
 * commit can kick. Live notices (bell counts, toasts) go to the realtime hub after the dispatcher commits.
 */
import type { Database } from "../../db/database.ts";
import { createSmtpMailer, type Mailer } from "../adapters/smtp.ts";
import type { Config } from "../config/env.ts";
import { log } from "../log/logger.ts";
import type { RealtimeHub } from "../realtime/hub.ts";
import { dispatchOnce, type LiveNotice } from "./dispatcher.ts";
import { startDueRelay } from "./due_outbox.ts";
import { sendMailOnce } from "./mail_relay.ts";
import { deliverWebhooksOnce } from "./webhook_relay.ts";

export interface NotificationsDeps {
  config: Config;
  db: () => Database;
  live: (n: LiveNotice) => void;
  /** Tests: a clock for retry schedules and a mailer in place of SMTP. */
  now?: () => number;
  mailer?: Mailer;
}

export function hubNotice(realtime: RealtimeHub) {
  return (n: LiveNotice) =>
    realtime.publishAlert({ level: n.level, title: n.title, message: n.message }, {
      orgId: n.orgId,
      userId: n.userId,
      notification: { id: n.notificationId ?? crypto.randomUUID(), toast: n.toast },
    });
}

export function createNotifications(deps: NotificationsDeps) {
  const warn = (what: string) => (e: unknown) => log.warn(what, { error: e instanceof Error ? e.message : String(e) });
  const mailer = deps.mailer ??
    (deps.config.smtp.url ? createSmtpMailer(deps.config.smtp.url, deps.config.smtp.from) : null);
  const mail = mailer
    ? startDueRelay(() => sendMailOnce(deps.db(), mailer, { now: deps.now }), 5_000, warn("mail relay pass failed"))
    : null;
  const webhooks = startDueRelay(
    () =>
      deliverWebhooksOnce({
        db: deps.db,
        allowPrivate: deps.config.webhooks.allowPrivate,
        timeoutMs: deps.config.webhooks.timeoutMs,
        now: deps.now,
      }),
    2_000,
    warn("webhook relay pass failed"),
  );
  const dispatcher = startDueRelay(
    async () => {
      const out = await dispatchOnce(deps.db());
      for (const n of out.live) deps.live(n);
      if (out.mails) mail?.kick();
      if (out.webhooks) webhooks.kick();
      return out.events;
    },
    1_000,
    warn("notification dispatch failed"),
  );

  return {
    mailEnabled: mailer !== null,
    start() {
      dispatcher.start();
      mail?.start();
      webhooks.start();
    },
    /** An event was committed: fan it out soon. */
    kick: () => dispatcher.kick(),
    /** Tests: one full round now (dispatch, then mail and webhooks). */
    async drain() {
      await dispatcher.runNow();
      await mail?.runNow();
      await webhooks.runNow();
    },
    async stop() {
      await dispatcher.stop();
      await mail?.stop();
      await webhooks.stop();
      mailer?.close();
    },
  };
}

export type NotificationsService = ReturnType<typeof createNotifications>;
