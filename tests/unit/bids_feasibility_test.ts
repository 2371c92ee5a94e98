import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type CommitmentBid,
  committedMw,
  energyPath,
  feasibilityIssues,
  isLive,
  LIVE_STATUSES,
  type StorageLimits,
} from "../../services/bids/feasibility.ts";
import { BID_STATUSES, type BidSide } from "../../services/bids/schema.ts";
import { TRANSITIONS } from "../../services/bids/lifecycle.ts";

const HOUR = 3_600_000;
const FIVE_MIN = 300_000;
/** 00:00 on PJM operating day 2026-12-04 (EST, UTC−5). */
const DAY = Date.parse("2026-12-04T05:00:00Z");

/** The battery of the issue: 50 MW / 200 MWh, 160 MWh usable. */
const battery: StorageLimits = {
  kind: "storage",
  zone: "PJM",
  capacity_mw: 50,
  charge_mw: 50,
  discharge_mw: 50,
  energy_mwh: 200,
  round_trip_efficiency: 1,
  min_soc: 0.1,
  max_soc: 0.9,
};
const solar: StorageLimits = { kind: "solar", zone: "PJM", capacity_mw: 30 };

/** A submitted one-segment bid for `mw` over [start, start + length). */
function bid(
  market: "DA" | "RT",
  start: number,
  length: number,
  side: BidSide,
  mw: number,
  extra: Partial<CommitmentBid> = {},
): CommitmentBid {
  return {
    market,
    interval_start: new Date(start).toISOString(),
    interval_end: new Date(start + length).toISOString(),
    side,
    segments: [{ price: 30, quantity: mw }],
    status: "submitted",
    ...extra,
  };
}

function da(hour: number, side: BidSide, mw: number, extra: Partial<CommitmentBid> = {}): CommitmentBid {
  return bid("DA", DAY + hour * HOUR, HOUR, side, mw, extra);
}

function rt(minute: number, side: BidSide, mw: number): CommitmentBid {
  return bid("RT", DAY + minute * 60_000, FIVE_MIN, side, mw);
}

const codes = (issues: { code: string }[]) => issues.map((i) => i.code);

Deno.test("feasibility: live statuses are submitted, cleared, settled — a status the lifecycle adds must be classified", () => {
  assert.deepEqual([...LIVE_STATUSES], ["submitted", "cleared", "settled"]);
  for (const s of BID_STATUSES) {
    // Every status reachable from a live one either stays live or releases the commitment (final, not live).
    for (const next of TRANSITIONS[s]) {
      if (isLive(s) && !isLive(next)) assert.ok(["rejected", "withdrawn"].includes(next), `${s} → ${next}`);
    }
  }
  assert.equal(isLive("draft"), false);
});

Deno.test("feasibility: a second 50 MW offer for the same hour is refused, naming the live one", () => {
  const live = [{ ...da(14, "offer", 50), id: "11111111-1111-4111-8111-111111111111" }];
  const issues = feasibilityIssues(battery, live, [da(14, "offer", 50, { status: undefined })]);
  assert.deepEqual(codes(issues), ["side_capacity_exceeded"]);
  assert.equal(issues[0].path, "segments");
  assert.match(issues[0].message, /11111111-1111-4111-8111-111111111111/);
  assert.match(issues[0].message, /100 MW, more than the asset's discharge power of 50 MW/);
  // Up to the limit is fine: 20 + 30 on the same hour, and the next hour is free.
  assert.deepEqual(feasibilityIssues(battery, [da(14, "offer", 20)], [da(14, "offer", 30)]), []);
  assert.deepEqual(feasibilityIssues(battery, live, [da(15, "offer", 50)]), []);
});

Deno.test("feasibility: DA and RT count together, at the instant they overlap", () => {
  // A DA hour of 40 MW leaves 10 MW for any 5 minutes inside it.
  const live = [da(14, "offer", 40)];
  assert.deepEqual(feasibilityIssues(battery, live, [rt(14 * 60 + 10, "offer", 10)]), []);
  const issues = feasibilityIssues(battery, live, [rt(14 * 60 + 10, "offer", 11)]);
  assert.deepEqual(codes(issues), ["side_capacity_exceeded"]);
  assert.match(issues[0].message, /in 2026-12-04T19:10Z–2026-12-04T19:15Z/);
  // And a DA hour whose minutes already carry RT offers: the worst 5 minutes count.
  const issues2 = feasibilityIssues(battery, [rt(14 * 60 + 55, "offer", 25)], [da(14, "offer", 30)]);
  assert.deepEqual(codes(issues2), ["side_capacity_exceeded"]);
});

Deno.test("feasibility: a storage asset cannot charge and discharge at once; other hours are fine", () => {
  const issues = feasibilityIssues(battery, [da(14, "bid", 10)], [da(14, "offer", 10)]);
  assert.deepEqual(codes(issues), ["simultaneous_charge_discharge"]);
  assert.equal(issues[0].path, "side");
  assert.deepEqual(feasibilityIssues(battery, [da(13, "bid", 10)], [da(14, "offer", 10)]), []);
});

Deno.test("feasibility: six 50 MW discharge hours need 300 MWh of 160 usable — the fourth is refused", () => {
  const live: CommitmentBid[] = [];
  const verdicts: string[][] = [];
  for (let h = 8; h < 14; h++) {
    const issues = feasibilityIssues(battery, live, [da(h, "offer", 50)]);
    verdicts.push(codes(issues));
    if (!issues.length) live.push(da(h, "offer", 50));
  }
  // 3 × 50 = 150 MWh fits; a fourth hour (200 MWh) does not, nor any after it.
  assert.deepEqual(verdicts, [[], [], [], ["energy_infeasible"], ["energy_infeasible"], ["energy_infeasible"]]);
  const again = feasibilityIssues(battery, live, [da(20, "offer", 50)]);
  assert.match(again[0].message, /swing by 200 MWh/);
  assert.match(again[0].message, /usable energy is 160 MWh/);
  // Charging in between makes room: discharge 3 h, charge 2 h, discharge 2 h more.
  const cycled = [...live, da(14, "bid", 50), da(15, "bid", 50)];
  assert.deepEqual(feasibilityIssues(battery, cycled, [da(16, "offer", 50), da(17, "offer", 50)]), []);
});

Deno.test("feasibility: round-trip efficiency shrinks what a charge stores and grows what a discharge draws", () => {
  const lossy = { ...battery, round_trip_efficiency: 0.81 }; // √0.81 = 0.9
  // 3 h of 50 MW discharge draw 150 / 0.9 = 166.7 MWh > 160.
  const live = [da(1, "offer", 50), da(2, "offer", 50)];
  assert.deepEqual(codes(feasibilityIssues(lossy, live, [da(3, "offer", 50)])), ["energy_infeasible"]);
  assert.deepEqual(feasibilityIssues(battery, live, [da(3, "offer", 50)]), []);
});

Deno.test("feasibility: each operating day stands alone; days are the zone's, not UTC's", () => {
  const live = [da(20, "offer", 50), da(21, "offer", 50), da(22, "offer", 50)]; // 150 MWh on 2026-12-04
  // 23:00 EST is still 2026-12-04 in PJM (04:00Z on the 5th): refused.
  assert.deepEqual(codes(feasibilityIssues(battery, live, [da(23, "offer", 50)])), ["energy_infeasible"]);
  // 00:00 EST on the 5th is a new day.
  assert.deepEqual(feasibilityIssues(battery, live, [da(24, "offer", 50)]), []);
});

Deno.test("feasibility: cleared bids count what was awarded; drafts, rejected and withdrawn nothing", () => {
  assert.equal(committedMw(da(1, "offer", 50, { status: "cleared", awarded_mw: 20 })), 20);
  assert.equal(committedMw(da(1, "offer", 50, { status: "submitted", awarded_mw: null })), 50);
  const live = [
    da(14, "offer", 50, { status: "cleared", awarded_mw: 20 }),
    da(14, "offer", 50, { status: "withdrawn" }),
    da(14, "offer", 50, { status: "draft" }),
    da(14, "offer", 50, { status: "rejected" }),
  ];
  assert.deepEqual(feasibilityIssues(battery, live, [da(14, "offer", 30)]), []);
  assert.deepEqual(codes(feasibilityIssues(battery, live, [da(14, "offer", 31)])), ["side_capacity_exceeded"]);
});

Deno.test("feasibility: non-storage assets have only the capacity rule", () => {
  assert.deepEqual(feasibilityIssues(solar, [da(12, "offer", 20)], [da(12, "offer", 10)]), []);
  const issues = feasibilityIssues(solar, [da(12, "offer", 20)], [da(12, "offer", 11)]);
  assert.deepEqual(codes(issues), ["side_capacity_exceeded"]);
  assert.match(issues[0].message, /capacity of 30 MW/);
  // All day at full capacity: no energy limit for a plant.
  const day = Array.from({ length: 23 }, (_, h) => da(h, "offer", 30));
  assert.deepEqual(feasibilityIssues(solar, day, [da(23, "offer", 30)]), []);
});

Deno.test("feasibility: several candidates are judged in order, each path carrying its index", () => {
  const issues = feasibilityIssues(battery, [], [da(5, "offer", 30), da(5, "offer", 30), da(5, "bid", 10)]);
  assert.deepEqual(issues.map((i) => [i.path, i.code]), [
    ["1.segments", "side_capacity_exceeded"],
    ["2.side", "simultaneous_charge_discharge"],
  ]);
  assert.match(issues[0].message, /bid 0 of this request/);
});

// ---------------------------------------------------------------------------------------------------
// Properties

/** Small random batteries and bids on one PJM day (DA hours and RT 5-minute intervals mixed). */
const assetArb = fc.record({
  kind: fc.constant("storage" as const),
  zone: fc.constant("PJM" as const),
  capacity_mw: fc.constant(100),
  charge_mw: fc.integer({ min: 1, max: 100 }),
  discharge_mw: fc.integer({ min: 1, max: 100 }),
  energy_mwh: fc.integer({ min: 1, max: 400 }),
  round_trip_efficiency: fc.integer({ min: 50, max: 100 }).map((x) => x / 100),
  min_soc: fc.integer({ min: 0, max: 40 }).map((x) => x / 100),
  max_soc: fc.integer({ min: 60, max: 100 }).map((x) => x / 100),
});
const bidArb = fc.record({
  rt: fc.boolean(),
  slot: fc.integer({ min: 0, max: 287 }),
  side: fc.constantFrom("offer" as const, "bid" as const),
  mw: fc.integer({ min: 1, max: 120 }),
}).map(({ rt: isRt, slot, side, mw }) => (isRt ? rt(slot * 5, side, mw) : da(Math.floor(slot / 12), side, mw)));

/** A reference on the 5-minute grid, written independently of the module: is this set of bids deliverable? */
function deliverable(asset: typeof assetArb extends fc.Arbitrary<infer A> ? A : never, bids: CommitmentBid[]) {
  const offer = new Array(288).fill(0), charge = new Array(288).fill(0);
  for (const b of bids) {
    const from = (Date.parse(b.interval_start as string) - DAY) / FIVE_MIN;
    const to = (Date.parse(b.interval_end as string) - DAY) / FIVE_MIN;
    for (let i = from; i < to; i++) (b.side === "offer" ? offer : charge)[i] += committedMw(b);
  }
  const eta = Math.sqrt(asset.round_trip_efficiency);
  let level = 0, lo = 0, hi = 0;
  for (let i = 0; i < 288; i++) {
    if (offer[i] > asset.discharge_mw + 1e-9 || charge[i] > asset.charge_mw + 1e-9) return false;
    if (offer[i] > 0 && charge[i] > 0) return false;
    level += (charge[i] * eta - offer[i] / eta) / 12;
    lo = Math.min(lo, level);
    hi = Math.max(hi, level);
  }
  // Some start in [min, max] keeps every point in range: start = emin − lo.
  const emin = asset.energy_mwh * asset.min_soc, emax = asset.energy_mwh * asset.max_soc;
  return emin - lo + hi <= emax + 1e-6;
}

Deno.test("property: bids accepted one by one always leave a deliverable day (a SoC path within limits)", () => {
  fc.assert(
    fc.property(assetArb, fc.array(bidArb, { maxLength: 30 }), (asset, bids) => {
      const live: CommitmentBid[] = [];
      for (const b of bids) if (!feasibilityIssues(asset, live, [b]).length) live.push(b);
      assert.ok(deliverable(asset, live), `accepted an undeliverable set of ${live.length} bids`);
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: a candidate is refused exactly when adding it makes the day undeliverable", () => {
  fc.assert(
    fc.property(assetArb, fc.array(bidArb, { maxLength: 20 }), bidArb, (asset, bids, candidate) => {
      const live: CommitmentBid[] = [];
      for (const b of bids) if (deliverable(asset, [...live, b])) live.push(b);
      const refused = feasibilityIssues(asset, live, [candidate]).length > 0;
      assert.equal(refused, !deliverable(asset, [...live, candidate]));
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: a batch is accepted only if the same bids one by one would be", () => {
  fc.assert(
    fc.property(assetArb, fc.array(bidArb, { minLength: 1, maxLength: 12 }), (asset, bids) => {
      const batch = feasibilityIssues(asset, [], bids);
      if (!batch.length) assert.ok(deliverable(asset, bids));
    }),
    { numRuns: 300 },
  );
});

Deno.test("energyPath: highest and lowest stored energy relative to the start", () => {
  const path = energyPath([
    { start: 0, end: HOUR, side: "bid", mw: 10 },
    { start: 2 * HOUR, end: 4 * HOUR, side: "offer", mw: 10 },
  ], 1);
  assert.deepEqual(path, { max: 10, min: -10 });
});
