/**
 * The life of a bid: draft → submitted → (rejected | cleared) → settled, and withdrawn (from a draft, or
 * from a submitted bid while its market is still open). Pure and browser-safe, so pages can show only the
 * actions a bid allows, and the API enforces the same table.
 */
import type { Market } from "../market/types.ts";
import type { Iso } from "../market/zones.ts";
import { type BidStatus, submissionDeadline } from "./schema.ts";

/**
 * Allowed next statuses. `rejected`, `settled` and `withdrawn` are final: a rejected bid got no award (out
 * of the money at the clearing price, or refused by the market), so there is nothing to settle; a settled
 * one has been paid; a withdrawn one never reached the market or left it before it closed.
 */
export const TRANSITIONS: Readonly<Record<BidStatus, readonly BidStatus[]>> = Object.freeze({
  draft: Object.freeze(["submitted", "withdrawn"] as const),
  submitted: Object.freeze(["rejected", "cleared", "withdrawn"] as const),
  rejected: Object.freeze([] as const),
  cleared: Object.freeze(["settled"] as const),
  settled: Object.freeze([] as const),
  withdrawn: Object.freeze([] as const),
});

export function canTransition(from: BidStatus, to: BidStatus): boolean {
  return (TRANSITIONS[from] as readonly string[] | undefined)?.includes(to) ?? false;
}

export type BidTransitionErrorCode = "invalid_transition" | "gate_closed";

/** A refused status change. `code` is what the API puts in `{ error: { code } }` (with HTTP 409). */
export class BidTransitionError extends Error {
  constructor(
    readonly code: BidTransitionErrorCode,
    readonly from: BidStatus,
    readonly to: BidStatus,
    message: string,
  ) {
    super(message);
    this.name = "BidTransitionError";
  }
}

export function assertTransition(from: BidStatus, to: BidStatus): void {
  if (canTransition(from, to)) return;
  const next = TRANSITIONS[from] ?? [];
  throw new BidTransitionError(
    "invalid_transition",
    from,
    to,
    `a ${from} bid cannot become ${to}` +
      (next.length ? `; it can become ${next.join(" or ")}` : `; ${from} is a final status`),
  );
}

/** Only drafts may be edited: once submitted, the bid is what the market received. */
export function isEditable(status: BidStatus): boolean {
  return status === "draft";
}

/** Final statuses: nothing more happens to the bid. */
export function isFinal(status: BidStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/**
 * Withdrawal of a submitted bid is allowed only while the bid's market is open (strictly before the DA
 * gate or the RT deadline, as for submission); a draft can always be withdrawn, as it never reached the
 * market. Throws `BidTransitionError` with code `invalid_transition` or `gate_closed`.
 */
export function assertWithdrawable(
  bid: { status: BidStatus; zone: Iso; market: Market; interval_start: string | Date },
  now: Date,
): void {
  assertTransition(bid.status, "withdrawn");
  if (bid.status === "draft") return;
  const deadline = submissionDeadline(bid.zone, bid.market, bid.interval_start);
  if (now.getTime() >= deadline.getTime()) {
    throw new BidTransitionError(
      "gate_closed",
      bid.status,
      "withdrawn",
      `the ${bid.zone} ${bid.market} market closed for this interval at ${deadline.toISOString()}; ` +
        `a submitted bid can no longer be withdrawn`,
    );
  }
}
