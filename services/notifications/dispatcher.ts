/**
 * Fans published events (outbox topic `events`, ./events.ts) out, in one transaction per batch: an
 * in-app notification, an e-mail (outbox topic `mail`) and a toast for each member of the organization as
 * their preferences say, and a delivery (outbox topic `webhook`) for each enabled endpoint that wants the
 * type. The event is marked sent in the same transaction, so each is fanned out exactly once; one
 * dispatcher at a time across instances (an advisory lock), so events go out in order.
 *
 * An `alert.fired` event names its alert's owner and channels: they replace the preferences, and a
 * webhook delivery is made only when the alert chose the webhook channel.
 */
import type { Database, Queryable } from "../../db/database.ts";
import { noticeLevel, noticeText } from "../bids/notice.ts";
import { type BidsByKey, getBidsByKey } from "../bids/store.ts";
import { memoReads } from "../memo.ts";
import { log } from "../log/logger.ts";
import type { AlertLevel } from "../realtime/protocol.ts";
import {
  type Channel,
  DEFAULT_CHANNELS,
  EVENT_LABELS,
  EVENTS_TOPIC,
  isEventType,
  type PublishedEvent,
} from "./events.ts";
import { MAIL_TOPIC } from "./mail_relay.ts";
import { WEBHOOK_TOPIC, type WebhookMessage } from "./webhooks.ts";

/** What the realtime hub is told after commit: a toast, or only "your unread count changed". */
export interface LiveNotice {
  orgId: string;
  userId: string;
  notificationId: string | null;
  toast: boolean;
  level: AlertLevel;
  title: string;
  message: string;
}

export interface DispatchResult {
  events: number;
  mails: number;
  webhooks: number;
  live: LiveNotice[];
}

const BATCH = 100;

interface Text {
  level: AlertLevel;
  title: string;
  message: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuidOr = (v: unknown) => (typeof v === "string" && UUID.test(v) ? v : null);

const str = (v: unknown, max: number) => (typeof v === "string" && v ? v.slice(0, max) : null);

/** An event the dispatcher can fan out: a known type, of an organization, with an id (others pass unheard). */
const wellFormed = (e: PublishedEvent | null) =>
  // Checked before the events' savepoints (the batch's bid read): any JSON at all must pass here without throwing.
  typeof e === "object" && e !== null && isEventType(e.type) && !!uuidOr(e.org_id) && !!uuidOr(e.id);

/** The bid a bid event is about, if it names one. */
const bidOf = (e: PublishedEvent) =>
  // Read before the events' savepoints too (the batch's bids at once): a malformed event must not throw here.
  e.type.startsWith("bid.") ? uuidOr((e.data as Record<string, unknown> | null | undefined)?.bid_id) : null;

/**
 * The words of an event: bids (read back for the whole batch at once, `bids`) are worded as their toasts are;
 * others bring their own.
 */
function describe(bids: BidsByKey, e: PublishedEvent): Text {
  const bidId = bidOf(e);
  if (bidId) {
    const to = String(e.data.to ?? "");
    const bid = bids.get(e.org_id, bidId);
    if (!bid) {
      return { level: noticeLevel(to), title: "Bid", message: `A bid moved from ${e.data.from ?? "new"} to ${to}` };
    }
    const { title, message } = noticeText({ ...bid, status: to });
    return { level: noticeLevel(to), title: title.slice(0, 160), message };
  }
  const level = ["info", "warning", "critical"].includes(String(e.data.level)) ? e.data.level as AlertLevel : "info";
  return {
    level,
    title: str(e.data.title, 160) ?? EVENT_LABELS[e.type],
    message: str(e.data.message, 1000) ?? EVENT_LABELS[e.type],
  };
}

/** The Standard Webhooks payload: `type`, `timestamp` and the event's `data`. */
export function webhookBody(e: PublishedEvent): string {
  const { channels: _c, user_id: _u, ...data } = e.data;
  return JSON.stringify({ type: e.type, timestamp: e.at, data: { event_id: e.id, ...data } });
}

type Recipient = { id: string; email: string; channels: Channel[] | null };

/**
 * The reads a batch's events share: who of an organization hears of an event type, and its webhook endpoints
 * for it. A burst of bids puts a hundred events of one organization and type in a batch; each read is made once
 * a batch (one transaction) instead of once an event. A failed read is not kept.
 */
function batchReads(tx: Queryable) {
  // For the batch's one transaction: no expiry (memoReads keeps no failed read).
  const recipients = memoReads<Recipient[]>(Infinity);
  const endpoints = memoReads<{ id: string }[]>(Infinity);
  return {
    recipients: (orgId: string, type: string, onlyUser: string | null) =>
      recipients.get(`${orgId}\u0000${type}\u0000${onlyUser}`, () =>
        tx.query<Recipient>(
          `SELECT u.id, u.email, p.channels FROM memberships m JOIN users u ON u.id = m.user_id
             LEFT JOIN notification_preferences p ON p.org_id = m.org_id AND p.user_id = m.user_id AND p.event_type = $2
            WHERE m.org_id = $1 AND u.status = 'active' AND ($3::uuid IS NULL OR u.id = $3::uuid)`,
          [orgId, type, onlyUser],
        )).value,
    endpoints: (orgId: string, type: string) =>
      endpoints.get(`${orgId}\u0000${type}`, () =>
        tx.query<{ id: string }>(
          `SELECT id FROM webhook_endpoints WHERE org_id = $1 AND enabled AND $2 = ANY(event_types)`,
          [orgId, type],
        )).value,
  };
}
type BatchReads = ReturnType<typeof batchReads>;

async function fanOut(
  tx: Queryable,
  reads: BatchReads,
  bids: BidsByKey,
  e: PublishedEvent,
  out: DispatchResult,
): Promise<void> {
  const text = describe(bids, e);
  const alertChannels = e.type === "alert.fired" && Array.isArray(e.data.channels)
    ? (e.data.channels as string[])
    : null;
  const recipients = await reads.recipients(
    e.org_id,
    e.type,
    // An alert's event without a valid owner reaches nobody rather than everybody.
    alertChannels ? uuidOr(e.data.user_id) ?? "00000000-0000-0000-0000-000000000000" : null,
  );
  for (const r of recipients) {
    const channels: string[] = alertChannels
      ? alertChannels.map((c) => (c === "notification" ? "in_app" : c))
      : r.channels ?? DEFAULT_CHANNELS[e.type];
    let notificationId: string | null = null;
    if (channels.includes("in_app")) {
      const [row] = await tx.query<{ id: string }>(
        `INSERT INTO notifications (org_id, user_id, event_id, type, level, title, message, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) ON CONFLICT (user_id, event_id) DO NOTHING RETURNING id`,
        [e.org_id, r.id, e.id, e.type, text.level, text.title, text.message, JSON.stringify(e.data)],
      );
      notificationId = row?.id ?? null;
    }
    if (channels.includes("email")) {
      await tx.query(`INSERT INTO outbox (topic, key, payload) VALUES ($1, $2, $3::jsonb)`, [
        MAIL_TOPIC,
        r.id,
        JSON.stringify({ to: r.email, subject: `[OptiBid] ${text.title}`, text: `${text.message}\n\n— OptiBid` }),
      ]);
      out.mails++;
    }
    const toast = channels.includes("toast");
    if (toast || notificationId) {
      out.live.push({ orgId: e.org_id, userId: r.id, notificationId, toast, ...text });
    }
  }
  if (alertChannels && !alertChannels.includes("webhook")) return;
  const endpoints = await reads.endpoints(e.org_id, e.type);
  const body = webhookBody(e);
  for (const ep of endpoints) {
    const msg: WebhookMessage = { endpoint_id: ep.id, org_id: e.org_id, message_id: `msg_${e.id}`, type: e.type, body };
    await tx.query(`INSERT INTO outbox (topic, key, payload) VALUES ($1, $2, $3::jsonb)`, [
      WEBHOOK_TOPIC,
      ep.id,
      JSON.stringify(msg),
    ]);
    out.webhooks++;
  }
}

/** One batch of events, fanned out and marked sent in one transaction. */
export async function dispatchOnce(db: Database): Promise<DispatchResult> {
  // Most batches hold no event that fails: they are fanned out without a savepoint per event (two round trips
  // an event fewer). When one fails, the whole batch is rolled back and done again, each event in a savepoint.
  try {
    return await dispatchBatch(db, false);
  } catch (err) {
    log.warn("notifications: a batch failed; done again event by event", {
      error: err instanceof Error ? err.message : String(err),
    });
    return await dispatchBatch(db, true);
  }
}

async function dispatchBatch(db: Database, isolate: boolean): Promise<DispatchResult> {
  return await db.transaction(async (tx) => {
    const out: DispatchResult = { events: 0, mails: 0, webhooks: 0, live: [] };
    const [{ locked }] = await tx.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_xact_lock(hashtext('optibid.events')) AS locked`,
    );
    if (!locked) return out;
    const rows = await tx.query<{ id: string; payload: PublishedEvent }>(
      `SELECT p.id::text AS id, p.payload FROM outbox_pending($1, $2) p ORDER BY p.id`,
      [EVENTS_TOPIC, BATCH],
    );
    const failed: { id: string; error: string }[] = [];
    const reads = batchReads(tx);
    const valid = rows.map((r) => r.payload).filter(wellFormed);
    const bids = await getBidsByKey(
      tx,
      valid.flatMap((e) => {
        const id = bidOf(e);
        return id ? [{ orgId: e.org_id, id }] : [];
      }),
    );
    for (const row of rows) {
      out.events++;
      if (!wellFormed(row.payload)) continue;
      if (!isolate) {
        await fanOut(tx, reads, bids, row.payload, out);
        continue;
      }
      // One event that fails must not hold back every later one: it is set aside with its error.
      await tx.query("SAVEPOINT fan_out");
      const before = { live: out.live.length, mails: out.mails, webhooks: out.webhooks };
      try {
        await fanOut(tx, reads, bids, row.payload, out);
        await tx.query("RELEASE SAVEPOINT fan_out");
      } catch (err) {
        await tx.query("ROLLBACK TO SAVEPOINT fan_out");
        // What the event fanned out before it failed is rolled back: no live notice of it goes out, none is counted.
        out.live.length = before.live;
        out.mails = before.mails;
        out.webhooks = before.webhooks;
        failed.push({ id: row.id, error: err instanceof Error ? err.message : String(err) });
      }
    }
    for (const f of failed) {
      await tx.query(`UPDATE outbox SET last_error = $2 WHERE id = $1::bigint`, [
        f.id,
        `set aside: ${f.error}`.slice(0, 500),
      ]);
    }
    if (rows.length) {
      await tx.query(`UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])`, [
        rows.map((r) => r.id),
      ]);
    }
    return out;
  });
}
