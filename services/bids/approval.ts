/**
 * Four-eyes approval in the database: an organization's policy (read, saved with its audit entry), the
 * queue of bids waiting for a second person, and the expiry of those still waiting at their gate. The
 * rules themselves are services/bids/approval_policy.ts (pure); approving and rejecting are bid actions
 * (services/bids/actions.ts), which ask the lifecycle table like every other change.
 */
import { memoReads } from "../memo.ts";
import { bidStatusEpoch } from "./status_epoch.ts";
import { z } from "zod";
import type { Database, Queryable } from "../../db/database.ts";
import { isoUtc } from "../../db/sql.ts";
import { audit, callerEntry } from "../auth/audit.ts";
import { decodeCursor, type Page, pageOf, type PageRequest } from "../pagination.ts";
import type { Caller } from "./actions.ts";
import { type ApprovalPolicy, type ApprovalPolicyView, NO_POLICY } from "./approval_policy.ts";
import { BID_EVENTS_TOPIC, enqueueEvent } from "./outbox.ts";
import { submissionDeadline } from "./schema.ts";
import { BID_COLUMNS, type BidView, transition } from "./store.ts";
import type { Iso } from "../market/zones.ts";

const POLICY_COLUMNS = `all_bids, above_mw::float8 AS above_mw, above_notional::float8 AS above_notional,
  strategy_bids, strategies_may_submit, ${isoUtc("updated_at")} AS updated_at`;

export async function getPolicy(q: Queryable, orgId: string): Promise<ApprovalPolicyView> {
  const [row] = await q.query<ApprovalPolicyView>(
    `SELECT ${POLICY_COLUMNS} FROM approval_policies WHERE org_id = $1`,
    [orgId],
  );
  return row ?? { ...NO_POLICY, updated_at: null };
}

/** Replaces the organization's policy; the audit entry keeps the one before. */
export function savePolicy(db: Database, c: Caller, input: ApprovalPolicy): Promise<ApprovalPolicyView> {
  return db.transaction(async (tx) => {
    const before = await getPolicy(tx, c.principal.orgId);
    const [after] = await tx.query<ApprovalPolicyView>(
      `INSERT INTO approval_policies (org_id, all_bids, above_mw, above_notional, strategy_bids, strategies_may_submit,
                                      updated_by, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT (org_id) DO UPDATE SET all_bids = $2, above_mw = $3, above_notional = $4, strategy_bids = $5,
         strategies_may_submit = $6, updated_by = $7, updated_at = now()
       RETURNING ${POLICY_COLUMNS}`,
      [
        c.principal.orgId,
        input.all_bids,
        input.above_mw,
        input.above_notional,
        input.strategy_bids,
        input.strategies_may_submit,
        c.principal.userId,
      ],
    );
    const { updated_at: _b, ...was } = before;
    const { updated_at: _a, ...now } = after;
    await audit(
      tx,
      callerEntry(c, "organization", "approval_policy.updated", c.principal.orgId, { before: was, after: now }),
    );
    return after;
  });
}

/**
 * The approval queue: bids waiting for a second person, soonest gate first (the delivery interval orders
 * them, and the gate follows it). `exceptOf`: leave out this member's own bids, which they may not decide.
 */
export async function pendingPage(
  q: Queryable,
  orgId: string,
  page: PageRequest & { except_of?: string | null },
): Promise<Page<BidView>> {
  const after = decodeCursor(page.cursor, [z.iso.datetime({ offset: true }), z.uuid()]);
  const rows = await q.query<BidView>(
    `SELECT ${BID_COLUMNS} FROM bids b JOIN assets a ON a.id = b.asset_id
      WHERE b.org_id = $1 AND b.status = 'pending_approval'
        AND ($2::uuid IS NULL OR b.created_by IS DISTINCT FROM $2::uuid)
        AND ($3::timestamptz IS NULL OR (b.interval_start, b.id) > ($3::timestamptz, $4::uuid))
      ORDER BY b.interval_start, b.id LIMIT $5`,
    [orgId, page.except_of ?? null, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
  );
  return pageOf(rows, page.limit, (b) => [b.interval_start, b.id]);
}

/**
 * The navigation's count for every page view, cached per approver under the organization's bid-status epoch:
 * a decision or submission made by this process shows on the next page; one made by another instance within
 * PENDING_COUNT_TTL_MS. Without it every page view of an approver was a database round trip.
 */
const PENDING_COUNT_TTL_MS = 2_000;
const pendingCounts = memoReads<number>(PENDING_COUNT_TTL_MS);

export function cachedPendingCount(q: Queryable, orgId: string, userId: string): Promise<number> {
  return pendingCounts.get(`${orgId}:${userId}:${bidStatusEpoch(orgId)}`, () => pendingCount(q, orgId, userId)).value;
}

/** How many bids wait for `userId` to decide (not their own): the count in the navigation. */
export async function pendingCount(q: Queryable, orgId: string, userId: string): Promise<number> {
  const [{ n }] = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM bids
      WHERE org_id = $1 AND status = 'pending_approval' AND created_by IS DISTINCT FROM $2::uuid`,
    [orgId, userId],
  );
  return n;
}

/** The system's name in a bid's history for what the approval rule does on its own. */
export const APPROVAL_SYSTEM = "approval";

/**
 * Bids still pending at their gate expire: nobody approved them in time, so they never reach the market.
 * Every instance may run this: each bid moves in one statement guarded by its status, so a bid two
 * instances both see expires once. Returns the bids that expired.
 */
export async function expirePending(db: Database, now: Date): Promise<string[]> {
  // The latest a gate can be after its interval starts is none (DA gates precede the day, RT deadlines the
  // hour), so a pending bid whose interval starts within a DA horizon covers every candidate.
  const candidates = await db.query<
    { id: string; org_id: string; zone: Iso; market: "DA" | "RT"; interval_start: string }
  >(
    `SELECT id, org_id, zone, market, ${isoUtc("interval_start")} AS interval_start FROM bids
      WHERE status = 'pending_approval' AND interval_start < $1::timestamptz + interval '3 days'
      ORDER BY interval_start, id LIMIT 1000`,
    [now],
  );
  const expired: string[] = [];
  for (const b of candidates) {
    const deadline = submissionDeadline(b.zone, b.market, b.interval_start);
    if (now.getTime() < deadline.getTime()) continue;
    const done = await db.transaction(async (tx) => {
      const [row] = await tx.query<{ id: string }>(
        `SELECT id FROM bids WHERE id = $1 AND status = 'pending_approval' FOR UPDATE SKIP LOCKED`,
        [b.id],
      );
      if (!row) return false;
      const reason = `still waiting for approval at the market's deadline (${deadline.toISOString()})`;
      const bid = await transition(tx, b.org_id, b.id, ["pending_approval"], "expired", { system: APPROVAL_SYSTEM }, {
        details: { approval: "expired", reason },
      });
      await enqueueEvent(tx, BID_EVENTS_TOPIC, b.id, {
        type: "bid.approval",
        decision: "expired",
        bid_id: b.id,
        org_id: b.org_id,
        reason,
        version: bid.version,
        at: now.toISOString(),
      });
      await audit(tx, {
        orgId: b.org_id,
        action: "bid.approval_expired",
        targetType: "bid",
        targetId: b.id,
        details: { reason, deadline: deadline.toISOString(), version: bid.version },
      });
      return true;
    });
    if (done) expired.push(b.id);
  }
  return expired;
}
