/** The approvals count in the navigation: read once per change of the organization's bids, not per page view. */
import assert from "node:assert/strict";
import type { Queryable } from "../../db/database.ts";
import { cachedPendingCount } from "../../services/bids/approval.ts";
import { bidStatusesChanged } from "../../services/bids/status_epoch.ts";

Deno.test("approvals count: cached per approver until the organization's bids change", async () => {
  let reads = 0;
  let pending = 3;
  const db = {
    query: () => {
      reads++;
      return Promise.resolve([{ n: pending }]);
    },
  } as unknown as Queryable;
  const org = crypto.randomUUID(), other = crypto.randomUUID();
  const alice = crypto.randomUUID(), bob = crypto.randomUUID();
  assert.equal(await cachedPendingCount(db, org, alice), 3);
  assert.equal(await cachedPendingCount(db, org, alice), 3);
  assert.equal(reads, 1, "the second page view reads nothing");
  assert.equal(await cachedPendingCount(db, org, bob), 3);
  assert.equal(reads, 2, "each approver has their own count (their own bids are not theirs to approve)");
  pending = 2;
  bidStatusesChanged(db, other);
  assert.equal(await cachedPendingCount(db, org, alice), 3, "another organization's change is not this one's");
  bidStatusesChanged(db, org);
  assert.equal(await cachedPendingCount(db, org, alice), 2, "a change in the organization shows at once");
  assert.equal(reads, 3);
});
