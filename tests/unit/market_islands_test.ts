import assert from "node:assert/strict";
import { applyTicks } from "../../islands/LiveZoneTiles.tsx";
import { alignSeries, appendTicks } from "../../islands/PriceChart.tsx";
import type { ZoneOverview } from "../../services/market/overview.ts";
import type { PriceTick } from "../../services/market/types.ts";

const tick = (market: "RT" | "DA", start: string, lmp: number, zone: PriceTick["zone"] = "PJM"): PriceTick => ({
  zone,
  market,
  interval_start: start,
  interval_end: new Date(Date.parse(start) + (market === "RT" ? 300_000 : 3_600_000)).toISOString(),
  lmp,
  energy: lmp,
  congestion: 0,
  loss: 0,
});

Deno.test("live tiles: a newer RT tick moves the price and the sparkline's current hour; older ones are ignored", () => {
  const tiles: ZoneOverview[] = [
    {
      zone: "PJM",
      rt: { lmp: 40, interval_start: "2026-01-05T10:05:00.000Z" },
      rtHourAgo: 35,
      da: 38,
      spark: [30, 40],
    },
    { zone: "ERCOT", rt: null, rtHourAgo: null, da: null, spark: [] },
  ];
  const sameHour = applyTicks(tiles, [tick("RT", "2026-01-05T10:10:00.000Z", 44)]);
  assert.equal(sameHour[0].rt?.lmp, 44);
  assert.deepEqual(sameHour[0].spark, [30, 44]);
  assert.equal(sameHour[1], tiles[1], "other zones untouched");
  const nextHour = applyTicks(sameHour, [tick("RT", "2026-01-05T11:00:00.000Z", 50)]);
  assert.deepEqual(nextHour[0].spark, [30, 44, 50]);
  const stale = applyTicks(nextHour, [tick("RT", "2026-01-05T09:00:00.000Z", 1)]);
  assert.equal(stale[0].rt?.lmp, 50);
  const now = Date.parse("2026-01-05T11:30:00Z");
  const da = applyTicks(
    stale,
    [tick("DA", "2026-01-05T11:00:00.000Z", 41), tick("DA", "2026-01-06T11:00:00.000Z", 99)],
    now,
  );
  assert.equal(da[0].da, 41, "only the DA price of the current hour");
});

Deno.test("chart: DA is held over its hour on the RT grid; live RT ticks append in order", () => {
  const rt = [tick("RT", "2026-01-05T10:00:00.000Z", 40), tick("RT", "2026-01-05T10:55:00.000Z", 42)];
  const da = [tick("DA", "2026-01-05T10:00:00.000Z", 39)];
  const data = alignSeries(rt, da);
  assert.deepEqual(data[2], [39, 39]);
  const daByHour = new Map<number, number>();
  const next = appendTicks(data, daByHour, [
    tick("DA", "2026-01-05T11:00:00.000Z", 45),
    tick("RT", "2026-01-05T10:55:00.000Z", 1), // not newer
    tick("RT", "2026-01-05T11:00:00.000Z", 43),
  ]);
  assert.ok(next);
  assert.deepEqual(next[1], [40, 42, 43]);
  assert.deepEqual(next[2], [39, 39, 45]);
  assert.equal(appendTicks(next, daByHour, [tick("RT", "2026-01-05T10:00:00.000Z", 5)]), null);
});
