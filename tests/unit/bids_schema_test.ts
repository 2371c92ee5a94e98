import assert from "node:assert/strict";
import { localDayBounds, tzOffsetMs } from "../../services/market/clock.ts";
import { type Iso, ISOS, ZONES } from "../../services/market/zones.ts";
import {
  type AssetLimits,
  type BidContext,
  type BidInput,
  bidInputSchema,
  checkBid,
  daGate,
  intervalEnd,
  type Issue,
  issuesFromZod,
  RT_LEAD_MINUTES,
  rtBidDeadline,
  submissionDeadline,
} from "../../services/bids/schema.ts";

/** The rules' verdict through the one entry point: its issues, [] when the bid passes. */
function validateBid(input: BidInput, ctx: BidContext): Issue[] {
  const r = checkBid(input, ctx);
  return r.ok ? [] : r.issues;
}

const ASSET_ID = "0a1b2c3d-0000-4000-8000-000000000001";
const SECOND = 1000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Before any July 2025 gate, and within the DA horizon of 2025-07-01: only the rule under test can fail. */
const EARLY = new Date("2025-06-28T00:00:00Z");
/** The same for RT bids on 2025-07-01 (their horizon is hours, not days). */
const EARLY_RT = new Date("2025-07-01T00:00:00Z");

const solar: AssetLimits = { kind: "solar", zone: "PJM", capacity_mw: 10 };
const battery: AssetLimits = { kind: "storage", zone: "PJM", capacity_mw: 20, charge_mw: 8, discharge_mw: 10 };

function bid(over: Partial<BidInput> = {}): BidInput {
  return {
    asset_id: ASSET_ID,
    zone: "PJM",
    market: "DA",
    interval_start: "2025-07-01T14:00:00Z",
    side: "offer",
    segments: [{ price: 20, quantity: 5 }],
    ...over,
  };
}

const segs = (...prices: number[]) => prices.map((price) => ({ price, quantity: 1 }));
const found = (issues: Issue[]) => issues.map((i) => `${i.path}:${i.code}`);

/** The message names its field, as the brief for API and island requires. */
function assertNamed(issues: Issue[]) {
  for (const i of issues) assert.ok(i.message.includes(i.path || "bid"), `"${i.message}" does not name ${i.path}`);
}

function check(input: BidInput, asset: AssetLimits, now = EARLY): string[] {
  const issues = validateBid(input, { asset, now });
  assertNamed(issues);
  return found(issues);
}

// ---------------------------------------------------------------------------------------------------
// Schema

Deno.test("bid schema: a well-formed bid parses; every field error names its field", () => {
  assert.deepEqual(bidInputSchema.parse(bid()), bid());
  // An offset is accepted; it is the same instant.
  assert.ok(bidInputSchema.safeParse(bid({ interval_start: "2025-07-01T10:00:00-04:00" })).success);

  const cases: [unknown, string[]][] = [
    [{ ...bid(), asset_id: "asset-1" }, ["asset_id:invalid_format"]],
    [{ ...bid(), zone: "ERCOT-N" }, ["zone:invalid_value"]],
    [{ ...bid(), market: "HA" }, ["market:invalid_value"]],
    [{ ...bid(), interval_start: "2025-07-01 14:00" }, ["interval_start:invalid_format"]],
    [{ ...bid(), side: "sell" }, ["side:invalid_value"]],
    [{ ...bid(), segments: [] }, ["segments:too_small"]],
    [{ ...bid(), segments: segs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11) }, ["segments:too_big"]],
    [{ ...bid(), segments: [{ price: 1, quantity: 0 }] }, ["segments.0.quantity:too_small"]],
    [{ ...bid(), segments: [{ price: 1, quantity: 1 }, { price: 2, quantity: -1 }] }, [
      "segments.1.quantity:too_small",
    ]],
    [{ ...bid(), segments: [{ price: "30", quantity: 1 }] }, ["segments.0.price:invalid_type"]],
    [{ ...bid(), segments: [{ price: Infinity, quantity: 1 }] }, ["segments.0.price:invalid_type"]],
    [{ ...bid(), segments: [{ price: 1 }] }, ["segments.0.quantity:invalid_type"]],
    [{ ...bid(), segments: [{ price: 1, quantity: 1, block: true }] }, ["segments.0:unrecognized_keys"]],
    // interval_end is derived, never accepted: a sent one could disagree with the market's length.
    [{ ...bid(), interval_end: "2025-07-01T15:00:00Z" }, [":unrecognized_keys"]],
    [{ ...bid(), asset_id: undefined }, ["asset_id:invalid_type"]],
  ];
  for (const [input, want] of cases) {
    const r = bidInputSchema.safeParse(input);
    assert.equal(r.success, false, JSON.stringify(input));
    const issues = issuesFromZod(r.error!);
    assert.deepEqual(found(issues), want, JSON.stringify(input));
    assertNamed(issues);
  }
  assert.ok(bidInputSchema.safeParse({ ...bid(), segments: segs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10) }).success);
  const missing = issuesFromZod(bidInputSchema.safeParse({ ...bid(), asset_id: undefined }).error!);
  assert.match(missing[0].message, /^asset_id is missing/);
  const extra = issuesFromZod(bidInputSchema.safeParse({ ...bid(), interval_end: "x" }).error!);
  assert.match(extra[0].message, /unknown field\(s\) interval_end/);
});

Deno.test("bid schema: interval_end is derived — 1 h for DA, 5 min for RT, also across DST", () => {
  assert.equal(intervalEnd("DA", "2025-07-01T14:00:00Z"), "2025-07-01T15:00:00.000Z");
  assert.equal(intervalEnd("RT", "2025-07-01T14:55:00Z"), "2025-07-01T15:00:00.000Z");
  assert.equal(intervalEnd("DA", new Date("2025-07-01T10:00:00-04:00")), "2025-07-01T15:00:00.000Z");
  // 01:00 EDT on 2025-11-02 is followed by 01:00 EST: the interval is still one real hour.
  assert.equal(intervalEnd("DA", "2025-11-02T05:00:00Z"), "2025-11-02T06:00:00.000Z");
  assert.throws(() => intervalEnd("DA", "yesterday"), RangeError);
  for (const z of ISOS) assert.equal(ZONES[z].rtIntervalMinutes, 5, `${z}: intervalEnd assumes 5-minute RT`);
});

// ---------------------------------------------------------------------------------------------------
// Prices

Deno.test("rules: prices exactly at the zone's cap and floor pass; one cent beyond fails", () => {
  for (const zone of ISOS) {
    const { offerCap: cap, offerFloor: floor } = ZONES[zone];
    const asset: AssetLimits = { kind: "storage", zone, capacity_mw: 10 };
    const cases: [BidInput["side"], number[], string[]][] = [
      ["offer", [floor, cap], []],
      ["offer", [floor, cap + 0.01], ["segments.1.price:price_above_cap"]],
      ["offer", [floor - 0.01, cap], ["segments.0.price:price_below_floor"]],
      ["bid", [cap, floor], []],
      ["bid", [cap + 0.01, floor - 0.01], ["segments.0.price:price_above_cap", "segments.1.price:price_below_floor"]],
    ];
    for (const [side, prices, want] of cases) {
      assert.deepEqual(check(bid({ zone, side, segments: segs(...prices) }), asset), want, `${zone} ${side} ${prices}`);
    }
  }
  // The figures themselves, by hand (zones.ts cites them): the market-based cap, not the cost-verified one.
  const pjm = (p: number) => check(bid({ segments: segs(p) }), solar);
  assert.deepEqual(pjm(1000), []);
  assert.deepEqual(pjm(1000.01), ["segments.0.price:price_above_cap"]);
  assert.deepEqual(pjm(1500), ["segments.0.price:price_above_cap"]); // below PJM's $2,000 cost-based cap
  assert.deepEqual(pjm(-1000), []);
  const ercot: AssetLimits = { ...solar, zone: "ERCOT" };
  assert.deepEqual(check(bid({ zone: "ERCOT", segments: segs(-250, 5000) }), ercot), []);
  assert.deepEqual(check(bid({ zone: "ERCOT", segments: segs(-250.01) }), ercot), [
    "segments.0.price:price_below_floor",
  ]);
  const caiso: AssetLimits = { ...solar, zone: "CAISO" };
  assert.deepEqual(check(bid({ zone: "CAISO", segments: segs(-150.01) }), caiso), [
    "segments.0.price:price_below_floor",
  ]);
  const [issue] = validateBid(bid({ segments: segs(1000.01) }), { asset: solar, now: EARLY });
  assert.equal(issue.message, "segments.0.price $1,000.01/MWh is above PJM's cap of $1,000/MWh");
});

Deno.test("rules: offer prices never fall, bid prices never rise; equal neighbours are fine", () => {
  const cases: [BidInput["side"], number[], string[]][] = [
    ["offer", [10, 10, 20], []],
    ["offer", [-10, -5, 0, 0], []],
    ["offer", [10, 9.99], ["segments.1.price:price_order"]],
    ["offer", [10, 20, 15, 30, 25], ["segments.2.price:price_order", "segments.4.price:price_order"]],
    ["bid", [30, 30, 10], []],
    ["bid", [0, -5, -20], []],
    ["bid", [30, 30.01], ["segments.1.price:price_order"]],
    ["bid", [50, 10, 20], ["segments.2.price:price_order"]],
  ];
  for (const [side, prices, want] of cases) {
    assert.deepEqual(check(bid({ side, segments: segs(...prices) }), battery), want, `${side} ${prices}`);
  }
  const [issue] = validateBid(bid({ segments: segs(10, 9.99) }), { asset: solar, now: EARLY });
  assert.equal(
    issue.message,
    "segments.1.price $9.99/MWh is below segments.0.price $10/MWh: offer prices must not decrease",
  );
});

// ---------------------------------------------------------------------------------------------------
// Quantities, sides, zone

Deno.test("rules: total MW up to the asset's power for the side, exactly at it included", () => {
  const q = (...qs: number[]) => qs.map((quantity, i) => ({ price: 10 + i, quantity }));
  const cases: [string, AssetLimits, BidInput["side"], number[], string[]][] = [
    ["solar at capacity", solar, "offer", [5, 5], []],
    ["solar above capacity", solar, "offer", [5, 5.001], ["segments:quantity_exceeds_capacity"]],
    ["float sums are not over", { ...solar, capacity_mw: 0.3 }, "offer", [0.1, 0.2], []],
    ["storage offer at discharge power", battery, "offer", [4, 6], []],
    ["storage offer above discharge power", battery, "offer", [4, 6.001], ["segments:quantity_exceeds_capacity"]],
    ["storage bid at charge power", battery, "bid", [8], []],
    ["storage bid above charge power", battery, "bid", [8.001], ["segments:quantity_exceeds_capacity"]],
    // Charge/discharge unknown (null from the database): the nameplate is the limit.
    ["storage without power limits", { ...battery, charge_mw: null, discharge_mw: null }, "bid", [20], []],
    ["... above nameplate", { ...battery, charge_mw: null, discharge_mw: null }, "bid", [20.5], [
      "segments:quantity_exceeds_capacity",
    ]],
    ["solar may not buy", solar, "bid", [1], ["side:side_not_allowed"]],
    ["wind may not buy", { ...solar, kind: "wind" }, "bid", [1], ["side:side_not_allowed"]],
    ["thermal may not buy", { ...solar, kind: "thermal" }, "bid", [1], ["side:side_not_allowed"]],
    ["thermal may sell", { ...solar, kind: "thermal" }, "offer", [10], []],
  ];
  for (const [name, asset, side, qs, want] of cases) {
    const segments = side === "bid" ? q(...qs).reverse() : q(...qs);
    assert.deepEqual(check(bid({ side, segments }), asset), want, name);
  }
  const [over] = validateBid(bid({ segments: q(4, 6.5) }), { asset: battery, now: EARLY });
  assert.equal(over.message, "segments total 10.5 MW, more than the asset's discharge power of 10 MW");
});

Deno.test("rules: the bid goes to the asset's zone; the zone's segment limit applies", () => {
  assert.deepEqual(check(bid({ zone: "MISO" }), solar), ["zone:zone_mismatch"]);
  // The schema stops at 10 (every zone's own limit today, which the rules check too, past the schema).
  const eleven = segs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11).map((s) => ({ ...s, quantity: 0.5 }));
  assert.deepEqual(check(bid({ segments: eleven }), solar), ["segments:too_big"]);
});

// ---------------------------------------------------------------------------------------------------
// Intervals and deadlines

Deno.test("rules: DA intervals start on the hour, RT on a 5-minute boundary", () => {
  const cases: [BidInput["market"], string, string[]][] = [
    ["DA", "2025-07-01T14:00:00Z", []],
    ["DA", "2025-07-01T10:00:00-04:00", []],
    ["DA", "2025-07-01T14:30:00Z", ["interval_start:interval_misaligned"]],
    ["DA", "2025-07-01T14:00:01Z", ["interval_start:interval_misaligned"]],
    ["DA", "2025-07-01T14:00:00.001Z", ["interval_start:interval_misaligned"]],
    ["RT", "2025-07-01T14:05:00Z", []],
    ["RT", "2025-07-01T10:55:00-04:00", []],
    ["RT", "2025-07-01T14:07:00Z", ["interval_start:interval_misaligned"]],
    ["RT", "2025-07-01T14:05:30Z", ["interval_start:interval_misaligned"]],
  ];
  for (const [market, start, want] of cases) {
    const now = market === "RT" ? EARLY_RT : EARLY;
    assert.deepEqual(check(bid({ market, interval_start: start }), solar, now), want, `${market} ${start}`);
  }
});

Deno.test("premise: every market clock is a whole number of hours off UTC, through both 2025 DST changes", () => {
  // Alignment is checked in UTC; that is only right if no zone has a fractional offset at any instant.
  const days = ["2025-03-08", "2025-03-09", "2025-03-10", "2025-11-01", "2025-11-02", "2025-11-03", "2025-07-01"];
  for (const zone of ISOS) {
    for (const tz of [ZONES[zone].timeZone, ZONES[zone].gateTimeZone]) {
      for (const d of days) {
        const [a, b] = localDayBounds(tz, d);
        for (let t = a; t < b; t += 15 * MINUTE) assert.ok(tzOffsetMs(tz, t) % HOUR === 0, `${tz} ${new Date(t)}`);
      }
    }
  }
});

/**
 * The DA gate of each delivery day, computed by hand: gate time on D−1 in the gate's zone, at that day's
 * offset. EST/EDT −5/−4, CST/CDT −6/−5, PST/PDT −8/−7; DST began 2025-03-09 02:00 and ended 2025-11-02
 * 02:00 local. So the gate for D = 03-10 (on 03-09) and for D = 11-03 (on 11-02) is on the new offset.
 */
const GATES: Record<Iso, Record<string, string>> = {
  // 10:30 Eastern prevailing
  PJM: {
    "2025-03-08": "2025-03-07T15:30:00Z",
    "2025-03-09": "2025-03-08T15:30:00Z",
    "2025-03-10": "2025-03-09T14:30:00Z",
    "2025-11-01": "2025-10-31T14:30:00Z",
    "2025-11-02": "2025-11-01T14:30:00Z",
    "2025-11-03": "2025-11-02T15:30:00Z",
  },
  // 10:00 Pacific prevailing
  CAISO: {
    "2025-03-08": "2025-03-07T18:00:00Z",
    "2025-03-09": "2025-03-08T18:00:00Z",
    "2025-03-10": "2025-03-09T17:00:00Z",
    "2025-11-01": "2025-10-31T17:00:00Z",
    "2025-11-02": "2025-11-01T17:00:00Z",
    "2025-11-03": "2025-11-02T18:00:00Z",
  },
  // 10:00 Central prevailing
  ERCOT: {
    "2025-03-08": "2025-03-07T16:00:00Z",
    "2025-03-09": "2025-03-08T16:00:00Z",
    "2025-03-10": "2025-03-09T15:00:00Z",
    "2025-11-01": "2025-10-31T15:00:00Z",
    "2025-11-02": "2025-11-01T15:00:00Z",
    "2025-11-03": "2025-11-02T16:00:00Z",
  },
  // 05:00 Eastern prevailing
  NYISO: {
    "2025-03-08": "2025-03-07T10:00:00Z",
    "2025-03-09": "2025-03-08T10:00:00Z",
    "2025-03-10": "2025-03-09T09:00:00Z",
    "2025-11-01": "2025-10-31T09:00:00Z",
    "2025-11-02": "2025-11-01T09:00:00Z",
    "2025-11-03": "2025-11-02T10:00:00Z",
  },
  // 10:30 Eastern *prevailing*, though MISO's operating day is on EST
  MISO: {
    "2025-03-08": "2025-03-07T15:30:00Z",
    "2025-03-09": "2025-03-08T15:30:00Z",
    "2025-03-10": "2025-03-09T14:30:00Z",
    "2025-11-01": "2025-10-31T14:30:00Z",
    "2025-11-02": "2025-11-01T14:30:00Z",
    "2025-11-03": "2025-11-02T15:30:00Z",
  },
  // 09:30 Central prevailing
  SPP: {
    "2025-03-08": "2025-03-07T15:30:00Z",
    "2025-03-09": "2025-03-08T15:30:00Z",
    "2025-03-10": "2025-03-09T14:30:00Z",
    "2025-11-01": "2025-10-31T14:30:00Z",
    "2025-11-02": "2025-11-01T14:30:00Z",
    "2025-11-03": "2025-11-02T15:30:00Z",
  },
  // 10:30 Eastern prevailing
  ISONE: {
    "2025-03-08": "2025-03-07T15:30:00Z",
    "2025-03-09": "2025-03-08T15:30:00Z",
    "2025-03-10": "2025-03-09T14:30:00Z",
    "2025-11-01": "2025-10-31T14:30:00Z",
    "2025-11-02": "2025-11-01T14:30:00Z",
    "2025-11-03": "2025-11-02T15:30:00Z",
  },
};

Deno.test("rules: DA gate in every zone's time zone, DST days included — one second before ok, at the gate not", () => {
  for (const zone of ISOS) {
    const asset: AssetLimits = { ...solar, zone };
    for (const [day, gateIso] of Object.entries(GATES[zone])) {
      const gate = Date.parse(gateIso);
      // First and last hour of delivery day D on the zone's market clock (23 or 25 hours long on DST days).
      const [dayStart, dayEnd] = localDayBounds(ZONES[zone].timeZone, day);
      for (const start of [dayStart, dayEnd - HOUR]) {
        const b = bid({ zone, interval_start: new Date(start).toISOString() });
        const label = `${zone} delivery ${day}, interval ${b.interval_start}`;
        assert.deepEqual(daGate(zone, start), { deliveryDate: day, closesAt: new Date(gate) }, label);
        assert.deepEqual(check(b, asset, new Date(gate - SECOND)), [], `${label}, 1 s before the gate`);
        assert.deepEqual(check(b, asset, new Date(gate - 1)), [], `${label}, 1 ms before the gate`);
        assert.deepEqual(check(b, asset, new Date(gate)), ["interval_start:gate_closed"], `${label}, at the gate`);
        assert.deepEqual(check(b, asset, new Date(gate + HOUR)), ["interval_start:gate_closed"], `${label}, after`);
      }
    }
  }
});

Deno.test("rules: the delivery day is the market clock's date of the interval (hand-picked DST hours)", () => {
  const cases: [Iso, string, string, string][] = [
    // [zone, interval_start, delivery day, its gate]
    ["PJM", "2025-11-02T05:00:00Z", "2025-11-02", "2025-11-01T14:30:00Z"], // 01:00 EDT
    ["PJM", "2025-11-02T06:00:00Z", "2025-11-02", "2025-11-01T14:30:00Z"], // 01:00 EST, the repeated hour
    ["PJM", "2025-11-03T04:00:00Z", "2025-11-02", "2025-11-01T14:30:00Z"], // 23:00 EST, the 25th hour
    ["PJM", "2025-11-03T05:00:00Z", "2025-11-03", "2025-11-02T15:30:00Z"],
    ["PJM", "2025-03-09T04:00:00Z", "2025-03-08", "2025-03-07T15:30:00Z"], // 23:00 EST
    ["PJM", "2025-03-09T05:00:00Z", "2025-03-09", "2025-03-08T15:30:00Z"], // 00:00 EST
    ["PJM", "2025-03-09T07:00:00Z", "2025-03-09", "2025-03-08T15:30:00Z"], // 03:00 EDT, after the gap
    ["PJM", "2025-03-10T03:00:00Z", "2025-03-09", "2025-03-08T15:30:00Z"], // 23:00 EDT, the 23rd hour
    ["PJM", "2025-03-10T04:00:00Z", "2025-03-10", "2025-03-09T14:30:00Z"],
    // MISO's day is on EST all year: 04:00Z on 11-02 is still 11-01 there, but 00:00 on 11-02 in PJM.
    ["MISO", "2025-11-02T04:00:00Z", "2025-11-01", "2025-10-31T14:30:00Z"],
    ["MISO", "2025-07-01T04:00:00Z", "2025-06-30", "2025-06-29T14:30:00Z"],
    ["CAISO", "2025-03-09T08:00:00Z", "2025-03-09", "2025-03-08T18:00:00Z"], // 00:00 PST
    ["CAISO", "2025-11-03T07:00:00Z", "2025-11-02", "2025-11-01T17:00:00Z"], // 23:00 PST
    ["ERCOT", "2025-11-02T06:00:00Z", "2025-11-02", "2025-11-01T15:00:00Z"], // 01:00 CDT
  ];
  for (const [zone, start, day, gateIso] of cases) {
    const gate = Date.parse(gateIso);
    const b = bid({ zone, interval_start: start });
    const asset = { ...solar, zone };
    assert.deepEqual(daGate(zone, start), { deliveryDate: day, closesAt: new Date(gate) }, `${zone} ${start}`);
    assert.deepEqual(check(b, asset, new Date(gate - SECOND)), [], `${zone} ${start}`);
    const issues = validateBid(b, { asset, now: new Date(gate) });
    assert.deepEqual(found(issues), ["interval_start:gate_closed"], `${zone} ${start}`);
    assert.ok(issues[0].message.includes(`delivery day ${day}`), issues[0].message);
  }
});

Deno.test("rules: RT bids close the zone's lead time before the operating hour", () => {
  assert.deepEqual(
    { ...RT_LEAD_MINUTES },
    { PJM: 65, CAISO: 75, ERCOT: 60, NYISO: 75, MISO: 30, SPP: 75, ISONE: 75 },
  );
  for (const zone of ISOS) {
    const asset = { ...solar, zone };
    const hour = Date.parse("2025-07-01T18:00:00Z");
    const deadline = hour - RT_LEAD_MINUTES[zone] * MINUTE;
    // Every interval of the hour shares the hour's deadline (ISOs take offers per operating hour).
    for (const start of [hour, hour + 5 * MINUTE, hour + 55 * MINUTE]) {
      const b = bid({ zone, market: "RT", interval_start: new Date(start).toISOString() });
      assert.equal(rtBidDeadline(zone, start).getTime(), deadline);
      assert.equal(submissionDeadline(zone, "RT", start).getTime(), deadline);
      assert.deepEqual(check(b, asset, new Date(deadline - SECOND)), [], `${zone} ${b.interval_start}`);
      assert.deepEqual(check(b, asset, new Date(deadline)), ["interval_start:rt_deadline_passed"]);
    }
  }
  // By hand: PJM 14:55 EDT (18:55Z) closes at 12:55 EDT (16:55Z); through the repeated 01:00 of 11-02.
  assert.equal(rtBidDeadline("PJM", "2025-07-01T18:55:00Z").toISOString(), "2025-07-01T16:55:00.000Z");
  assert.equal(rtBidDeadline("PJM", "2025-11-02T06:05:00Z").toISOString(), "2025-11-02T04:55:00.000Z");
  assert.equal(rtBidDeadline("MISO", "2025-07-01T18:30:00Z").toISOString(), "2025-07-01T17:30:00.000Z");
  const [issue] = validateBid(bid({ market: "RT", interval_start: "2025-07-01T18:55:00Z" }), {
    asset: solar,
    now: new Date("2025-07-01T16:55:00Z"),
  });
  assert.match(issue.message, /^interval_start 2025-07-01T18:55:00Z: PJM real-time bids close 65 minutes/);
  assert.equal(submissionDeadline("PJM", "DA", "2025-07-01T18:00:00Z").toISOString(), "2025-06-30T14:30:00.000Z");
});

Deno.test("rules: bids beyond the zone's horizon are refused — DA by operating day, RT by hours", () => {
  for (const zone of ISOS) {
    const asset = { ...solar, zone };
    const { daHorizonDays, rtHorizonHours, timeZone } = ZONES[zone];
    assert.equal(daHorizonDays, 7);
    assert.equal(rtHorizonHours, 24);
    const now = new Date("2025-07-01T12:00:00Z");
    // The last hour of the 7th operating day after today's is in; the first hour of the 8th is not.
    const [, lastDayEnd] = localDayBounds(timeZone, "2025-07-08");
    const inside = bid({ zone, interval_start: new Date(lastDayEnd - HOUR).toISOString() });
    const beyond = bid({ zone, interval_start: new Date(lastDayEnd).toISOString() });
    assert.deepEqual(check(inside, asset, now), [], zone);
    assert.deepEqual(check(beyond, asset, now), ["interval_start:beyond_horizon"], zone);
    const rtAt = (ms: number) => bid({ zone, market: "RT", interval_start: new Date(ms).toISOString() });
    const t = now.getTime();
    assert.deepEqual(check(rtAt(t + rtHorizonHours * HOUR - 5 * MINUTE), asset, now), [], zone);
    assert.deepEqual(check(rtAt(t + rtHorizonHours * HOUR), asset, now), ["interval_start:beyond_horizon"], zone);
  }
  // The bid of the issue: a DA hour in 2030.
  const [issue] = validateBid(bid({ interval_start: "2030-07-01T14:00:00Z" }), { asset: solar, now: EARLY });
  assert.equal(issue.code, "beyond_horizon");
  assert.match(
    issue.message,
    /^interval_start 2030-07-01T14:00:00Z is too far ahead: PJM DA bids .* up to 7 days ahead/,
  );
});

// ---------------------------------------------------------------------------------------------------
// One schema for API and island

Deno.test("checkBid: every rule at once, in field order, with the schema's paths and codes", () => {
  const ctx = { asset: solar, now: new Date("2025-07-01T00:00:00Z") };
  const input = bid({ side: "bid", interval_start: "2025-07-01T14:30:00Z", segments: segs(10, 20, 1200) });
  const r = checkBid(input, ctx);
  assert.ok(!r.ok);
  assert.deepEqual(found(r.issues), [
    "segments.1.price:price_order",
    "segments.2.price:price_above_cap",
    "segments.2.price:price_order",
    "side:side_not_allowed",
    "interval_start:interval_misaligned",
    "interval_start:gate_closed",
  ]);
  // Shape errors stop before the rules: the rules would otherwise run on an empty list or a bad date too.
  for (const over of [{ segments: [] }, { interval_start: "2025-07-01 14:00" }, { asset_id: "x" }]) {
    const shape = checkBid({ ...bid(), ...over }, ctx);
    assert.ok(!shape.ok);
    assert.equal(shape.issues.length, 1, JSON.stringify(over));
    assert.notEqual(shape.issues[0].code, "custom");
  }
});

Deno.test("checkBid: zone is optional (the asset fixes it); one that is sent must be the asset's", () => {
  const { zone: _, ...noZone } = bid();
  const r = checkBid(noZone, { asset: solar, now: EARLY });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.bid.zone, "PJM");
  const other = checkBid(bid({ zone: "ERCOT" }), { asset: solar, now: EARLY });
  assert.ok(!other.ok);
  assert.deepEqual(found(other.issues), ["zone:zone_mismatch"]);
  // The asset's zone's rules apply to a bid without one: ERCOT's gate, not PJM's.
  const ercot: AssetLimits = { ...solar, zone: "ERCOT" };
  const gate = daGate("ERCOT", noZone.interval_start).closesAt;
  const late = checkBid(noZone, { asset: ercot, now: gate });
  assert.ok(!late.ok);
  assert.deepEqual(found(late.issues), ["interval_start:gate_closed"]);
  assert.ok(checkBid(noZone, { asset: ercot, now: new Date(gate.getTime() - 1) }).ok);
});

Deno.test("checkBid: parse, validate and derive interval_end in one call", () => {
  const r = checkBid(bid({ interval_start: "2025-07-01T10:00:00-04:00" }), { asset: solar, now: EARLY });
  assert.ok(r.ok);
  assert.equal(r.bid.interval_end, "2025-07-01T15:00:00.000Z");
  const bad = checkBid({ ...bid(), zone: "TVA" }, { asset: solar, now: EARLY });
  assert.ok(!bad.ok);
  assert.deepEqual(found(bad.issues), ["zone:invalid_value"]);
  const late = checkBid(bid(), { asset: solar, now: new Date("2025-06-30T14:30:00Z") });
  assert.ok(!late.ok);
  assert.deepEqual(found(late.issues), ["interval_start:gate_closed"]);
});

Deno.test("schema.ts is browser-safe: only zod, the market's zone rules, the virtual rules and the column precisions, no Deno API, in its whole graph", async () => {
  const seen = new Set<string>();
  const visit = async (url: URL) => {
    if (seen.has(url.href)) return;
    seen.add(url.href);
    const src = await Deno.readTextFile(url);
    assert.doesNotMatch(src, /\bDeno\./, `${url.pathname} uses a Deno API`);
    for (const [, spec] of src.matchAll(/^\s*(?:import|export)[^;]*?from\s+"([^"]+)"/gm)) {
      if (spec.startsWith(".")) await visit(new URL(spec, url));
      else assert.equal(spec, "zod", `${url.pathname} imports ${spec}`);
    }
  };
  await visit(new URL("../../services/bids/schema.ts", import.meta.url));
  const files = [...seen].map((u) => u.replace(/^.*\/services\//, "services/")).sort();
  assert.deepEqual(files, [
    "services/bids/schema.ts",
    "services/bids/virtual_rules.ts",
    "services/market/clock.ts",
    "services/market/types.ts",
    "services/market/zones.ts",
    "services/schemas/numeric.ts",
  ]);
});
