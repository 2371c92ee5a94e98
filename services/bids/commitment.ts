/**
 * The moment a bid becomes live: may the asset take it on, given everything it has already committed to?
 * The rules are services/bids/feasibility.ts; this module makes them hold under concurrent submissions.
 *
 * Two submissions for the same asset could each read the other's bid as a draft and both pass. So the
 * check takes a row lock on the asset first (`FOR NO KEY UPDATE`, held to the end of the caller's
 * transaction) and reads the live bids after it: a second submitter for the same asset waits until the
 * first commits, then sees its bid as live (READ COMMITTED takes a new snapshot per statement). The lock
 * mode does not conflict with the `FOR KEY SHARE` a draft's foreign key takes, so creating drafts never
 * waits; it does conflict with an UPDATE of the asset, so limits cannot change under a check.
 */
import type { Queryable, Transaction } from "../../db/database.ts";
import { localDayBounds } from "../market/clock.ts";
import { type Iso, operatingDate, ZONES } from "../market/zones.ts";
import { DomainError } from "../errors.ts";
import { type CommitmentBid, feasibilityIssues, LIVE_STATUSES, type StorageLimits } from "./feasibility.ts";
import type { BidStatus, Segment } from "./schema.ts";

export interface CandidateBid {
  id: string;
  asset_id: string;
  market: "DA" | "RT";
  zone: string;
  interval_start: string | Date;
  interval_end: string | Date;
  side: "offer" | "bid";
  segments: readonly Segment[];
  status: BidStatus;
}

const LIMIT_COLUMNS = `a.kind, s.zone, a.capacity_mw::float8 AS capacity_mw, a.charge_mw::float8 AS charge_mw,
  a.discharge_mw::float8 AS discharge_mw, a.energy_mwh::float8 AS energy_mwh,
  a.round_trip_efficiency::float8 AS round_trip_efficiency, a.min_soc::float8 AS min_soc, a.max_soc::float8 AS max_soc`;

async function lockAsset(q: Queryable, orgId: string, assetId: string): Promise<StorageLimits> {
  const [asset] = await q.query<StorageLimits>(
    `SELECT ${LIMIT_COLUMNS} FROM assets a JOIN sites s ON s.id = a.site_id
      WHERE a.id = $1 AND a.org_id = $2 FOR NO KEY UPDATE OF a`,
    [assetId, orgId],
  );
  if (!asset) throw new DomainError("not_found", "Asset not found", { code: "not_found" });
  return asset;
}

/**
 * Locks several assets in one order (by id), so two transactions locking overlapping sets (a batch of
 * bids on several assets) cannot deadlock. Pass each bid's asset from the result to `checkCommitment`
 * (the lock is held to the end of the transaction, so it is not taken again per bid).
 */
export async function lockAssets(
  tx: Transaction,
  orgId: string,
  assetIds: readonly string[],
): Promise<Map<string, StorageLimits>> {
  const locked = new Map<string, StorageLimits>();
  for (const id of [...new Set(assetIds)].sort()) locked.set(id, await lockAsset(tx, orgId, id));
  return locked;
}

/**
 * Refuses (409 `over_committed`, every broken rule in `details`) a bid that the asset cannot deliver on
 * top of its live bids. Call it inside the transaction that makes the bid live, before or after its
 * status changes (the bid itself is never counted twice). `locked`: the asset as `lockAssets` already
 * locked it in this transaction.
 */
export async function checkCommitment(
  tx: Transaction,
  orgId: string,
  bid: CandidateBid,
  locked?: StorageLimits,
): Promise<void> {
  const asset = locked ?? await lockAsset(tx, orgId, bid.asset_id);
  const zone = asset.zone as Iso;
  // The bid's whole operating day: storage energy is judged per day (feasibility.ts).
  const [from, to] = localDayBounds(ZONES[zone].timeZone, operatingDate(zone, new Date(bid.interval_start)));
  const live = await tx.query<CommitmentBid>(
    `SELECT id, market, interval_start, interval_end, side, segments, status, awarded_mw::float8 AS awarded_mw
       FROM bids
      WHERE org_id = $1 AND asset_id = $2 AND status = ANY($3::text[]) AND id <> $4::uuid
        AND interval_end > $5 AND interval_start < $6`,
    [orgId, bid.asset_id, LIVE_STATUSES, bid.id, new Date(from), new Date(to)],
  );
  const candidate: CommitmentBid = {
    id: bid.id,
    market: bid.market,
    interval_start: new Date(bid.interval_start),
    interval_end: new Date(bid.interval_end),
    side: bid.side,
    segments: bid.segments,
  };
  const issues = feasibilityIssues(asset, live, [candidate]);
  if (!issues.length) return;
  throw new DomainError(
    "conflict",
    `The asset cannot take on this bid with its live bids: ${issues.map((i) => i.message).join("; ")}`,
    { code: "over_committed", details: issues },
  );
}
