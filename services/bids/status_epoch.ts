/**
 * Per organization, a number this process moves whenever it changes a bid's status: what is read about bid
 * statuses per page view (the approvals count in the navigation) is cached under it, so a change made here
 * shows on the very next page, and a change made by another instance within the cache's short lifetime.
 */
import { type Queryable, whenCommitted } from "../../db/database.ts";

const epochs = new Map<string, number>();

/**
 * Moved once the change written through `q` is committed: a page read before then still finds the old
 * statuses, and must not keep them under the new number.
 */
export function bidStatusesChanged(q: Queryable, orgId: string): void {
  whenCommitted(q, () => epochs.set(orgId, (epochs.get(orgId) ?? 0) + 1));
}

export function bidStatusEpoch(orgId: string): number {
  return epochs.get(orgId) ?? 0;
}
