import assert from "node:assert/strict";
import {
  clearBid,
  clearBids,
  clearColumns,
  type ClearingBid,
  priceKey,
  type SegmentColumns,
  settle,
  signedMw,
} from "../../services/bids/clearing.ts";
import { netPositionMw, settleHour, settleInterval } from "../helpers/settlement.ts";

const close = (actual: number, want: number, what = "") =>
  assert.ok(Math.abs(actual - want) < 1e-9, `${what}: ${actual} ≠ ${want}`);

const seg = (price: number, quantity: number) => ({ price, quantity });

// ---------------------------------------------------------------------------------------------------
// One bid

Deno.test("clearBid: offers take segments at or below the LMP, bids at or above it; price is the LMP", () => {
  const offer = { side: "offer" as const, segments: [seg(20, 2), seg(30, 3), seg(40, 5)] };
  const bid = { side: "bid" as const, segments: [seg(40, 2), seg(30, 3), seg(20, 5)] };
  const cases: [typeof offer | typeof bid, number, number][] = [
    // [bid, LMP, MW by hand]
    [offer, 30, 5], // 20 and 30 (the segment exactly at the LMP is in)
    [offer, 29.99, 2], // only 20
    [offer, 19.99, 0], // nothing: an empty award
    [offer, 40, 10],
    [offer, 1000, 10],
    [bid, 30, 5], // 40 and 30
    [bid, 30.01, 2], // only 40
    [bid, 45, 0],
    [bid, 20, 10],
    [bid, -50, 10],
  ];
  for (const [b, lmp, mw] of cases) {
    assert.deepEqual(clearBid(b, lmp), { awarded_mw: mw, price: lmp }, `${b.side} at ${lmp}`);
  }
});

Deno.test("clearBid: negative prices — an offer at −$10 clears at −$5, a bid at −$20 does not", () => {
  assert.deepEqual(clearBid({ side: "offer", segments: [seg(-10, 1)] }, -5), { awarded_mw: 1, price: -5 });
  assert.deepEqual(clearBid({ side: "bid", segments: [seg(-20, 1)] }, -5), { awarded_mw: 0, price: -5 });
  // And the other way round: an offer at −$4 stays out at −$5; a bid at −$5 is in (exactly at the LMP).
  assert.deepEqual(clearBid({ side: "offer", segments: [seg(-4, 1)] }, -5), { awarded_mw: 0, price: -5 });
  assert.deepEqual(clearBid({ side: "bid", segments: [seg(-5, 1)] }, -5), { awarded_mw: 1, price: -5 });
});

Deno.test("clearBid: unsorted curves clear by price; MW sums carry no float noise", () => {
  assert.equal(clearBid({ side: "offer", segments: [seg(40, 1), seg(20, 1)] }, 30).awarded_mw, 1);
  assert.equal(clearBid({ side: "offer", segments: [seg(10, 0.1), seg(10, 0.2)] }, 10).awarded_mw, 0.3);
  assert.equal(clearBid({ side: "offer", segments: [] }, 10).awarded_mw, 0);
});

Deno.test("storage on both sides: at most one side clears while offer prices sit above bid prices", () => {
  // A battery offers 4 MW of discharge at $50 and bids 3 MW of charge at $20, in the same interval.
  const offer = { side: "offer" as const, segments: [seg(50, 4)] };
  const bid = { side: "bid" as const, segments: [seg(20, 3)] };
  const cases: [number, number, number, number][] = [
    // [LMP, offer MW, bid MW, net MW] by hand
    [60, 4, 0, 4],
    [50, 4, 0, 4],
    [30, 0, 0, 0],
    [20, 0, 3, -3],
    [10, 0, 3, -3],
    [-5, 0, 3, -3], // paid to charge
  ];
  for (const [lmp, o, b, net] of cases) {
    const awards = [
      { side: "offer" as const, ...clearBid(offer, lmp) },
      { side: "bid" as const, ...clearBid(bid, lmp) },
    ];
    assert.deepEqual(awards.map((a) => a.awarded_mw), [o, b], `LMP ${lmp}`);
    assert.equal(netPositionMw(awards), net, `LMP ${lmp}`);
  }
  assert.equal(signedMw("offer", 4), 4);
  assert.equal(signedMw("bid", 3), -3);
});

// ---------------------------------------------------------------------------------------------------
// Many bids

Deno.test("clearBids: each bid against its zone, market and interval; unpriced ones returned apart", () => {
  const bids: ClearingBid[] = [
    {
      id: "a",
      zone: "PJM",
      market: "DA",
      interval_start: "2025-07-01T14:00:00Z",
      side: "offer",
      segments: [seg(30, 5)],
    },
    // Same interval written differently: one price.
    {
      id: "b",
      zone: "PJM",
      market: "DA",
      interval_start: "2025-07-01T10:00:00-04:00",
      side: "bid",
      segments: [seg(50, 2)],
    },
    {
      id: "c",
      zone: "PJM",
      market: "RT",
      interval_start: new Date("2025-07-01T14:05:00Z"),
      side: "offer",
      segments: [seg(30, 5)],
    },
    {
      id: "d",
      zone: "ERCOT",
      market: "DA",
      interval_start: "2025-07-01T14:00:00.000Z",
      side: "offer",
      segments: [seg(30, 5)],
    },
    {
      id: "e",
      zone: "PJM",
      market: "DA",
      interval_start: "2025-07-01T15:00:00Z",
      side: "offer",
      segments: [seg(30, 5)],
    },
    {
      id: "f",
      zone: "CAISO",
      market: "RT",
      interval_start: "2025-07-01T14:00:00Z",
      side: "offer",
      segments: [seg(0, 1)],
    },
  ];
  const prices = new Map([
    [priceKey("PJM", "DA", "2025-07-01T14:00:00Z"), 42],
    [priceKey("PJM", "RT", "2025-07-01T14:05:00Z"), 25],
    [priceKey("ERCOT", "DA", "2025-07-01T14:00:00Z"), 30],
    [priceKey("CAISO", "RT", "2025-07-01T14:00:00Z"), NaN], // a broken price is no price
    // PJM DA 15:00 has no price yet.
  ]);
  const want = {
    awards: [
      { bid_id: "a", awarded_mw: 5, price: 42 },
      { bid_id: "b", awarded_mw: 2, price: 42 },
      { bid_id: "c", awarded_mw: 0, price: 25 },
      { bid_id: "d", awarded_mw: 5, price: 30 },
    ],
    unpriced: [bids[4], bids[5]],
  };
  assert.deepEqual(clearBids(bids, prices), want);

  // A function source gets the interval as a UTC ISO string, whatever form the bid had.
  const asked: string[] = [];
  const fn = (zone: string, market: string, start: string) => {
    asked.push(`${zone} ${market} ${start}`);
    return prices.get(`${zone}|${market}|${Date.parse(start)}`);
  };
  assert.deepEqual(clearBids(bids, fn), want);
  assert.deepEqual(asked, [
    "PJM DA 2025-07-01T14:00:00.000Z",
    "PJM DA 2025-07-01T14:00:00.000Z",
    "PJM RT 2025-07-01T14:05:00.000Z",
    "ERCOT DA 2025-07-01T14:00:00.000Z",
    "PJM DA 2025-07-01T15:00:00.000Z",
    "CAISO RT 2025-07-01T14:00:00.000Z",
  ]);
  assert.deepEqual(clearBids([], prices), { awards: [], unpriced: [] });
  assert.equal(
    priceKey("PJM", "DA", "2025-07-01T10:00:00-04:00"),
    priceKey("PJM", "DA", new Date("2025-07-01T14:00Z")),
  );
  assert.throws(() => priceKey("PJM", "DA", "soon"), RangeError);
});

Deno.test("clearColumns agrees with clearBid on random curves, NaN for unpriced", () => {
  // A small deterministic generator (mulberry32) so a failure can be replayed.
  let s = 12345;
  const rand = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = 2000;
  const bids = Array.from({ length: n }, () => ({
    side: rand() < 0.5 ? "offer" as const : "bid" as const,
    segments: Array.from({ length: 1 + Math.floor(rand() * 10) }, () => seg(Math.round(rand() * 300 - 50), 0.5)),
  }));
  const lmps = Float64Array.from({ length: n }, (_, i) => (i % 97 === 0 ? NaN : Math.round(rand() * 300 - 50)));
  const total = bids.reduce((a, b) => a + b.segments.length, 0);
  const cols: SegmentColumns = {
    start: new Uint32Array(n + 1),
    price: new Float64Array(total),
    quantity: new Float64Array(total),
    side: new Uint8Array(n),
  };
  let k = 0;
  bids.forEach((b, i) => {
    cols.start[i] = k;
    cols.side[i] = b.side === "offer" ? 0 : 1;
    for (const sg of b.segments) {
      cols.price[k] = sg.price;
      cols.quantity[k++] = sg.quantity;
    }
  });
  cols.start[n] = k;
  const out = clearColumns(cols, lmps);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(lmps[i])) assert.ok(Number.isNaN(out[i]));
    else assert.equal(out[i], clearBid(bids[i], lmps[i]).awarded_mw, `bid ${i}`);
  }
  assert.throws(() => clearColumns(cols, lmps.subarray(1)), RangeError);
});

// ---------------------------------------------------------------------------------------------------
// Two-settlement, every figure by hand

Deno.test("settlement: DA position at the DA LMP, deviations at the RT LMP (hand-computed)", () => {
  const twelve = (actualMw: number, rtLmp: number) => Array.from({ length: 12 }, () => ({ actualMw, rtLmp }));

  // A. 10 MW sold DA at $40, delivered exactly: DA 10 × 1 h × 40 = $400; no deviation, RT $0.
  assert.deepEqual(settleHour(10, 40, twelve(10, 95)), { da_revenue: 400, rt_revenue: 0, total: 400 });

  // B. Same position, only 8 MW delivered all hour at RT $50: buys back 2 MW × 1 h × 50 = −$100. Total $300.
  const b = settleHour(10, 40, twelve(8, 50));
  assert.equal(b.da_revenue, 400);
  close(b.rt_revenue, -100, "B rt");
  close(b.total, 300, "B total");

  // C. Over then under: 6 intervals at 12 MW, RT $36: each +2 × 36 × 5/60 = +$6 → +$36;
  //    6 intervals at 7 MW, RT $48: each −3 × 48 × 5/60 = −$12 → −$72. RT −$36, total $364.
  const c = settleHour(10, 40, [...twelve(12, 36).slice(6), ...twelve(7, 48).slice(6)]);
  close(c.rt_revenue, -36, "C rt");
  close(c.total, 364, "C total");

  // D. A battery buys 5 MW DA at $20 (position −5): pays 5 × 20 = −$100. It charges only 4 MW (actual −4)
  //    at RT $25: deviation −4 − (−5) = +1 MW, sold back: +$25. Total −$75. (PJM-style hourly RT price.)
  assert.deepEqual(settleHour(-5, 20, [{ actualMw: -4, rtLmp: 25 }]), { da_revenue: -100, rt_revenue: 25, total: -75 });

  // E. Negative prices: 2 MW sold DA at −$5 pays −$10; curtailed to 0 MW when RT is −$20: the shortfall
  //    of 2 MW is "bought back" at −$20, i.e. paid +$40. Total +$30.
  assert.deepEqual(settleHour(2, -5, [{ actualMw: 0, rtLmp: -20 }]), { da_revenue: -10, rt_revenue: 40, total: 30 });

  // F. Four 15-minute intervals (ERCOT-style): DA 4 MW at $30 = $120; actual 4, 5, 3, 4 at RT 40, 80, 20, 10:
  //    +1 × 80 × 0.25 = +$20, −1 × 20 × 0.25 = −$5. RT +$15, total $135.
  assert.deepEqual(
    settleHour(4, 30, [{ actualMw: 4, rtLmp: 40 }, { actualMw: 5, rtLmp: 80 }, { actualMw: 3, rtLmp: 20 }, {
      actualMw: 4,
      rtLmp: 10,
    }]),
    { da_revenue: 120, rt_revenue: 15, total: 135 },
  );
});

Deno.test("settlement: RT-only awards, slices of an hour, and which input wins", () => {
  // An RT offer of 3 MW for one 5-minute interval at $60: 3 × 60 × 5/60 = $15; no DA position, so the DA
  // price is irrelevant (and may be missing).
  const rtOnly = settleInterval({ daAwardMw: 0, daLmp: NaN, rtAwardMw: 3, rtLmp: 60, hours: 5 / 60 });
  assert.equal(rtOnly.da_revenue, 0);
  close(rtOnly.rt_revenue, 15, "rt only");
  // An RT bid (buying 2 MW) at $60 for 5 minutes pays $10.
  close(settleInterval({ daAwardMw: 0, daLmp: 0, rtAwardMw: -2, rtLmp: 60, hours: 5 / 60 }).total, -10, "rt bid");
  // Metered output wins over the award: awarded 3 MW, delivered 2 MW over an hour at $60 → $120.
  assert.equal(settleInterval({ daAwardMw: 0, daLmp: 0, rtAwardMw: 3, actualMw: 2, rtLmp: 60, hours: 1 }).total, 120);
  // A DA position plus an RT award on top, delivered as awarded: 10 MW DA at $40, +2 MW RT at $70, 1 h.
  assert.deepEqual(settleInterval({ daAwardMw: 10, daLmp: 40, rtAwardMw: 2, rtLmp: 70, hours: 1 }), {
    da_revenue: 400,
    rt_revenue: 140,
    total: 540,
  });

  // Twelve 5-minute slices of an hourly position add up to settleHour over the same intervals.
  const intervals = Array.from({ length: 12 }, (_, i) => ({ actualMw: 8 + (i % 3), rtLmp: 30 + 5 * i }));
  const hour = settleHour(9, 41, intervals);
  const slices = intervals.map((r) => settleInterval({ daAwardMw: 9, daLmp: 41, ...r, hours: 5 / 60 }));
  close(slices.reduce((a, s) => a + s.da_revenue, 0), hour.da_revenue, "da");
  close(slices.reduce((a, s) => a + s.rt_revenue, 0), hour.rt_revenue, "rt");
  // By hand: DA 9 × 41 = 369; deviations −1, 0, +1 repeating at 30..85: Σ (dev × price) / 12 =
  // (−30 + 40 − 45 + 55 − 60 + 70 − 75 + 85) / 12 = 40 / 12.
  close(hour.rt_revenue, 40 / 12, "hand");
  assert.equal(hour.da_revenue, 369);

  // The general form: a DA position of 2 hours against two hourly RT prices.
  assert.deepEqual(
    settle({ daAwardMw: 1, daLmp: 50, daHours: 2 }, [{ rtLmp: 10, hours: 1, actualMw: 0 }, {
      rtLmp: 20,
      hours: 1,
    }]),
    { da_revenue: 100, rt_revenue: -10, total: 90 },
  );
});

Deno.test("settlement: malformed inputs are refused, never NaN on a statement", () => {
  assert.throws(() => settleHour(10, NaN, [{ actualMw: 10, rtLmp: 1 }]), /daLmp/);
  assert.throws(() => settleHour(10, 40, [{ actualMw: 9, rtLmp: NaN }]), /rt\[0\]\.rtLmp/);
  assert.throws(() => settleInterval({ daAwardMw: 1, daLmp: 1, rtLmp: 1, hours: 0 }), /hours must be positive/);
  assert.throws(() => settleInterval({ daAwardMw: NaN, daLmp: 1, rtLmp: 1, hours: 1 }), /daAwardMw/);
  // No deviation: a missing RT price does not matter.
  assert.equal(settleHour(10, 40, [{ actualMw: 10, rtLmp: NaN }]).total, 400);
});
