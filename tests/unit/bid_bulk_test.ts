/** The bid list's bulk actions (what each applies to, which ask first, copies to another day) and the RT builder's next N intervals. */
import assert from "node:assert/strict";
import { applicable, bulkRequest, copyToDay, needsConfirmation } from "../../components/bid_bulk.ts";
import type { BidRow } from "../../components/bid_format.ts";
import { MAX_REPEAT, repeatedBids } from "../../components/bid_form.ts";

const row = (over: Partial<BidRow>): BidRow => ({
  id: "b",
  kind: "physical",
  asset_id: "a",
  asset_name: "A",
  location: null,
  zone: "PJM",
  market: "DA",
  interval_start: "2025-07-03T20:00:00.000Z",
  interval_end: "2025-07-03T21:00:00.000Z",
  side: "offer",
  segments: [{ price: 30, quantity: 5 }],
  status: "draft",
  awarded_mw: null,
  clearing_price: null,
  revenue: null,
  ...over,
});

Deno.test("bulk: each action applies to the statuses the lifecycle allows it for; withdraw and delete confirm", () => {
  const rows = [row({ id: "d" }), row({ id: "s", status: "submitted" }), row({ id: "c", status: "cleared" })];
  assert.deepEqual(applicable(rows, "submit").map((r) => r.id), ["d"]);
  assert.deepEqual(applicable(rows, "withdraw").map((r) => r.id), ["d", "s"]);
  assert.deepEqual(applicable(rows, "delete").map((r) => r.id), ["d"]);
  assert.equal(needsConfirmation("submit"), false);
  assert.equal(needsConfirmation("withdraw"), true);
  assert.equal(needsConfirmation("delete"), true);
  assert.deepEqual(bulkRequest("delete", "x"), { method: "DELETE", url: "/api/bids/x" });
  assert.deepEqual(bulkRequest("withdraw", "x"), { method: "POST", url: "/api/bids/x/withdraw" });
});

Deno.test("bulk: copying to another day keeps the hour-ending across DST days; RT bids are skipped", () => {
  // HE17 (16:00–17:00) is 20:00Z on 3 July (EDT) and 21:00Z on 3 November (EST).
  const { bids, skipped } = copyToDay([row({}), row({ market: "RT" })], "2025-11-03");
  assert.equal(skipped, 1);
  assert.deepEqual(bids, [{
    asset_id: "a",
    market: "DA",
    interval_start: "2025-11-03T21:00:00.000Z",
    side: "offer",
    segments: [{ price: 30, quantity: 5 }],
  }]);
  // HE2* of the autumn day lands on HE2; HE3 has no hour on the spring day.
  const autumnHe2Star = row({ interval_start: "2025-11-02T06:00:00.000Z" });
  assert.equal(copyToDay([autumnHe2Star], "2025-07-10").bids[0].interval_start, "2025-07-10T05:00:00.000Z");
  const he3 = row({ interval_start: "2025-07-03T06:00:00.000Z" });
  assert.deepEqual(copyToDay([he3], "2025-03-09"), { bids: [], skipped: 1 });
});

Deno.test("RT builder: the next N intervals are N bids 5 minutes apart (at most an hour); DA stays one bid", () => {
  const rt = { market: "RT" as const, interval_start: "2025-07-03T14:55:00Z", side: "offer" };
  const bids = repeatedBids(rt, 3);
  assert.deepEqual(bids.map((b) => b.interval_start), [
    "2025-07-03T14:55:00.000Z",
    "2025-07-03T15:00:00.000Z",
    "2025-07-03T15:05:00.000Z",
  ]);
  assert.ok(bids.every((b) => b.side === "offer"));
  assert.equal(repeatedBids(rt, 99).length, MAX_REPEAT);
  assert.deepEqual(repeatedBids(rt, 1), [rt]);
  const da = { market: "DA" as const, interval_start: "2025-07-03T14:00:00Z" };
  assert.deepEqual(repeatedBids(da, 5), [da]);
});
