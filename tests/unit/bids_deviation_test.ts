/** settleBid: a DA position against meter readings and the asset's other awards, every figure by hand. */
import assert from "node:assert/strict";
import { type RtPrice, settleBid } from "../../services/bids/deviation.ts";

const MIN = 60_000;
const H = Date.UTC(2025, 6, 1, 14);
const rt = (prices: number[], minutes = 5): RtPrice[] =>
  prices.map((lmp, i) => ({ start: H + i * minutes * MIN, end: H + (i + 1) * minutes * MIN, lmp }));
const offer = (mw: number) => ({
  market: "DA" as const,
  side: "offer" as const,
  awardedMw: mw,
  clearingPrice: 30,
  start: H,
  end: H + 60 * MIN,
});
const none = { readings: [], others: [] };

Deno.test("deviation: no readings — delivered as awarded; an RT award at the RT price", () => {
  const s = settleBid(offer(10), rt(Array(12).fill(40)), none);
  assert.deepEqual([s.da_revenue, s.rt_revenue, s.metered_intervals, s.intervals], [300, 0, 0, null]);
  const r = settleBid(
    { market: "RT", side: "bid", awardedMw: 6, clearingPrice: 20, start: H, end: H + 5 * MIN },
    rt([20]),
    none,
  );
  assert.deepEqual([r.da_revenue, r.rt_revenue], [0, -6 * 20 / 12]);
});

Deno.test("deviation: readings of another length than the RT interval are pro-rated by time", () => {
  // One hourly RT price; one 15-minute reading at 6 MW against 10 MW: −4 MW × ¼ h × $48 = −$48.
  const s = settleBid(offer(10), rt([48], 60), { readings: [{ start: H, end: H + 15 * MIN, mw: 6 }], others: [] });
  assert.equal(s.rt_revenue, -48);
  assert.equal(s.deviation_mwh, -1);
  assert.deepEqual(s.intervals, [{ start: new Date(H).toISOString(), rt_lmp: 48, actual_mw: 6, deviation_mw: -1 }]);
});

Deno.test("deviation: an RT award of the asset is not paid twice; two DA bids share the imbalance", () => {
  const prices = rt(Array(12).fill(60));
  const metered = (mw: number) =>
    Array.from({ length: 12 }, (_, i) => ({ start: H + i * 5 * MIN, end: H + (i + 1) * 5 * MIN, mw }));
  // 10 MW DA, +2 MW RT in the first interval, metered 12 MW then: delivered as scheduled, no deviation.
  const withRt = settleBid(offer(10), prices, {
    readings: [{ start: H, end: H + 5 * MIN, mw: 12 }],
    others: [{ market: "RT", start: H, end: H + 5 * MIN, mw: 2 }],
  });
  assert.equal(withRt.rt_revenue, 0);
  assert.equal(withRt.metered_intervals, 1);

  // Storage: a 6 MW DA offer and a 2 MW DA bid (net +4 MW), metered +1 MW all hour: imbalance −3 MW,
  // carried 6:2 — the offer −2.25 MW, the bid −0.75 MW — each at $60 for the hour.
  const storage = { readings: metered(1), others: [] };
  const o = settleBid(offer(6), prices, {
    ...storage,
    others: [{ market: "DA", start: H, end: H + 60 * MIN, mw: -2 }],
  });
  const b = settleBid({ ...offer(2), side: "bid" }, prices, {
    ...storage,
    others: [{ market: "DA", start: H, end: H + 60 * MIN, mw: 6 }],
  });
  assert.equal(Math.round(o.rt_revenue * 1e6) / 1e6, -2.25 * 60);
  assert.equal(Math.round(b.rt_revenue * 1e6) / 1e6, -0.75 * 60);
  assert.equal(Math.round((o.rt_revenue + b.rt_revenue) * 1e6) / 1e6, -3 * 60, "the asset's whole imbalance, once");
  assert.deepEqual([o.da_revenue, b.da_revenue], [180, -60]);
});
