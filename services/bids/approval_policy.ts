/**
 * Four-eyes approval: which bids an organization wants a second person to look at before they reach the
 * market, and who that person may be. Pure and browser-safe (zod only): the API's schema, the settings
 * form and the bid actions (services/bids/actions.ts) share it; the store is services/bids/approval.ts.
 */
import { z } from "zod";
import { COLUMNS, decimal } from "../schemas/numeric.ts";
import { canApprove, type Role } from "../auth/rbac.ts";
import type { Segment } from "./schema.ts";

export interface ApprovalPolicy {
  /** Every bid needs approval. */
  all_bids: boolean;
  /** A bid whose total MW is above this needs approval; null: no MW rule. */
  above_mw: number | null;
  /** A bid whose notional value (Σ MW × |price| × hours, $) is above this needs approval; null: none. */
  above_notional: number | null;
  /** Bids a saved strategy made need approval. */
  strategy_bids: boolean;
  /** Strategies set to submit may do so; false keeps every strategy's bids as drafts. */
  strategies_may_submit: boolean;
}

/** An organization without a policy: nothing needs approval, strategies may submit. */
export const NO_POLICY: Readonly<ApprovalPolicy> = Object.freeze({
  all_bids: false,
  above_mw: null,
  above_notional: null,
  strategy_bids: false,
  strategies_may_submit: true,
});

export const approvalPolicyInput = z.strictObject({
  all_bids: z.boolean(),
  above_mw: decimal(COLUMNS["approval_policies.above_mw"], { min: 0 }).nullable()
    .describe("MW; a bid with more in total needs approval (null: no MW rule)"),
  above_notional: decimal(COLUMNS["approval_policies.above_notional"], { min: 0 }).nullable()
    .describe("$; a bid whose Σ MW × |price| × hours is above this needs approval (null: no value rule)"),
  strategy_bids: z.boolean(),
  strategies_may_submit: z.boolean(),
}).meta({ id: "ApprovalPolicyInput" });

export const approvalPolicySchema = approvalPolicyInput.extend({
  updated_at: z.string().nullable(),
}).meta({ id: "ApprovalPolicy" });
export type ApprovalPolicyView = z.infer<typeof approvalPolicySchema>;

/** The bid as the policy reads it. */
export interface PolicyBid {
  market: "DA" | "RT";
  interval_start: string;
  interval_end: string;
  segments: readonly Segment[];
  strategy_id?: string | null;
}

export const totalMw = (b: Pick<PolicyBid, "segments">) => b.segments.reduce((s, x) => s + x.quantity, 0);

/** Σ MW × |price| × the interval's hours: what the bid would be worth if fully awarded at its prices. */
export function notionalValue(b: Omit<PolicyBid, "market" | "strategy_id">): number {
  const hours = (Date.parse(b.interval_end) - Date.parse(b.interval_start)) / 3_600_000;
  return b.segments.reduce((s, x) => s + x.quantity * Math.abs(x.price), 0) * hours;
}

/** Why `bid` needs approval under `policy` (the first rule that applies), or null when it does not. */
export function approvalReason(policy: ApprovalPolicy, bid: PolicyBid): string | null {
  if (policy.all_bids) return "every bid needs approval";
  if (policy.strategy_bids && bid.strategy_id) return "made by a strategy";
  const mw = totalMw(bid);
  if (policy.above_mw !== null && mw > policy.above_mw + 1e-9) {
    return `${Number(mw.toFixed(3))} MW is above the ${policy.above_mw} MW threshold`;
  }
  const value = notionalValue(bid);
  if (policy.above_notional !== null && value > policy.above_notional + 1e-9) {
    return `notional value $${value.toFixed(2)} is above the $${policy.above_notional} threshold`;
  }
  return null;
}

/** Who is deciding, and on whose bid. */
export interface Decider {
  userId: string;
  role: Role;
  approver?: boolean;
}

/**
 * Why `decider` may not approve or reject a bid made by `createdBy`, or null when they may: approvers are
 * admins and members granted `approver`, and nobody decides on their own bid.
 */
export function approvalRefusal(decider: Decider, createdBy: string | null): { code: string; message: string } | null {
  if (!canApprove(decider)) {
    return { code: "not_an_approver", message: "Only admins and approvers may approve or reject bids" };
  }
  if (createdBy !== null && createdBy === decider.userId) {
    return { code: "own_bid", message: "Nobody approves their own bid: another approver must decide on it" };
  }
  return null;
}
