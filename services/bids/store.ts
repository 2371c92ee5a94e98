/**
 * Bids in the database: create, edit (drafts only), transitions with a version
 * check, history, listing. Every change writes its history row and its outbox
 * event in the same transaction as the change itself.
 */
import { bidStatusesChanged } from "./status_epoch.ts";
import { z } from "zod";
import { decodeCursor, pageOf } from "../pagination.ts";
import { isoUtc } from "../../db/sql.ts";
import { conflict, notFound } from "../errors.ts";
import type { Queryable } from "../../db/database.ts";
import type { Principal } from "../auth/principal.ts";
import { auditWritten } from "../auth/audit.ts";
import { BID_EVENTS_TOPIC, enqueueEvent } from "./outbox.ts";
import type { AnySide, BidKind, BidStatus, CheckedBid } from "./schema.ts";

export interface BidView {
  id: string;
  /** `virtual`: no asset (asset_id and asset_name null), a pricing `location`, side inc/dec. */
  kind: BidKind;
  asset_id: string | null;
  asset_name: string | null;
  location: string | null;
  zone: string;
  market: "DA" | "RT";
  interval_start: string;
  interval_end: string;
  side: AnySide;
  segments: { price: number; quantity: number }[];
  status: BidStatus;
  version: number;
  created_at: string;
  updated_at: string;
  submitted_at: string | null;
  awarded_mw: number | null;
  clearing_price: number | null;
  da_revenue: number | null;
  rt_revenue: number | null;
  revenue: number | null;
  /** Virtual bids: the per-MWh fee charged at settlement ($, already taken out of `revenue`). */
  fee: number | null;
  reject_reason: string | null;
  /** The member who made it (for a strategy's bid, the strategy's owner): nobody approves their own bid. */
  created_by: string | null;
  created_by_email: string | null;
  /** The saved strategy that made it, if one did. */
  strategy_id: string | null;
}

const iso = isoUtc;
export const BID_COLUMNS = `b.id, b.kind, b.asset_id, a.name AS asset_name, b.location, b.zone, b.market,
  ${iso("b.interval_start")} AS interval_start, ${iso("b.interval_end")} AS interval_end, b.side, b.segments,
  b.status, b.version, ${iso("b.created_at")} AS created_at, ${iso("b.updated_at")} AS updated_at,
  ${iso("b.submitted_at")} AS submitted_at, b.awarded_mw::float8 AS awarded_mw,
  b.clearing_price::float8 AS clearing_price, b.da_revenue::float8 AS da_revenue,
  b.rt_revenue::float8 AS rt_revenue, b.revenue::float8 AS revenue, b.fee::float8 AS fee, b.reject_reason, b.created_by,
  (SELECT email FROM users WHERE id = b.created_by) AS created_by_email, b.strategy_id`;
/** Virtual bids have no asset: the join is a left one. */
const FROM = `FROM bids b LEFT JOIN assets a ON a.id = b.asset_id`;

export type Actor = Pick<Principal, "userId" | "apiKeyId"> | { system: string };

const actorColumns = (actor: Actor) =>
  "system" in actor ? [null, null, actor.system] : [actor.userId, actor.apiKeyId ?? null, null];

export async function getBid(q: Queryable, orgId: string, id: string): Promise<BidView> {
  const [row] = await q.query<BidView>(`SELECT ${BID_COLUMNS} ${FROM} WHERE b.org_id = $1 AND b.id = $2`, [orgId, id]);
  if (!row) throw notFound("Bid not found", { code: "not_found" });
  return row;
}

/** Bids looked up by organization and id, whatever the case of the UUIDs' text. */
export interface BidsByKey {
  get(orgId: string, id: string): BidView | undefined;
}

/** Bids by organization and id in one statement (a notifications batch); missing ones are absent. */
export async function getBidsByKey(q: Queryable, keys: readonly { orgId: string; id: string }[]): Promise<BidsByKey> {
  const rows = keys.length
    ? await q.query<BidView & { org_id: string }>(
      `SELECT b.org_id, ${BID_COLUMNS} ${FROM}
         JOIN unnest($1::uuid[], $2::uuid[]) AS k(org_id, id) ON b.org_id = k.org_id AND b.id = k.id`,
      [keys.map((k) => k.orgId), keys.map((k) => k.id)],
    )
    : [];
  const key = (orgId: string, id: string) => `${orgId.toLowerCase()}/${id.toLowerCase()}`;
  const byKey = new Map(rows.map(({ org_id, ...bid }) => [key(org_id, bid.id), bid]));
  return { get: (orgId, id) => byKey.get(key(orgId, id)) };
}

/** The history row and the outbox event of a change, in one statement (one round trip). */
async function record(
  q: Queryable,
  bid: { id: string; org_id: string; version: number },
  from: BidStatus | null,
  to: BidStatus,
  actor: Actor,
  details: Record<string, unknown> = {},
) {
  const event = {
    type: from === null ? "bid.created" : from === to ? "bid.updated" : `bid.${to}`,
    bid_id: bid.id,
    org_id: bid.org_id,
    from,
    status: to,
    version: bid.version,
    at: new Date().toISOString(),
    ...details,
  };
  await q.query(
    `WITH history AS (
       INSERT INTO bid_events (bid_id, org_id, from_status, to_status, actor_user_id, actor_api_key_id, actor_system,
                               details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb))
     INSERT INTO outbox (topic, key, payload) VALUES ($9, $1, $10::jsonb)`,
    [
      bid.id,
      bid.org_id,
      from,
      to,
      ...actorColumns(actor),
      JSON.stringify(details),
      BID_EVENTS_TOPIC,
      JSON.stringify(event),
    ],
  );
}

/** What the audit log keeps of a bid's terms (its `before` / `after`). */
export function bidTerms(
  b: Pick<BidView, "kind" | "asset_id" | "location" | "market" | "interval_start" | "side" | "segments"> & {
    zone: string;
  },
) {
  return {
    ...(b.kind === "virtual" ? { kind: b.kind, location: b.location } : {}),
    asset_id: b.asset_id,
    zone: b.zone,
    market: b.market,
    interval_start: b.interval_start,
    side: b.side,
    segments: b.segments,
  };
}

/**
 * Who creates a draft: the principal and the address the request came from (for the audit log), and the
 * saved strategy when one makes it on its owner's behalf.
 */
export type Creator = Pick<Principal, "orgId" | "userId" | "apiKeyId"> & {
  ip?: string | null;
  strategyId?: string | null;
};

/**
 * Creates a draft with its history row, its outbox event and its audit entry in
 * ONE statement: atomic without an explicit transaction, and one round trip (the
 * hot path of bid submission). The audit entry is the one services/auth/audit.ts
 * writes, inlined so the statement stays single.
 */
export async function insertBid(q: Queryable, p: Creator, bid: CheckedBid): Promise<BidView> {
  const [row] = await q.query<BidView>(
    `WITH b AS (
       INSERT INTO bids (org_id, asset_id, zone, market, interval_start, interval_end, side, segments, created_by,
                         kind, location)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $14, $15) RETURNING *),
     history AS (
       INSERT INTO bid_events (bid_id, org_id, from_status, to_status, actor_user_id, actor_api_key_id)
       SELECT id, org_id, NULL, 'draft', $9, $10 FROM b),
     event AS (
       INSERT INTO outbox (topic, key, payload)
       SELECT $11, id::text, jsonb_build_object('type', 'bid.created', 'bid_id', id, 'org_id', org_id, 'from', NULL,
                                                'status', 'draft', 'version', version,
                                                'at', ${iso("now()")}) FROM b),
     audit AS (
       INSERT INTO audit_logs (org_id, actor_user_id, actor_api_key_id, action, target_type, target_id, ip, details)
       SELECT org_id, $9, $10, 'bid.created', 'bid', id::text, $12, $13::jsonb FROM b)
     SELECT ${BID_COLUMNS} FROM b LEFT JOIN assets a ON a.id = b.asset_id`,
    [
      p.orgId,
      bid.asset_id,
      bid.zone,
      bid.market,
      bid.interval_start,
      bid.interval_end,
      bid.side,
      JSON.stringify(bid.segments),
      p.userId,
      p.apiKeyId ?? null,
      BID_EVENTS_TOPIC,
      p.ip ?? null,
      JSON.stringify({ after: bidTerms(bid) }),
      bid.kind,
      bid.location,
    ],
  );
  auditWritten(q, [p.orgId]);
  return row;
}

/**
 * Creates many drafts (of any callers) in one statement: each with its history
 * row and outbox event, all or none. Ids are chosen here so each caller finds
 * its own row in the result.
 */
export async function insertBids(q: Queryable, items: { p: Creator; bid: CheckedBid }[]): Promise<BidView[]> {
  const ids = items.map(() => crypto.randomUUID());
  const col = <T>(f: (i: (typeof items)[number]) => T) => items.map(f);
  const rows = await q.query<BidView>(
    `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[],
                            $7::timestamptz[], $8::text[], $9::text[], $10::uuid[], $11::uuid[], $13::text[],
                            $14::text[], $15::uuid[], $16::text[], $17::text[])
         AS t(id, org_id, asset_id, zone, market, s, e, side, segments, user_id, key_id, ip, audit, strategy_id, kind,
              location)),
     b AS (
       INSERT INTO bids (id, org_id, asset_id, zone, market, interval_start, interval_end, side, segments, created_by,
                         strategy_id, kind, location)
       SELECT id, org_id, asset_id, zone, market, s, e, side, segments::jsonb, user_id, strategy_id, kind, location
         FROM input
       RETURNING *),
     history AS (
       INSERT INTO bid_events (bid_id, org_id, from_status, to_status, actor_user_id, actor_api_key_id)
       SELECT b.id, b.org_id, NULL, 'draft', i.user_id, i.key_id FROM b JOIN input i ON i.id = b.id),
     event AS (
       INSERT INTO outbox (topic, key, payload)
       SELECT $12, id::text, jsonb_build_object('type', 'bid.created', 'bid_id', id, 'org_id', org_id, 'from', NULL,
                                                'status', 'draft', 'version', version,
                                                'at', ${iso("now()")}) FROM b ORDER BY id),
     audit AS (
       INSERT INTO audit_logs (org_id, actor_user_id, actor_api_key_id, action, target_type, target_id, ip, details)
       SELECT b.org_id, i.user_id, i.key_id, 'bid.created', 'bid', b.id::text, i.ip, i.audit::jsonb
         FROM b JOIN input i ON i.id = b.id ORDER BY b.id)
     SELECT ${BID_COLUMNS} FROM b LEFT JOIN assets a ON a.id = b.asset_id`,
    [
      ids,
      col((i) => i.p.orgId),
      col((i) => i.bid.asset_id),
      col((i) => i.bid.zone),
      col((i) => i.bid.market),
      col((i) => i.bid.interval_start),
      col((i) => i.bid.interval_end),
      col((i) => i.bid.side),
      col((i) => JSON.stringify(i.bid.segments)),
      col((i) => i.p.userId),
      col((i) => i.p.apiKeyId ?? null),
      BID_EVENTS_TOPIC,
      col((i) => i.p.ip ?? null),
      col((i) => JSON.stringify({ after: bidTerms(i.bid) })),
      col((i) => i.p.strategyId ?? null),
      col((i) => i.bid.kind),
      col((i) => i.bid.location),
    ],
  );
  auditWritten(q, items.map((i) => i.p.orgId));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id)!);
}

/**
 * Drafts just created in this transaction go live together: one statement moves them all from draft to
 * submitted (or, where `to` says so, to pending_approval: the organization's four-eyes policy) and writes,
 * per bid, the same history row, outbox event and audit entry as `transition` + `record` + an audit call
 * would (a batch of a day's 24 bids is 1 round trip, not 72). Bids in `ids` order. A bid no longer a draft
 * at `version` is a 409 (`version_conflict`), and nothing changes. `submitted_at` is set for submitted ones.
 */
export async function submitDrafts(
  q: Queryable,
  c: { orgId: string; userId: string; apiKeyId?: string | null; ip?: string | null },
  drafts: readonly { id: string; version: number; to?: "submitted" | "pending_approval"; reason?: string | null }[],
  at: Date,
): Promise<BidView[]> {
  bidStatusesChanged(q, c.orgId);
  const rows = await q.query<BidView>(
    `WITH input AS (SELECT * FROM unnest($2::uuid[], $3::int[], $9::text[], $10::text[]) WITH ORDINALITY
                      AS t(id, version, target, reason, n)),
     u AS (
       UPDATE bids SET status = input.target, version = bids.version + 1, updated_at = now(),
                       submitted_at = CASE WHEN input.target = 'submitted' THEN $4::timestamptz END
         FROM input
        WHERE bids.org_id = $1 AND bids.id = input.id AND bids.status = 'draft' AND bids.version = input.version
        RETURNING bids.*, input.n, input.reason),
     history AS (
       INSERT INTO bid_events (bid_id, org_id, from_status, to_status, actor_user_id, actor_api_key_id, details)
       SELECT id, org_id, 'draft', status, $5, $6,
              CASE WHEN reason IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('approval', 'requested',
                                                                                 'reason', reason) END
         FROM u ORDER BY n),
     event AS (
       INSERT INTO outbox (topic, key, payload)
       SELECT $7, id::text, e FROM u, LATERAL (VALUES
           (1, jsonb_build_object('type', 'bid.' || status, 'bid_id', id, 'org_id', org_id, 'from', 'draft',
                                  'status', status, 'version', version, 'at', ${iso("now()")})),
           (2, CASE WHEN status = 'pending_approval' THEN
                 jsonb_build_object('type', 'bid.approval', 'decision', 'requested', 'bid_id', id, 'org_id', org_id,
                                    'reason', reason, 'version', version, 'at', ${iso("now()")}) END)) AS v(k, e)
        WHERE e IS NOT NULL ORDER BY n, k),
     audit AS (
       INSERT INTO audit_logs (org_id, actor_user_id, actor_api_key_id, action, target_type, target_id, ip, details)
       SELECT org_id, $5, $6, CASE WHEN status = 'submitted' THEN 'bid.submitted' ELSE 'bid.approval_requested' END,
              'bid', id::text, $8,
              CASE WHEN reason IS NULL THEN jsonb_build_object('version', version)
                   ELSE jsonb_build_object('version', version, 'reason', reason) END
         FROM u ORDER BY n)
     SELECT ${BID_COLUMNS} FROM u b LEFT JOIN assets a ON a.id = b.asset_id ORDER BY b.n`,
    [
      c.orgId,
      drafts.map((d) => d.id),
      drafts.map((d) => d.version),
      at,
      c.userId,
      c.apiKeyId ?? null,
      BID_EVENTS_TOPIC,
      c.ip ?? null,
      drafts.map((d) => d.to ?? "submitted"),
      drafts.map((d) => d.to === "pending_approval" ? d.reason ?? "approval required" : null),
    ],
  );
  if (rows.length !== drafts.length) {
    // Only this transaction knows these drafts, so this is a bug or a concurrent change: refuse it all.
    throw conflict("Some bids of the batch changed while it was submitted; nothing was submitted", {
      code: "version_conflict",
    });
  }
  auditWritten(q, [c.orgId]);
  return rows;
}

/** Bids by id, locked for the rest of the transaction (`FOR UPDATE`), in `ids` order; a missing one is absent. */
export async function lockBids(q: Queryable, orgId: string, ids: readonly string[]): Promise<BidView[]> {
  const rows = await q.query<BidView>(
    `SELECT ${BID_COLUMNS} ${FROM} WHERE b.org_id = $1 AND b.id = ANY($2::uuid[]) ORDER BY b.id FOR UPDATE OF b`,
    [orgId, ids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/**
 * Bids replaced by new versions go out of the market together: one statement withdraws them (from the
 * status each was read in, at its version), with a history row naming the bid that replaces it
 * (`replaced_by`, null when the new day has no bid for that hour), an outbox event and an audit entry
 * `bid.replaced`. Both versions stay in the history.
 */
export async function withdrawReplaced(
  q: Queryable,
  c: { orgId: string; userId: string; apiKeyId?: string | null; ip?: string | null },
  old: readonly { id: string; version: number; status: BidStatus; replaced_by: string | null }[],
): Promise<void> {
  if (!old.length) return;
  bidStatusesChanged(q, c.orgId);
  const rows = await q.query<{ id: string }>(
    `WITH input AS (
       SELECT * FROM unnest($2::uuid[], $3::int[], $4::text[], $5::uuid[]) WITH ORDINALITY
         AS t(id, version, status, replaced_by, n)),
     u AS (
       UPDATE bids SET status = 'withdrawn', version = bids.version + 1, updated_at = now()
         FROM input
        WHERE bids.org_id = $1 AND bids.id = input.id AND bids.status = input.status AND bids.version = input.version
        RETURNING bids.id, bids.org_id, bids.version, input.status AS from_status, input.replaced_by, input.n),
     history AS (
       INSERT INTO bid_events (bid_id, org_id, from_status, to_status, actor_user_id, actor_api_key_id, details)
       SELECT id, org_id, from_status, 'withdrawn', $6, $7, jsonb_build_object('replaced_by', replaced_by)
         FROM u ORDER BY n),
     event AS (
       INSERT INTO outbox (topic, key, payload)
       SELECT $8, id::text, jsonb_build_object('type', 'bid.withdrawn', 'bid_id', id, 'org_id', org_id,
                                                'from', from_status, 'status', 'withdrawn', 'version', version,
                                                'at', ${iso("now()")}, 'replaced_by', replaced_by) FROM u ORDER BY n),
     audit AS (
       INSERT INTO audit_logs (org_id, actor_user_id, actor_api_key_id, action, target_type, target_id, ip, details)
       SELECT org_id, $6, $7, 'bid.replaced', 'bid', id::text, $9,
              jsonb_build_object('from', from_status, 'version', version, 'replaced_by', replaced_by)
         FROM u ORDER BY n)
     SELECT id FROM u`,
    [
      c.orgId,
      old.map((o) => o.id),
      old.map((o) => o.version),
      old.map((o) => o.status),
      old.map((o) => o.replaced_by),
      c.userId,
      c.apiKeyId ?? null,
      BID_EVENTS_TOPIC,
      c.ip ?? null,
    ],
  );
  if (rows.length !== old.length) {
    throw conflict("A bid to replace changed meanwhile; nothing was submitted", { code: "version_conflict" });
  }
  auditWritten(q, [c.orgId]);
}

/** Why an UPDATE matched no row: not there (404), not editable in its state, or someone else changed it (409). */
async function explainMiss(
  q: Queryable,
  orgId: string,
  id: string,
  expected: number | undefined,
  allowed: BidStatus[],
) {
  const bid = await getBid(q, orgId, id);
  if (expected !== undefined && bid.version !== expected) {
    throw conflict(`The bid changed since you read it (version ${bid.version}, not ${expected})`, {
      code: "version_conflict",
      details: { current_version: bid.version, status: bid.status },
    });
  }
  if (!allowed.includes(bid.status)) {
    throw conflict(`A ${bid.status} bid cannot be changed this way`, {
      code: "invalid_transition",
      details: { status: bid.status, allowed_from: allowed },
    });
  }
  throw conflict("The bid changed concurrently; read it again", { code: "version_conflict" });
}

export async function updateDraft(
  q: Queryable,
  p: Pick<Principal, "orgId" | "userId" | "apiKeyId">,
  id: string,
  expectedVersion: number,
  bid: CheckedBid,
): Promise<BidView> {
  // The edited bid comes back in the same statement, as getBid reads it.
  const rows = await q.query<BidView & { org_id: string }>(
    `WITH u AS (
       UPDATE bids SET asset_id = $4, zone = $5, market = $6, interval_start = $7, interval_end = $8, side = $9,
              segments = $10::jsonb, kind = $11, location = $12, version = version + 1, updated_at = now()
        WHERE org_id = $1 AND id = $2 AND version = $3 AND status = 'draft'
        RETURNING *)
     SELECT ${BID_COLUMNS}, b.org_id FROM u b LEFT JOIN assets a ON a.id = b.asset_id`,
    [
      p.orgId,
      id,
      expectedVersion,
      bid.asset_id,
      bid.zone,
      bid.market,
      bid.interval_start,
      bid.interval_end,
      bid.side,
      JSON.stringify(bid.segments),
      bid.kind,
      bid.location,
    ],
  );
  if (!rows.length) await explainMiss(q, p.orgId, id, expectedVersion, ["draft"]);
  const { org_id, ...after } = rows[0];
  await record(q, { id: after.id, org_id, version: after.version }, "draft", "draft", p, { edited: true });
  return after;
}

export async function deleteDraft(
  q: Queryable,
  p: Pick<Principal, "orgId" | "userId" | "apiKeyId">,
  id: string,
  expectedVersion?: number,
) {
  const rows = await q.query(
    `DELETE FROM bids WHERE org_id = $1 AND id = $2 AND status = 'draft' AND ($3::int IS NULL OR version = $3)
     RETURNING id`,
    [p.orgId, id, expectedVersion ?? null],
  );
  if (!rows.length) await explainMiss(q, p.orgId, id, expectedVersion, ["draft"]);
  await enqueueEvent(q, BID_EVENTS_TOPIC, id, {
    type: "bid.deleted",
    bid_id: id,
    org_id: p.orgId,
    at: new Date().toISOString(),
  });
}

/**
 * Moves a bid from one of `from` to `to` in one statement (the version check
 * and the state check are the WHERE clause: of two concurrent changes exactly
 * one matches the row).
 */
export async function transition(
  q: Queryable,
  orgId: string,
  id: string,
  from: BidStatus[],
  to: BidStatus,
  actor: Actor,
  opts: { expectedVersion?: number; set?: Record<string, unknown>; details?: Record<string, unknown> } = {},
): Promise<BidView> {
  bidStatusesChanged(q, orgId);
  const set = opts.set ?? {};
  const cols = Object.keys(set);
  const assignments = cols.map((c, i) => `${c} = $${i + 6}`).join(", ");
  // The status it had comes from the row itself (locked, so it is the one this UPDATE changes), and the
  // updated bid comes back in the same statement.
  const rows = await q.query<BidView & { org_id: string; from_status: BidStatus }>(
    `WITH old AS (SELECT id, status FROM bids WHERE org_id = $1 AND id = $2 FOR UPDATE),
     u AS (
       UPDATE bids SET status = $4, version = version + 1, updated_at = now()${assignments ? ", " + assignments : ""}
         FROM old
        WHERE bids.id = old.id AND old.status = ANY($3::text[]) AND ($5::int IS NULL OR bids.version = $5)
        RETURNING bids.*, old.status AS from_status)
     SELECT ${BID_COLUMNS}, b.org_id, b.from_status FROM u b LEFT JOIN assets a ON a.id = b.asset_id`,
    [orgId, id, from, to, opts.expectedVersion ?? null, ...cols.map((c) => set[c])],
  );
  if (!rows.length) await explainMiss(q, orgId, id, opts.expectedVersion, from);
  const { org_id: _org, from_status, ...bid } = rows[0];
  await record(q, { id: bid.id, org_id: orgId, version: bid.version }, from_status, to, actor, opts.details);
  return bid;
}

export interface BidHistoryEntry {
  from: BidStatus | null;
  to: BidStatus;
  at: string;
  actor_user_id: string | null;
  actor_email: string | null;
  actor_system: string | null;
  details: Record<string, unknown>;
}

export async function bidHistory(q: Queryable, orgId: string, id: string): Promise<BidHistoryEntry[]> {
  return await q.query<BidHistoryEntry>(
    `SELECT e.from_status AS "from", e.to_status AS "to", ${iso("e.at")} AS at, e.actor_user_id, u.email AS actor_email,
            e.actor_system, e.details
       FROM bid_events e LEFT JOIN users u ON u.id = e.actor_user_id
      WHERE e.org_id = $1 AND e.bid_id = $2 ORDER BY e.id`,
    [orgId, id],
  );
}

export interface BidFilter {
  kind?: BidKind;
  status?: BidStatus;
  zone?: string;
  market?: string;
  asset_id?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** Newest delivery first; the cursor is the last row's (interval_start, id). */
export async function listBids(q: Queryable, orgId: string, f: BidFilter) {
  // The list's key, checked in shape before it reaches the query (services/pagination.ts).
  const after = decodeCursor(f.cursor, [z.iso.datetime({ offset: true }), z.uuid()]);
  const rows = await q.query<BidView>(
    `SELECT ${BID_COLUMNS} ${FROM}
      WHERE b.org_id = $1 AND ($2::text IS NULL OR b.status = $2) AND ($3::text IS NULL OR b.zone = $3)
        AND ($4::text IS NULL OR b.market = $4) AND ($5::uuid IS NULL OR b.asset_id = $5::uuid)
        AND ($6::timestamptz IS NULL OR b.interval_start >= $6::timestamptz)
        AND ($7::timestamptz IS NULL OR b.interval_start < $7::timestamptz)
        AND ($8::timestamptz IS NULL OR (b.interval_start, b.id) < ($8::timestamptz, $9::uuid))
        AND ($11::text IS NULL OR b.kind = $11)
      ORDER BY b.interval_start DESC, b.id DESC LIMIT $10`,
    [
      orgId,
      f.status ?? null,
      f.zone ?? null,
      f.market ?? null,
      f.asset_id ?? null,
      f.from ?? null,
      f.to ?? null,
      after?.[0] ?? null,
      after?.[1] ?? null,
      f.limit + 1,
      f.kind ?? null,
    ],
  );
  return pageOf(rows, f.limit, (b) => [b.interval_start, b.id]);
}
