/**
 * The life of a bid, and the ONLY rule of what may be done with one: draft → submitted → (rejected |
 * cleared) → settled, and withdrawn. Where the organization's policy asks for a second person (four-eyes,
 * services/bids/approval.ts), a submission goes draft → pending_approval first, and from there to submitted
 * (approved), rejected (with the approver's reason), withdrawn, or expired (still waiting at the gate). Pure and browser-safe, so pages show only the actions a bid allows,
 * and every bid action (services/bids/actions.ts) asks the same table before it writes.
 *
 * The rule on the market's deadline: it applies to what the market has or would receive. Submitting a
 * draft and withdrawing a submitted bid need the market still open for the interval (strictly before the
 * DA gate or the RT deadline). A draft never reached the market, so it may be edited, deleted or
 * withdrawn (closed out, keeping its history) at any time, also after its gate: refusing that would only
 * leave a dead draft behind.
 */
import type { Market } from "../market/types.ts";
import type { Iso } from "../market/zones.ts";
import { DomainError } from "../errors.ts";
import { type BidStatus, submissionDeadline } from "./schema.ts";

/**
 * Allowed next statuses. `rejected`, `settled` and `withdrawn` are final: a rejected bid got no award (out
 * of the money at the clearing price, or refused by the market), so there is nothing to settle; a settled
 * one has been paid; a withdrawn one never reached the market or left it before it closed. Clearing and
 * settlement make the system's moves; a user's are the actions below.
 */
export const TRANSITIONS: Readonly<Record<BidStatus, readonly BidStatus[]>> = Object.freeze({
  draft: Object.freeze(["pending_approval", "submitted", "withdrawn"] as const),
  pending_approval: Object.freeze(["submitted", "rejected", "withdrawn", "expired"] as const),
  submitted: Object.freeze(["rejected", "cleared", "withdrawn"] as const),
  rejected: Object.freeze([] as const),
  cleared: Object.freeze(["settled"] as const),
  settled: Object.freeze([] as const),
  withdrawn: Object.freeze([] as const),
  expired: Object.freeze([] as const),
});

export function canTransition(from: BidStatus, to: BidStatus): boolean {
  return (TRANSITIONS[from] as readonly string[] | undefined)?.includes(to) ?? false;
}

/** Final statuses: nothing more happens to the bid. */
export function isFinal(status: BidStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** What a user does to an existing bid. */
export const BID_ACTIONS = ["edit", "submit", "withdraw", "delete", "approve", "reject"] as const;
export type BidAction = typeof BID_ACTIONS[number];

/** When an action is allowed: at any time, or only while the market is open for the bid's interval. */
export type ActionWindow = "any_time" | "market_open";

/**
 * The status each action leads to; `null`: the bid is gone. A submit that the organization's policy sends
 * for approval leads to `pending_approval` instead (`SUBMIT_FOR_APPROVAL`).
 */
export const ACTION_RESULT: Readonly<Record<BidAction, BidStatus | null>> = Object.freeze({
  edit: "draft",
  submit: "submitted",
  withdraw: "withdrawn",
  delete: null,
  approve: "submitted",
  reject: "rejected",
});

/** Where a submit goes when the bid needs a second person first. */
export const SUBMIT_FOR_APPROVAL: BidStatus = "pending_approval";

/**
 * THE table: per status, the actions a user may take and when. Only drafts are edited (once submitted,
 * the bid is what the market received) or deleted (a submitted bid keeps its record).
 */
export const ACTIONS: Readonly<Record<BidStatus, Readonly<Partial<Record<BidAction, ActionWindow>>>>> = Object
  .freeze({
    draft: Object.freeze({ edit: "any_time", submit: "market_open", withdraw: "any_time", delete: "any_time" }),
    // Approving sends it to the market, so only while the market is open; rejecting or withdrawing it
    // (it never reached the market) at any time. Who may approve is services/bids/approval.ts's rule.
    pending_approval: Object.freeze({ withdraw: "any_time", approve: "market_open", reject: "any_time" }),
    submitted: Object.freeze({ withdraw: "market_open" }),
    rejected: Object.freeze({}),
    cleared: Object.freeze({}),
    settled: Object.freeze({}),
    withdrawn: Object.freeze({}),
    expired: Object.freeze({}),
  });

export type BidTransitionErrorCode = "invalid_transition" | "gate_closed";

/** A refused action: a conflict with the bid's state (HTTP 409), `code` as in `{ error: { code } }`. */
export class BidTransitionError extends DomainError {
  constructor(
    code: BidTransitionErrorCode,
    readonly status: BidStatus,
    readonly action: BidAction,
    message: string,
  ) {
    super("conflict", message, { code, details: { status, action } });
    this.name = "BidTransitionError";
  }
}

/** The bid as the rule needs it. */
export interface BidState {
  status: BidStatus;
  zone: Iso | string;
  market: Market;
  interval_start: string | Date;
}

const PAST: Record<BidAction, string> = {
  edit: "edited",
  submit: "submitted",
  withdraw: "withdrawn",
  delete: "deleted",
  approve: "approved",
  reject: "rejected",
};

/** Why `action` is refused for `bid` at `now`, or null when it is allowed. */
export function refusal(bid: BidState, action: BidAction, now: Date): BidTransitionError | null {
  const window = ACTIONS[bid.status]?.[action];
  if (!window) {
    const allowed = Object.keys(ACTIONS[bid.status] ?? {});
    return new BidTransitionError(
      "invalid_transition",
      bid.status,
      action,
      `A ${bid.status} bid cannot be ${PAST[action]}` +
        (allowed.length ? `; it can be ${allowed.map((a) => PAST[a as BidAction]).join(", ")}` : ""),
    );
  }
  if (window === "market_open") {
    const deadline = submissionDeadline(bid.zone as Iso, bid.market, bid.interval_start);
    if (now.getTime() >= deadline.getTime()) {
      return new BidTransitionError(
        "gate_closed",
        bid.status,
        action,
        `The ${bid.zone} ${bid.market} market closed for this interval at ${deadline.toISOString()}; ` +
          `a ${bid.status} bid can no longer be ${PAST[action]}`,
      );
    }
  }
  return null;
}

export function allows(bid: BidState, action: BidAction, now: Date): boolean {
  return refusal(bid, action, now) === null;
}

/** Throws `BidTransitionError` (`invalid_transition` or `gate_closed`) unless the table allows it. */
export function assertAllowed(bid: BidState, action: BidAction, now: Date): void {
  const e = refusal(bid, action, now);
  if (e) throw e;
}

/** The actions `bid` allows at `now`, in the table's order (what a page offers as buttons; approving and
 * rejecting are offered to approvers only, on the approval queue and the bid's page). */
export function allowedActions(bid: BidState, now: Date): BidAction[] {
  return BID_ACTIONS.filter((a) => allows(bid, a, now));
}
