/** A user's notifications and channel preferences, always scoped by organization and user. */
import { z } from "zod";
import type { Database, Queryable } from "../../db/database.ts";
import { isoUtc } from "../../db/sql.ts";
import { decodeCursor, type Page, pageOf, type PageRequest } from "../pagination.ts";
import { type Channel, CHANNELS, DEFAULT_CHANNELS, EVENT_TYPES, type EventType } from "./events.ts";
import type { NotificationView, PreferencesInput } from "./schemas.ts";

interface Who {
  orgId: string;
  userId: string;
}

export async function notificationsPage(
  q: Queryable,
  who: Who,
  page: PageRequest & { unread?: boolean },
): Promise<Page<NotificationView>> {
  const after = decodeCursor(page.cursor, [z.string(), z.uuid()]);
  const rows = await q.query<NotificationView & { ts: string }>(
    `SELECT id, type, level, title, message, data, ${isoUtc("created_at")} AS created_at,
            ${isoUtc("read_at")} AS read_at, created_at::text AS ts
       FROM notifications
      WHERE org_id = $1 AND user_id = $2 AND (NOT $3 OR read_at IS NULL)
        AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
      ORDER BY created_at DESC, id DESC LIMIT $6`,
    [who.orgId, who.userId, page.unread ?? false, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
  );
  const p = pageOf(rows, page.limit, (r) => [r.ts, r.id]);
  return { ...p, items: p.items.map(({ ts: _ts, ...n }) => n) };
}

export async function unreadCount(q: Queryable, who: Who): Promise<number> {
  const [row] = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM notifications WHERE org_id = $1 AND user_id = $2 AND read_at IS NULL`,
    [who.orgId, who.userId],
  );
  return row.n;
}

/** Marks the given notifications (all when `ids` is omitted) read; returns the unread count after. */
export async function markRead(db: Database, who: Who, ids?: string[]): Promise<{ marked: number; unread: number }> {
  const rows = await db.query<{ id: string }>(
    `UPDATE notifications SET read_at = now()
      WHERE org_id = $1 AND user_id = $2 AND read_at IS NULL AND ($3::uuid[] IS NULL OR id = ANY($3::uuid[]))
      RETURNING id`,
    [who.orgId, who.userId, ids ?? null],
  );
  return { marked: rows.length, unread: await unreadCount(db, who) };
}

/** Every event type with the user's channels (the defaults where they chose none). */
export async function preferencesOf(q: Queryable, who: Who): Promise<Record<EventType, Channel[]>> {
  const rows = await q.query<{ event_type: EventType; channels: Channel[] }>(
    `SELECT event_type, channels FROM notification_preferences WHERE org_id = $1 AND user_id = $2`,
    [who.orgId, who.userId],
  );
  const out = { ...DEFAULT_CHANNELS };
  for (const r of rows) {
    if ((EVENT_TYPES as readonly string[]).includes(r.event_type)) {
      out[r.event_type] = r.channels.filter((c) => (CHANNELS as readonly string[]).includes(c));
    }
  }
  return out;
}

/** Replaces the channels of the event types given; the others keep theirs. */
export async function savePreferences(
  db: Database,
  who: Who,
  input: PreferencesInput,
): Promise<Record<EventType, Channel[]>> {
  const entries = Object.entries(input.preferences) as [EventType, Channel[]][];
  await db.transaction(async (tx) => {
    for (const [type, channels] of entries) {
      await tx.query(
        `INSERT INTO notification_preferences (org_id, user_id, event_type, channels) VALUES ($1, $2, $3, $4::text[])
         ON CONFLICT (org_id, user_id, event_type) DO UPDATE SET channels = EXCLUDED.channels, updated_at = now()`,
        [who.orgId, who.userId, type, [...new Set(channels)]],
      );
    }
  });
  return await preferencesOf(db, who);
}
