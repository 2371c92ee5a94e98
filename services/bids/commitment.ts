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
import type { BidStatus, Issue, Segment } from "./schema.ts";

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

/** One issue of a batch's commitment check: `index` is the bid's place in the batch, `path` starts `bids.N.`. */
export interface BatchCommitmentIssue extends Issue {
  index: number;
}

/**
 * `checkCommitment` for a whole batch at once (a day of bids): the bids of each asset are judged together
 * against that asset's live bids of the operating days they touch, read in one query per asset rather than
 * one per bid. A batch that over-commits its asset is refused as a whole (409 `over_committed`), each issue
 * naming its bid (`index`, `bids.N.segments`), so a day grid can put the message on its row. The assets must
 * be locked already (`lockAssets`).
 */
export async function checkBatchCommitment(
  tx: Transaction,
  orgId: string,
  bids: readonly CandidateBid[],
  locked: ReadonlyMap<string, StorageLimits>,
): Promise<void> {
  const byAsset = new Map<string, number[]>();
  bids.forEach((b, i) => byAsset.set(b.asset_id, [...(byAsset.get(b.asset_id) ?? []), i]));
  const issues: BatchCommitmentIssue[] = [];
  for (const [assetId, indexes] of byAsset) {
    const asset = locked.get(assetId);
    if (!asset) throw new DomainError("not_found", "Asset not found", { code: "not_found" });
    const zone = asset.zone as Iso;
    let from = Infinity, to = -Infinity;
    for (const i of indexes) {
      const [f, t] = localDayBounds(ZONES[zone].timeZone, operatingDate(zone, new Date(bids[i].interval_start)));
      from = Math.min(from, f);
      to = Math.max(to, t);
    }
    const live = await tx.query<CommitmentBid>(
      `SELECT id, market, interval_start, interval_end, side, segments, status, awarded_mw::float8 AS awarded_mw
         FROM bids
        WHERE org_id = $1 AND asset_id = $2 AND status = ANY($3::text[]) AND id <> ALL($4::uuid[])
          AND interval_end > $5 AND interval_start < $6`,
      [orgId, assetId, LIVE_STATUSES, indexes.map((i) => bids[i].id), new Date(from), new Date(to)],
    );
    const candidates: CommitmentBid[] = indexes.map((i) => ({
      id: bids[i].id,
      market: bids[i].market,
      interval_start: new Date(bids[i].interval_start),
      interval_end: new Date(bids[i].interval_end),
      side: bids[i].side,
      segments: bids[i].segments,
    }));
    for (const issue of feasibilityIssues(asset, live, candidates)) {
      // feasibilityIssues prefixes paths with the candidate's place among several ("3.segments").
      const m = candidates.length > 1 ? /^(\d+)\.(.*)$/.exec(issue.path) : null;
      const local = m ? Number(m[1]) : 0;
      const field = m ? m[2] : issue.path;
      const index = indexes[local];
      const message = m ? issue.message.replace(/^\d+\./, `bids.${index}.`) : `bids.${index}.${issue.message}`;
      issues.push({ ...issue, index, path: `bids.${index}.${field}`, message });
    }
  }
  if (!issues.length) return;
  throw new DomainError(
    "conflict",
    `${new Set(issues.map((i) => i.index)).size} of ${bids.length} bids do not fit their asset with its live ` +
      `bids; none were submitted: ${issues.slice(0, 3).map((i) => i.message).join("; ")}` +
      (issues.length > 3 ? `; and ${issues.length - 3} more` : ""),
    { code: "over_committed", details: issues },
  );
}
