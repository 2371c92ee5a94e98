/**
 * STUB, to be replaced by the commitment check being written in parallel (issue 13, "a battery can be
 * over-committed"): the asset's live bids for an interval must fit its capacity per side, a storage
 * asset's day must be feasible, under a per-asset lock. The bid actions call it once, inside the
 * transaction that makes a bid live, after validation (services/bids/actions.ts `goLive`).
 */
import type { Transaction } from "../../db/database.ts";

/** The bid as stored, about to go live. */
export interface LiveBid {
  id: string;
  asset_id: string;
  market: "DA" | "RT";
  zone: string;
  interval_start: string;
  interval_end: string;
  side: "offer" | "bid";
  segments: { price: number; quantity: number }[];
  status: string;
}

export async function checkCommitment(_tx: Transaction, _orgId: string, _bid: LiveBid): Promise<void> {}
