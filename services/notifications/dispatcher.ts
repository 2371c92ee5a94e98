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
import { type Database, inSavepoint, type Queryable } from "../../db/database.ts";
import { pgArray } from "../../db/sql.ts";
import { noticeLevel, noticeText } from "../bids/notice.ts";
import { type BidsByKey, getBidsByKey } from "../bids/store.ts";
import { memoReads } from "../memo.ts";
import { log } from "../log/logger.ts";
import { isPassingDatabaseFailure } from "../adapters/database_failures.ts";
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
/**
 * Events of a batch done again one by one, each in a savepoint: fewer than the 64 subtransactions a Postgres
 * backend keeps in its cache, past which every session's snapshots slow down while the transaction lasts.
 * The rest of the batch goes in the next passes.
 */
const ISOLATED_BATCH = 50;

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
function batchReads() {
  // For the batch's one transaction: no expiry (memoReads keeps no failed read).
  const recipients = memoReads<Recipient[]>(Infinity);
  const endpoints = memoReads<{ id: string }[]>(Infinity);
  return {
    // `q`: the handle in use (an event's savepoint when events are isolated): a read that fails through the
    // transaction's own handle would fail the whole transaction on Postgres, savepoint or not.
    recipients: (q: Queryable, orgId: string, type: string, onlyUser: string | null) =>
      recipients.get(`${orgId}\u0000${type}\u0000${onlyUser}`, () =>
        q.query<Recipient>(
          `SELECT u.id, u.email, p.channels FROM memberships m JOIN users u ON u.id = m.user_id
             LEFT JOIN notification_preferences p ON p.org_id = m.org_id AND p.user_id = m.user_id AND p.event_type = $2
            WHERE m.org_id = $1 AND u.status = 'active' AND ($3::uuid IS NULL OR u.id = $3::uuid)`,
          [orgId, type, onlyUser],
        )).value,
    endpoints: (q: Queryable, orgId: string, type: string) =>
      endpoints.get(`${orgId}\u0000${type}`, () =>
        q.query<{ id: string }>(
          `SELECT id FROM webhook_endpoints WHERE org_id = $1 AND enabled AND $2 = ANY(event_types)`,
          [orgId, type],
        )).value,
  };
}
type BatchReads = ReturnType<typeof batchReads>;

/**
 * What a batch's events write, gathered as they are fanned out and written in two statements (./write below):
 * one INSERT of in-app notifications, one of outbox rows (mails, webhook deliveries). One statement per recipient
 * and endpoint was ~2.4 notification INSERTs per bid in a burst of submissions, four fifths of the database
 * statements a bid cost.
 */
interface Writes {
  /** Each with the live notice that learns its id once written (none: a redelivered event's, already there). */
  notifications: { e: PublishedEvent; userId: string; text: Text; live: LiveNotice }[];
  outbox: { topic: string; key: string; payload: string }[];
}

const noWrites = (): Writes => ({ notifications: [], outbox: [] });

/** One event's notifications, mails, toasts and webhook deliveries, gathered into `w`. */
async function fanOut(
  q: Queryable,
  reads: BatchReads,
  bids: BidsByKey,
  e: PublishedEvent,
  out: DispatchResult,
  w: Writes,
): Promise<void> {
  const text = describe(bids, e);
  const alertChannels = e.type === "alert.fired" && Array.isArray(e.data.channels)
    ? (e.data.channels as string[])
    : null;
  const recipients = await reads.recipients(
    q,
    e.org_id,
    e.type,
    // An alert's event without a valid owner reaches nobody rather than everybody.
    alertChannels ? uuidOr(e.data.user_id) ?? "00000000-0000-0000-0000-000000000000" : null,
  );
  for (const r of recipients) {
    const channels: string[] = alertChannels
      ? alertChannels.map((c) => (c === "notification" ? "in_app" : c))
      : r.channels ?? DEFAULT_CHANNELS[e.type];
    const toast = channels.includes("toast");
    const inApp = channels.includes("in_app");
    if (inApp || toast) {
      // In order; one that is neither a toast nor a new notification is dropped once the batch is written.
      const live: LiveNotice = { orgId: e.org_id, userId: r.id, notificationId: null, toast, ...text };
      out.live.push(live);
      if (inApp) w.notifications.push({ e, userId: r.id, text, live });
    }
    if (channels.includes("email")) {
      w.outbox.push({
        topic: MAIL_TOPIC,
        key: r.id,
        payload: JSON.stringify({
          to: r.email,
          subject: `[OptiBid] ${text.title}`,
          text: `${text.message}\n\n— OptiBid`,
        }),
      });
      out.mails++;
    }
  }
  if (alertChannels && !alertChannels.includes("webhook")) return;
  const endpoints = await reads.endpoints(q, e.org_id, e.type);
  const body = webhookBody(e);
  for (const ep of endpoints) {
    const msg: WebhookMessage = { endpoint_id: ep.id, org_id: e.org_id, message_id: `msg_${e.id}`, type: e.type, body };
    w.outbox.push({ topic: WEBHOOK_TOPIC, key: ep.id, payload: JSON.stringify(msg) });
    out.webhooks++;
  }
}

/**
 * Writes what was gathered, in the order it was gathered (outbox ids are the order of delivery), and gives each
 * live notice its notification's id. A notification that exists already (the event was fanned out before its
 * batch could be marked sent) is not written again, and its live notice goes only if it is a toast.
 */
async function write(tx: Queryable, w: Writes, out: DispatchResult, from: number): Promise<void> {
  const n = w.notifications;
  if (n.length) {
    const rows = await tx.query<{ id: string; user_id: string; event_id: string }>(
      `INSERT INTO notifications (org_id, user_id, event_id, type, level, title, message, data)
       SELECT org_id, user_id, event_id, type, level, title, message, data::jsonb
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
              WITH ORDINALITY AS t(org_id, user_id, event_id, type, level, title, message, data, i)
        ORDER BY i
       ON CONFLICT (user_id, event_id) DO NOTHING RETURNING id, user_id, event_id`,
      [
        pgArray(n.map((x) => x.e.org_id)),
        pgArray(n.map((x) => x.userId)),
        pgArray(n.map((x) => x.e.id)),
        pgArray(n.map((x) => x.e.type)),
        pgArray(n.map((x) => x.text.level)),
        pgArray(n.map((x) => x.text.title)),
        pgArray(n.map((x) => x.text.message)),
        pgArray(n.map((x) => JSON.stringify(x.e.data))),
      ],
    );
    // Postgres answers uuids in lower case; an event's id may have come in upper case.
    const ids = new Map(rows.map((r) => [`${r.user_id} ${r.event_id}`.toLowerCase(), r.id]));
    for (const x of n) {
      const key = `${x.userId} ${x.e.id}`.toLowerCase();
      const id = ids.get(key);
      // An event twice in one batch makes one notification: the first of its notices gets the id.
      if (id !== undefined) {
        x.live.notificationId = id;
        ids.delete(key);
      }
    }
    // In place, from the first notice of these writes: earlier ones were settled by an earlier write.
    let kept = from;
    for (let i = from; i < out.live.length; i++) {
      const l = out.live[i];
      if (l.toast || l.notificationId) out.live[kept++] = l;
    }
    out.live.length = kept;
  }
  if (w.outbox.length) {
    await tx.query(
      `INSERT INTO outbox (topic, key, payload)
       SELECT topic, key, payload::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(topic, key, payload, i)
        ORDER BY i`,
      [
        pgArray(w.outbox.map((o) => o.topic)),
        pgArray(w.outbox.map((o) => o.key)),
        pgArray(w.outbox.map((o) => o.payload)),
      ],
    );
  }
  w.notifications = [];
  w.outbox = [];
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
      [EVENTS_TOPIC, isolate ? ISOLATED_BATCH : BATCH],
    );
    const failed: { id: string; error: string }[] = [];
    const reads = batchReads();
    const valid = rows.map((r) => r.payload).filter(wellFormed);
    const bids = await getBidsByKey(
      tx,
      valid.flatMap((e) => {
        const id = bidOf(e);
        return id ? [{ orgId: e.org_id, id }] : [];
      }),
    );
    const writes = noWrites();
    for (const row of rows) {
      out.events++;
      if (!wellFormed(row.payload)) continue;
      if (!isolate) {
        await fanOut(tx, reads, bids, row.payload, out, writes);
        continue;
      }
      // One event that fails must not hold back every later one: it is set aside with its error.
      const before = { live: out.live.length, mails: out.mails, webhooks: out.webhooks };
      try {
        await inSavepoint(tx, async (sp) => {
          await fanOut(sp, reads, bids, row.payload, out, writes);
          await write(sp, writes, out, before.live);
        });
      } catch (err) {
        // A failure of the moment (an outage, the deadline, a deadlock) says nothing of the event: the batch
        // fails and is done again later, instead of the event being set aside as if it were malformed.
        if (isPassingDatabaseFailure(err)) throw err;
        writes.notifications = [];
        writes.outbox = [];
        // What the event fanned out before it failed is rolled back: no live notice of it goes out, none is counted.
        out.live.length = before.live;
        out.mails = before.mails;
        out.webhooks = before.webhooks;
        failed.push({ id: row.id, error: err instanceof Error ? err.message : String(err) });
      }
    }
    if (!isolate) await write(tx, writes, out, 0);
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
