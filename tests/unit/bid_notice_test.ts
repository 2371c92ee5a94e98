/**
 * How a market outcome is worded: asset, market and hour-ending label in the zone's market clock (the labels
 * come from services/market/market_time.ts; checked here on both 2025 DST days as the toasts use them).
 */
import assert from "node:assert/strict";
import { marketSlot, noticeText, outcomeText } from "../../services/bids/notice.ts";
import { hourEndingLabel as hourEnding } from "../../services/market/market_time.ts";
import { localDayBounds } from "../../services/market/clock.ts";
import { ISOS, ZONES } from "../../services/market/zones.ts";

function labels(zone: (typeof ISOS)[number], date: string): string[] {
  const [from, to] = localDayBounds(ZONES[zone].timeZone, date);
  const out: string[] = [];
  for (let t = from; t < to; t += 3_600_000) out.push(hourEnding(zone, t));
  return out;
}

const plain = Array.from({ length: 24 }, (_, i) => `HE${i + 1}`);

Deno.test("hour-ending labels on both 2025 DST days, in every zone", () => {
  for (const zone of ISOS) {
    const spring = labels(zone, "2025-03-09"), autumn = labels(zone, "2025-11-02");
    if (zone === "MISO") {
      // EST all year: no DST day in MISO's market clock.
      assert.deepEqual(spring, plain, zone);
      assert.deepEqual(autumn, plain, zone);
      continue;
    }
    assert.deepEqual(spring, plain.filter((l) => l !== "HE3"), `${zone} spring: 23 hours, no HE3`);
    assert.deepEqual(autumn, ["HE1", "HE2", "HE2*", ...plain.slice(2)], `${zone} autumn: 25 hours, HE2 twice`);
    assert.deepEqual(labels(zone, "2025-07-15"), plain, `${zone} summer`);
  }
});

Deno.test("notice text names the asset, the market and the hour in market time", () => {
  const bid = {
    asset_name: "Keystone Battery",
    zone: "PJM",
    market: "DA" as const,
    // 16:00–17:00 EDT: hour ending 17.
    interval_start: "2025-07-01T20:00:00.000Z",
    interval_end: "2025-07-01T21:00:00.000Z",
    status: "cleared",
    awarded_mw: 10,
    clearing_price: 53.44,
    reject_reason: null,
  };
  assert.deepEqual(noticeText(bid), {
    title: "Keystone Battery · PJM DA HE17",
    message: "Keystone Battery · PJM DA HE17: cleared 10 MW at $53.44",
  });
  // The same instant is HE14 in CAISO (13:00–14:00 PDT) and HE16 in MISO (15:00–16:00 EST).
  assert.equal(marketSlot({ ...bid, zone: "CAISO" }), "CAISO DA HE14");
  assert.equal(marketSlot({ ...bid, zone: "MISO" }), "MISO DA HE16");
  // RT: interval-ending, 5 minutes.
  assert.equal(
    marketSlot({ ...bid, market: "RT", interval_start: "2025-07-01T18:30:00Z", interval_end: "2025-07-01T18:35:00Z" }),
    "PJM RT IE 14:35",
  );
  assert.equal(outcomeText({ ...bid, status: "rejected", reject_reason: "gate closed" }), "rejected: gate closed");
  assert.equal(outcomeText({ ...bid, status: "settled", revenue: -12.5 }), "settled −$12.50");
  assert.equal(outcomeText({ ...bid, status: "cleared", awarded_mw: 0, clearing_price: -3 }), "cleared 0 MW at −$3.00");
});
