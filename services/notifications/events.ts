/**
 * The events users and webhooks can be told about, and the one way to publish one: `publishEvent`,
 * called inside the transaction of the change it describes. It writes a single outbox row (topic
 * `events`); the dispatcher (./dispatcher.ts) fans it out after commit to in-app notifications,
 * e-mails and webhook deliveries, so a rolled-back change tells nobody and a committed one is never lost.
 * Bid status changes are published by a trigger on bid_events (db/migrations/016), the same INSERT.
 */
import type { Queryable } from "../../db/database.ts";

export const EVENTS_TOPIC = "events";

export const EVENT_TYPES = [
  "bid.status_changed",
  "bid.cleared",
  "bid.settled",
  "alert.fired",
  "strategy.run_completed",
  "strategy.run_failed",
  "approval.requested",
  "approval.decided",
] as const;
export type EventType = typeof EVENT_TYPES[number];

export const CHANNELS = ["in_app", "email", "toast"] as const;
export type Channel = typeof CHANNELS[number];

/** What a user gets before choosing: outcomes of their bids and approvals in the app; nothing by e-mail. */
export const DEFAULT_CHANNELS: Record<EventType, Channel[]> = {
  "bid.status_changed": ["in_app"],
  // Bid outcomes already toast on the live pages (services/bids/notice_read.ts): no second toast by default.
  "bid.cleared": ["in_app"],
  "bid.settled": ["in_app"],
  "alert.fired": ["in_app", "toast"],
  "strategy.run_completed": ["in_app"],
  "strategy.run_failed": ["in_app", "toast"],
  "approval.requested": ["in_app", "toast"],
  "approval.decided": ["in_app"],
};

export const EVENT_LABELS: Record<EventType, string> = {
  "bid.status_changed": "Bid status changes",
  "bid.cleared": "Bids cleared",
  "bid.settled": "Bids settled",
  "alert.fired": "Price alerts",
  "strategy.run_completed": "Strategy runs completed",
  "strategy.run_failed": "Strategy runs failed",
  "approval.requested": "Approvals requested",
  "approval.decided": "Approvals decided",
};

export function isEventType(v: string): v is EventType {
  return (EVENT_TYPES as readonly string[]).includes(v);
}

/** The event as it travels: what the outbox row's payload holds. */
export interface PublishedEvent {
  id: string;
  org_id: string;
  type: EventType;
  at: string;
  data: Record<string, unknown>;
}

/**
 * Publishes an event of `orgId` in the caller's transaction. `payload` is what webhooks receive as
 * `data`; for `alert.fired` it may carry `channels` and `user_id` (the alert's own choice overrides
 * preferences), and any event may carry `title`, `message` and `level` for the notification text.
 */
export async function publishEvent(
  q: Queryable,
  orgId: string,
  type: EventType,
  payload: Record<string, unknown>,
): Promise<void> {
  await q.query(`SELECT publish_event($1::uuid, $2, $3::jsonb)`, [orgId, type, JSON.stringify(payload)]);
}
