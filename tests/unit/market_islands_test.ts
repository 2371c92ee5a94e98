import assert from "node:assert/strict";
import { applyTicks } from "../../islands/LiveZoneTiles.tsx";
import { addTicks, bandHours, buildSeries, chartState, COL } from "../../components/price_series.ts";
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

const secs = (iso: string) => Date.parse(iso) / 1000;

Deno.test("chart: DA is held over its hour on the RT grid, to the hour's end; live RT ticks append in order", () => {
  const rt = [tick("RT", "2026-01-05T10:00:00.000Z", 40), tick("RT", "2026-01-05T10:55:00.000Z", 42)];
  const da = [tick("DA", "2026-01-05T10:00:00.000Z", 39)];
  const s = chartState(rt, da);
  const first = buildSeries(s);
  assert.deepEqual(first[COL.x], ["10:00", "10:55", "11:00"].map((t) => secs(`2026-01-05T${t}:00Z`)));
  assert.deepEqual(first[COL.rt], [40, 42, null]);
  // 11:00 closes the 10:00 hour: a step line is drawn up to its next point.
  assert.deepEqual(first[COL.da], [39, 39, 39]);
  const changed = addTicks(s, [
    tick("DA", "2026-01-05T11:00:00.000Z", 45),
    tick("RT", "2026-01-05T10:55:00.000Z", 1), // not newer
    tick("RT", "2026-01-05T11:00:00.000Z", 43),
  ]);
  assert.ok(changed);
  const data = buildSeries(s);
  assert.deepEqual(data[COL.rt], [40, 42, 43, null]);
  assert.deepEqual(data[COL.da], [39, 39, 45, 45]);
  assert.equal(addTicks(s, [tick("RT", "2026-01-05T10:00:00.000Z", 5)]), false);
});

Deno.test("chart: the forecast after the last RT price gets a point per hour; gaps stay gaps, every step ends", () => {
  const rt = [tick("RT", "2026-01-05T22:00:00.000Z", 40), tick("RT", "2026-01-05T22:05:00.000Z", 41)];
  const fc = [
    { interval_start: "2026-01-05T22:00:00.000Z", p10: 30, p50: 38, p90: 50 },
    // Tomorrow, before its DA prices: two hours, the second without a band yet.
    { interval_start: "2026-01-06T05:00:00.000Z", p10: 20, p50: 25, p90: 33 },
    { interval_start: "2026-01-06T06:00:00.000Z", p10: null, p50: 27, p90: null },
  ];
  const s = chartState(rt, [tick("DA", "2026-01-06T05:00:00.000Z", 26)], fc);
  const data = buildSeries(s);
  assert.deepEqual(data[COL.x], [
    secs("2026-01-05T22:00:00Z"),
    secs("2026-01-05T22:05:00Z"),
    ...[23, 24, 25, 26, 27, 28, 29, 30, 31].map((h) => secs("2026-01-05T00:00:00Z") + h * 3600),
  ]);
  const _ = null;
  assert.deepEqual(data[COL.rt], [40, 41, _, _, _, _, _, _, _, _, _]);
  // Hour 22 held to 23:00, nothing through 05:00, hours 05 and 06 each to their end.
  assert.deepEqual(data[COL.p50], [38, 38, 38, _, _, _, _, _, 25, 27, 27]);
  // Hour 06 has no band: the band of 05 ends at 06:00.
  assert.deepEqual(data[COL.p10], [30, 30, 30, _, _, _, _, _, 20, 20, _]);
  assert.deepEqual(data[COL.p90], [50, 50, 50, _, _, _, _, _, 33, 33, _]);
  assert.deepEqual(data[COL.da], [_, _, _, _, _, _, _, _, 26, 26, _]);
  assert.equal(bandHours(s), 2);
  // A live RT price inside a forecast hour: the grid is RT's up to it, hourly after.
  addTicks(s, [tick("RT", "2026-01-06T05:00:00.000Z", 24)]);
  const next = buildSeries(s);
  assert.deepEqual(next[COL.x], [data[COL.x][0], data[COL.x][1], ...data[COL.x].slice(-3)]);
  assert.deepEqual(next[COL.rt], [40, 41, 24, _, _]);
  assert.deepEqual(next[COL.p50], [38, 38, 25, 27, 27]);
});

Deno.test("zone tile: the RT interval reads interval-ending on the zone's clock, named; prices in the user's unit", async () => {
  const { h } = await import("preact");
  const { renderToString } = await import("preact-render-to-string");
  const { rtIntervalLabel, ZoneTile } = await import("../../components/ZoneTile.tsx");
  const z = (zone: ZoneOverview["zone"], start: string): ZoneOverview => ({
    zone,
    rt: { lmp: 42.5, interval_start: start },
    rtHourAgo: 40,
    da: 38.25,
    spark: [40, 42.5],
  });
  // 19:30Z in January is 14:30 EST in PJM, the interval ends 14:35; MISO stays on EST in July (EDT elsewhere).
  assert.equal(rtIntervalLabel(z("PJM", "2026-01-05T19:30:00.000Z")), "RT IE 14:35 EST");
  assert.equal(rtIntervalLabel(z("PJM", "2026-07-06T18:30:00.000Z")), "RT IE 14:35 EDT");
  assert.equal(rtIntervalLabel(z("MISO", "2026-07-06T18:30:00.000Z")), "RT IE 13:35 EST");
  assert.equal(rtIntervalLabel(z("CAISO", "2026-01-05T22:30:00.000Z")), "RT IE 14:35 PST");
  assert.equal(rtIntervalLabel({ zone: "PJM", rt: null }), "no data");

  const dollars = renderToString(h(ZoneTile, { z: z("PJM", "2026-01-05T19:30:00.000Z") }));
  assert.match(dollars, /RT IE 14:35 EST/);
  assert.doesNotMatch(dollars, /UTC/);
  assert.match(dollars, /\$42\.50\/MWh/);
  const cents = renderToString(
    h(ZoneTile, { z: z("PJM", "2026-01-05T19:30:00.000Z"), units: { price: "¢/kWh", energy: "kWh" } }),
  );
  assert.match(cents, /4\.250¢\/kWh/);
  assert.match(cents, /DA 3\.825¢\/kWh/);
  assert.doesNotMatch(cents, /\$/);
});

Deno.test("status board: the refresh time is in the viewer's zone, named, never UTC unless that is their zone", async () => {
  const { clock } = await import("../../islands/StatusBoard.tsx");
  const at = new Date("2026-01-05T19:30:07.000Z");
  assert.equal(clock(at, "America/New_York"), "14:30:07 EST");
  assert.equal(clock(at, "America/Los_Angeles"), "11:30:07 PST");
  assert.equal(clock(at, "UTC"), "19:30:07 UTC");
  // An unknown zone name falls back to the runtime's own zone rather than failing the page.
  assert.match(clock(at, "Not/AZone"), /^\d{2}:\d{2}:\d{2} \S+$/);
});

Deno.test("chart: both 2025 DST days draw 23 / 25 hourly DA points on the zone's clock (24 in MISO, EST all year)", async () => {
  const { ISOS } = await import("../../services/market/zones.ts");
  const { formatMarketTime, operatingDayRange } = await import("../../services/market/market_time.ts");
  const HOUR = 3_600_000;
  for (const zone of ISOS) {
    for (const [date, hours] of [["2025-03-09", 23], ["2025-11-02", 25]] as const) {
      const expected = zone === "MISO" ? 24 : hours;
      const { start, end } = operatingDayRange(zone, date);
      // The API's DA prices of the operating day: one per UTC hour from its start to its end, priced by position.
      const da: { interval_start: string; lmp: number }[] = [];
      for (let t = start.getTime(), i = 0; t < end.getTime(); t += HOUR, i++) {
        da.push({ interval_start: new Date(t).toISOString(), lmp: 30 + i });
      }
      assert.equal(da.length, expected, `${zone} ${date}: the day's length`);
      const [xs, , daCol] = buildSeries(chartState([], da));
      // Points at each hour's start inside the day, each holding that hour's own price.
      const inDay = (xs as number[]).map((x, i) => ({ x, v: daCol[i] }))
        .filter(({ x }) => x * 1000 >= start.getTime() && x * 1000 < end.getTime());
      assert.equal(inDay.length, expected, `${zone} ${date}: one chart point per market hour`);
      assert.deepEqual(inDay.map(({ v }) => v), da.map((d) => d.lmp), `${zone} ${date}: each hour its price`);
      // On the market clock every hour reads differently: the repeated autumn hour by its clock's name.
      const shown = new Set(inDay.map(({ x }) => formatMarketTime(zone, x * 1000)));
      assert.equal(shown.size, expected, `${zone} ${date}: distinct market-time labels`);
    }
  }
});
