/**
 * The realtime price stream's wire protocol: JSON text frames, each an object
 * with a `type`. Shared by the hub (server) and the browser client; the client
 * imports only the types, so zod stays out of island bundles.
 *
 * Endpoints (permission `market:read`; credentials from the session cookie,
 * which browsers send with the upgrade, or `Authorization: Bearer <token or
 * API key>` from scripts; no token in the URL, which would leak into logs):
 *
 * - `GET /api/ws/market/:zone` — one zone to start with.
 * - `GET /api/ws/prices` — every zone to start with, or `?zones=PJM,ERCOT`.
 *
 * Without credentials the upgrade is refused with 401 (403 without the
 * permission, or for a cookie-authenticated upgrade from another origin);
 * a plain HTTP GET gets 426.
 *
 * Server → client
 *
 * | type         | fields                                                              | when                               |
 * |--------------|---------------------------------------------------------------------|------------------------------------|
 * | `welcome`    | connection_id, instance_id, server_time, heartbeat_ms, zones, markets, price_fields | first frame, at once on open |
 * | `snapshot`   | zones, ticks (latest PriceTick per zone+market)                     | after welcome; after each subscribe (for the zones it names) |
 * | `prices`     | published_at, rows, coalesced?, source?                              | updates, at most one frame per flush window |
 * | `alert`      | id, level (info, warning, critical), title, message, at, source?, notification? | operator or system alerts (toasts); a user's notifications |
 * | `subscribed` | zones (the whole subscription now)                                   | after subscribe / unsubscribe      |
 * | `heartbeat`  | ts                                                                  | every heartbeat_ms (20 s)          |
 * | `pong`       | ts, id?                                                             | answer to `ping`                   |
 * | `error`      | code, message, details?                                             | a bad frame or zone; the connection stays open, except for an unknown zone at connect |
 *
 * `prices.rows` holds every tick that reached this instance in the window for
 * the subscribed zones (a later tick for the same zone, market and interval
 * replaces an earlier one), each as an array in the order of `PRICE_FIELDS`
 * (also sent as the welcome's `price_fields`): zone, market, interval start
 * and end (epoch ms), lmp, energy, congestion, loss. Rows, not objects,
 * because updates are most of the stream's bytes: a row is about a third of
 * the tick object, and at 2,000 clients the bytes (copied by the server, the
 * kernel and every client) are what limits the fan-out. `ticksOf()` turns a
 * frame back into `PriceTick`s; snapshots, rare and small, carry objects. `published_at` (epoch ms) is when the oldest of
 * them reached the hub, or earlier: clients can show staleness from it and the
 * benchmark measures latency with it. A client that reads too slowly is not
 * buffered for without bound: while its socket's backlog is over the limit it
 * gets nothing, and when it catches up it gets one frame with `coalesced: true`
 * and only the latest tick per zone+market. `source: "admin"` marks prices and
 * alerts an admin posted (/api/ws/broadcast/*); those go only to the admin's
 * own organization and never into snapshots.
 *
 * Client → server
 *
 * | type          | fields                  | effect                                                    |
 * |---------------|-------------------------|-----------------------------------------------------------|
 * | `subscribe`   | zones (1–7 zone names)  | adds the zones (on /api/ws/prices the first one replaces the default "every zone"); `subscribed` + `snapshot` follow |
 * | `unsubscribe` | zones                   | removes them; `subscribed` follows                        |
 * | `ping`        | id? (string or number)  | `pong` with the same id                                   |
 * | `pong`        |                         | answers a heartbeat                                       |
 *
 * Any frame from the client counts as a sign of life. A connection that lets
 * two heartbeats in a row go unanswered is closed (code 4000). Error codes:
 * `invalid_json`, `invalid_message` (details: the zod issues), `unknown_zone`
 * (details: the names), `message_too_large`, `rate_limited` (more than 50
 * messages in 10 s; sent once, the rest of the window's messages are ignored).
 *
 * Close codes: 1001 server shutting down, 4000 heartbeat missed (reconnect),
 * 4404 unknown zone at connect (do not retry).
 */
import { z } from "zod";
import type { Market, PriceTick } from "../market/types.ts";
import { type Iso, ISOS } from "../market/zones.ts";
import { text } from "../schemas/text.ts";
import type { PRICE_FIELDS, PriceRow } from "./rows.ts";

export const HEARTBEAT_MS = 20_000;
/** Closed for missing heartbeats: the client should reconnect. */
export const CLOSE_HEARTBEAT_MISSED = 4000;
/** 4400–4499 are like HTTP 4xx: retrying cannot help, so a client gives up. */
export const CLOSE_UNKNOWN_ZONE = 4404;
/** Incoming frames are tiny; anything larger is refused before parsing. */
export const MAX_CLIENT_FRAME_BYTES = 4096;

export type AlertLevel = "info" | "warning" | "critical";

export interface WelcomeMessage {
  type: "welcome";
  connection_id: string;
  instance_id: string;
  server_time: string;
  heartbeat_ms: number;
  zones: Iso[];
  markets: Market[];
  price_fields: typeof PRICE_FIELDS;
}
export interface SnapshotMessage {
  type: "snapshot";
  zones: Iso[];
  ticks: PriceTick[];
}
export interface PricesMessage {
  type: "prices";
  published_at: number;
  rows: PriceRow[];
  coalesced?: true;
  source?: "admin";
}
export interface AlertMessage {
  type: "alert";
  id: string;
  level: AlertLevel;
  title: string;
  message: string;
  at: string;
  source?: "admin";
  /**
   * A notification for this user (services/notifications): `toast: false` when they chose the bell only,
   * so the client refreshes its unread count without a toast.
   */
  notification?: { id: string; toast: boolean };
}
/**
 * The organization's audit log has new entries (on /api/ws/audit only, to those allowed `audit:read`):
 * no entry in it; the live feed asks the audit API for what came since its newest, with its filters.
 */
export interface AuditMessage {
  type: "audit";
  at: string;
}
export interface SubscribedMessage {
  type: "subscribed";
  zones: Iso[];
}
export interface HeartbeatMessage {
  type: "heartbeat";
  ts: number;
}
export interface PongMessage {
  type: "pong";
  ts: number;
  id?: string | number;
}
export type ErrorCode = "invalid_json" | "invalid_message" | "unknown_zone" | "message_too_large" | "rate_limited";
export interface ErrorMessage {
  type: "error";
  code: ErrorCode;
  message: string;
  details?: unknown;
}
export type ServerMessage =
  | WelcomeMessage
  | SnapshotMessage
  | PricesMessage
  | AlertMessage
  | AuditMessage
  | SubscribedMessage
  | HeartbeatMessage
  | PongMessage
  | ErrorMessage;

/** Zone names are checked after parsing, so that an unknown one gets its own error code. */
const zoneList = z.array(z.string().min(1).max(16)).min(1).max(ISOS.length * 2);

export const clientMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("subscribe"), zones: zoneList }).strict(),
  z.object({ type: z.literal("unsubscribe"), zones: zoneList }).strict(),
  z.object({ type: z.literal("ping"), id: z.union([z.string().max(64), z.number()]).optional() }).strict(),
  z.object({ type: z.literal("pong"), ts: z.number().optional() }).strict(),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

/** "pjm", "ISO-NE" and "isone" all name a zone; anything else is null. */
export function parseZone(name: string): Iso | null {
  const canonical = name.trim().toUpperCase().replace(/[-_\s]/g, "");
  return (ISOS as readonly string[]).includes(canonical) ? canonical as Iso : null;
}

/** Known zones (deduplicated, in ISOS order) and the names that are not zones. */
export function parseZones(names: readonly string[]): { zones: Iso[]; unknown: string[] } {
  const found = new Set<Iso>();
  const unknown: string[] = [];
  for (const n of names) {
    const z = parseZone(n);
    if (z) found.add(z);
    else unknown.push(n);
  }
  return { zones: ISOS.filter((z) => found.has(z)), unknown };
}

/** The alert a caller (pipeline, admin) publishes. */
export const alertInputSchema = z.object({
  level: z.enum(["info", "warning", "critical"]),
  title: text({ min: 1, max: 120 }),
  message: text({ min: 1, max: 1000, multiline: true }),
}).strict().meta({ id: "AlertInput" });
export type AlertInput = z.infer<typeof alertInputSchema>;
