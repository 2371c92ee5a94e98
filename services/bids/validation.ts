/**
 * The server's one entry point for checking a bid: its shape, the caller's asset (another
 * organization's is not found: 404), then `checkBid` (services/bids/schema.ts, the browser's entry point,
 * over the same schema and rules). A refusal is a DomainError `invalid` / `validation_failed` whose
 * details name each field relative to the bid (`segments.1.price`); `at` prefixes them for a bid inside
 * a larger input (`bids.2`).
 */
import type { Queryable } from "../../db/database.ts";
import { featureEnabledIn } from "../admin/store.ts";
import { getAssetCached } from "../assets/store.ts";
import { DomainError, notFound } from "../errors.ts";
import {
  bidInputSchema,
  checkBid,
  type CheckedBid,
  checkVirtualBid,
  type Issue,
  issuesFromZod,
  isVirtualInput,
} from "./schema.ts";

export function invalidBid(issues: readonly Issue[], at = ""): DomainError {
  return new DomainError("invalid", "The bid is invalid: " + issues.map((i) => i.message).join("; "), {
    code: "validation_failed",
    details: issues.map((i) => ({ ...i, path: at ? `${at}.${i.path}` : i.path })),
  });
}

/**
 * Virtual bids are a feature an organization may not have (flag `virtual_bids`): off, no path creates,
 * edits, submits or approves one — the API, a batch, a strategy — as if the kind did not exist (404).
 */
export async function assertVirtualBidsOn(q: Queryable, orgId: string): Promise<void> {
  if (!await featureEnabledIn(q, orgId, "virtual_bids")) {
    throw notFound("Virtual bids are not enabled for your organization", { code: "feature_disabled" });
  }
}

export async function checkedBid(
  q: Queryable,
  orgId: string,
  input: unknown,
  now: Date,
  at = "",
  /** The caller has already checked the organization has virtual bids (a batch asks once). */
  opts: { virtualOn?: boolean } = {},
): Promise<CheckedBid> {
  // A virtual bid has no asset to load: its rules are the zone's (services/bids/virtual_rules.ts).
  if (isVirtualInput(input)) {
    if (!opts.virtualOn) await assertVirtualBidsOn(q, orgId);
    const v = checkVirtualBid(input, now);
    if (!v.ok) throw invalidBid(v.issues, at);
    return v.bid;
  }
  // The shape first: the asset is looked up only by a well-formed id.
  const shape = bidInputSchema.safeParse(input);
  if (!shape.success) throw invalidBid(issuesFromZod(shape.error), at);
  const asset = await getAssetCached(q, orgId, shape.data.asset_id);
  const r = checkBid(shape.data, { asset, now });
  if (!r.ok) throw invalidBid(r.issues, at);
  return r.bid;
}
