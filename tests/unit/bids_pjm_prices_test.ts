/**
 * Clearing and two-settlement over three months of real PJM WESTERN HUB prices (May–July 2025), each
 * checked against a computation written separately from the raw CSV: the prices are read by the app's
 * replay parser for the functions under test, and by a plain line split for the expected figures.
 */
import assert from "node:assert/strict";
import { clearBid, clearBids, type ClearingBid, priceKey } from "../../services/bids/clearing.ts";
import { settleHour } from "../helpers/settlement.ts";
import { readReplayFile } from "../../services/market/replay.ts";
import type { PriceTick } from "../../services/market/types.ts";
import { serviceTest, testServices } from "../helpers/services.ts";

const HUB = "WESTERN HUB";
const file = (market: "da" | "rt") => `${testServices.sharedData}/pjm_${market}_hrl_lmps_2025-05_2025-07.csv`;

async function ticks(market: "da" | "rt"): Promise<PriceTick[]> {
  const out: PriceTick[] = [];
  for await (const batch of readReplayFile(file(market), { location: HUB })) out.push(...batch);
  return out;
}

/**
 * The independent reading: hour (UTC text, as in the file) → total LMP at the precision of record.
 * OptiBid keeps prices to 4 decimals (numeric(12,4), see replay.ts `toTick`), and clears against the
 * stored price: PJM's 39.999995 for 2025-07-24 02:00Z is $40.0000 here and clears an offer at $40.
 * So the expected figures round the published LMP the same way (and the test shows where it matters).
 */
const toRecord = (lmp: number) => Math.round(lmp * 1e4) / 1e4;

async function rawLmps(market: "da" | "rt", round = true): Promise<Map<string, number>> {
  const [header, ...lines] = (await Deno.readTextFile(file(market))).trim().split(/\r?\n/);
  const cols = header.split(",");
  const at = (name: string) => cols.indexOf(name);
  const [tCol, nodeCol, lmpCol, currentCol] = [
    at("datetime_beginning_utc"),
    at("pnode_name"),
    at(`total_lmp_${market}`),
    at("row_is_current"),
  ];
  const out = new Map<string, number>();
  for (const line of lines) {
    const f = line.split(","); // the file has no quoted fields (checked below)
    if (f[nodeCol] !== HUB || f[currentCol] !== "True") continue;
    assert.ok(!out.has(f[tCol]), `duplicate hour ${f[tCol]}`);
    out.set(f[tCol], round ? toRecord(Number(f[lmpCol])) : Number(f[lmpCol]));
  }
  return out;
}

/** A 1-MW-per-step offer ladder: ten steps spanning the DA range of the period ($13.56 … $550.23). */
const LADDER = [15, 20, 25, 30, 40, 50, 75, 100, 200, 500];

serviceTest("PJM WESTERN HUB DA: a 1-MW offer ladder clears per step exactly the hours priced at or above it", [
  "shared-data",
], async () => {
  const da = await ticks("da");
  const raw = await rawLmps("da");
  assert.equal(da.length, 2209); // 2025-05-01 00:00 to 2025-08-01 00:00 EPT, hourly, inclusive
  assert.equal(raw.size, da.length);
  assert.ok(!(await Deno.readTextFile(file("da"))).includes('"'));
  const rawValues = [...raw.values()];
  // Where the precision of record decides: one DA hour is a hair under $40 as published.
  const published = await rawLmps("da", false);
  const flipped = [...published].filter(([h, v]) => LADDER.some((p) => (v >= p) !== (raw.get(h)! >= p)));
  assert.deepEqual(flipped, [["7/24/2025 2:00:00 AM", 39.999995]]);

  // Clear the ladder in every hour, through clearBids and a price map, and accumulate MWh per step: the
  // award in an hour is the number of steps cleared, and step k is cleared iff the award reaches k.
  const prices = new Map(da.map((t) => [priceKey("PJM", "DA", t.interval_start), t.lmp]));
  const bids: ClearingBid[] = da.map((t) => ({
    id: t.interval_start,
    zone: "PJM",
    market: "DA",
    interval_start: t.interval_start,
    side: "offer",
    segments: LADDER.map((price) => ({ price, quantity: 1 })),
  }));
  const { awards, unpriced } = clearBids(bids, prices);
  assert.equal(unpriced.length, 0);
  assert.equal(awards.length, 2209);
  const mwhPerStep = LADDER.map((_, k) => awards.filter((a) => a.awarded_mw >= k + 1).length);

  // Independently: hours whose raw LMP is at or above each step's price.
  const hoursAtOrAbove = LADDER.map((p) => rawValues.filter((v) => v >= p).length);
  assert.deepEqual(mwhPerStep, hoursAtOrAbove);
  // Sanity of the data, not of the code: the ladder straddles the period's prices.
  assert.ok(hoursAtOrAbove[0] < 2209 && hoursAtOrAbove[0] > 2000, `${hoursAtOrAbove}`);
  assert.ok(hoursAtOrAbove[9] > 0 && hoursAtOrAbove[9] < 10, `${hoursAtOrAbove}`);
  const totalMwh = awards.reduce((a, x) => a + x.awarded_mw, 0);
  assert.equal(totalMwh, hoursAtOrAbove.reduce((a, b) => a + b, 0));
  // Every award is paid the hour's LMP.
  for (const a of awards) assert.equal(a.price, prices.get(priceKey("PJM", "DA", a.bid_id)));
});

serviceTest("PJM WESTERN HUB two-settlement: a simple strategy's P&L equals an independent computation", [
  "shared-data",
], async () => {
  const [da, rt] = await Promise.all([ticks("da"), ticks("rt")]);
  const rtByStart = new Map(rt.map((t) => [t.interval_start, t.lmp]));
  assert.equal(rtByStart.size, da.length);

  // Strategy, per DA hour: a battery-like asset offers 1 MW at $25 and 1 MW at $40, and bids to buy 1 MW at
  // $20 (never both sides: offers sit above the bid). In real time it delivers 80% of its DA position.
  // PJM's RT file is hourly, so each hour settles against one RT interval of 1 h.
  const offer = { side: "offer" as const, segments: [{ price: 25, quantity: 1 }, { price: 40, quantity: 1 }] };
  const buy = { side: "bid" as const, segments: [{ price: 20, quantity: 1 }] };
  let da$ = 0, rt$ = 0, total$ = 0;
  for (const t of da) {
    const position = clearBid(offer, t.lmp).awarded_mw - clearBid(buy, t.lmp).awarded_mw;
    const rtLmp = rtByStart.get(t.interval_start);
    assert.ok(rtLmp !== undefined, `no RT price for ${t.interval_start}`);
    const s = settleHour(position, t.lmp, [{ actualMw: 0.8 * position, rtLmp }]);
    da$ += s.da_revenue;
    rt$ += s.rt_revenue;
    total$ += s.total;
  }

  // Independently, from the raw file: position = [LMP ≥ 25] + [LMP ≥ 40] − [LMP ≤ 20];
  // DA $ = position × DA LMP; RT $ = (0.8 − 1) × position × RT LMP.
  const [rawDa, rawRt] = await Promise.all([rawLmps("da"), rawLmps("rt")]);
  let wantDa = 0, wantRt = 0;
  for (const [hour, daLmp] of rawDa) {
    const rtLmp = rawRt.get(hour)!;
    const position = (daLmp >= 25 ? 1 : 0) + (daLmp >= 40 ? 1 : 0) - (daLmp <= 20 ? 1 : 0);
    wantDa += position * daLmp;
    wantRt += -0.2 * position * rtLmp;
  }
  // Same prices, same hours: only float summation order may differ (2,209 terms; a micro-dollar is plenty).
  const tol = 1e-6;
  assert.ok(Math.abs(da$ - wantDa) <= tol, `DA ${da$} vs ${wantDa}`);
  assert.ok(Math.abs(rt$ - wantRt) <= tol, `RT ${rt$} vs ${wantRt}`);
  assert.ok(Math.abs(total$ - (wantDa + wantRt)) <= tol, `total ${total$} vs ${wantDa + wantRt}`);
  // The figures are material (not a vacuous 0 = 0): tens of thousands of dollars over the quarter.
  assert.ok(wantDa > 10_000, `DA revenue ${wantDa}`);
  assert.ok(wantRt !== 0);
});
