import assert from "node:assert/strict";
import {
  clockAbbrev,
  formatMarketInterval,
  formatMarketTime,
  formatUserTime,
  hourEndingLabel,
  intervalEndingLabel,
  isoUtc,
  marketHour,
  operatingDayHours,
  parseHourEnding,
  parseMarketTime,
  resolveZone,
} from "../../services/market/market_time.ts";
import { formatEnergy, formatPower, formatPrice, priceFrom, priceIn, unitsOf } from "../../services/market/units.ts";
import { ISOS, ZONES } from "../../services/market/zones.ts";

const SPRING = "2025-03-09";
const AUTUMN = "2025-11-02";
/** Every zone but MISO (EST all year) observes US DST. */
const observesDst = (z: string) => z !== "MISO";

Deno.test("both 2025 DST days in every zone: 23 / 25 hours, HE3 skipped in spring, HE2* repeated in autumn", () => {
  for (const zone of ISOS) {
    const spring = operatingDayHours(zone, SPRING);
    const autumn = operatingDayHours(zone, AUTUMN);
    const plain = operatingDayHours(zone, "2025-07-15");
    assert.equal(plain.length, 24, zone);
    assert.deepEqual(plain.map((h) => h.label), Array.from({ length: 24 }, (_, i) => `HE${i + 1}`), zone);
    if (observesDst(zone)) {
      assert.equal(spring.length, 23, zone);
      assert.deepEqual(spring.map((h) => h.label), [
        "HE1",
        "HE2",
        ...Array.from({ length: 21 }, (_, i) => `HE${i + 4}`),
      ]);
      assert.equal(autumn.length, 25, zone);
      assert.deepEqual(autumn.map((h) => h.label).slice(0, 4), ["HE1", "HE2", "HE2*", "HE3"], zone);
      assert.equal(autumn.at(-1)!.label, "HE24");
      assert.equal(autumn.filter((h) => h.repeated).length, 1);
    } else {
      assert.equal(spring.length, 24, zone);
      assert.equal(autumn.length, 24, zone);
      assert.ok(autumn.every((h) => !h.repeated));
    }
    for (const day of [spring, autumn, plain]) {
      // Contiguous hours from the local midnight to the next, indexed in order.
      day.forEach((h, i) => {
        assert.equal(h.index, i);
        assert.equal(h.end.getTime() - h.start.getTime(), 3_600_000);
        if (i) assert.equal(h.start.getTime(), day[i - 1].end.getTime());
        // Every hour reads back to itself, from its start instant and from its label.
        assert.deepEqual(marketHour(zone, h.start), h, `${zone} ${h.date} ${h.label}`);
        assert.deepEqual(parseHourEnding(zone, h.date, h.label), h);
      });
    }
  }
});

Deno.test("the market clock of each zone, named, across both DST days", () => {
  // 12:00 UTC on each day: after both changes (07:00 UTC at the latest in Pacific).
  const expect: Record<string, [string, string, string]> = {
    PJM: ["EST", "EDT", "EST"],
    NYISO: ["EST", "EDT", "EST"],
    ISONE: ["EST", "EDT", "EST"],
    MISO: ["EST", "EST", "EST"],
    ERCOT: ["CST", "CDT", "CST"],
    SPP: ["CST", "CDT", "CST"],
    CAISO: ["PST", "PDT", "PST"],
  };
  for (const zone of ISOS) {
    const [winter, spring, autumn] = expect[zone];
    assert.equal(clockAbbrev(zone, "2025-01-15T12:00:00Z"), winter, zone);
    assert.equal(clockAbbrev(zone, `${SPRING}T12:00:00Z`), spring, zone);
    assert.equal(clockAbbrev(zone, `${AUTUMN}T12:00:00Z`), autumn, zone);
  }
  assert.equal(formatMarketTime("PJM", "2025-07-01T18:05:00Z"), "2025-07-01 14:05 EDT");
  assert.equal(formatMarketTime("MISO", "2025-07-01T18:05:00Z"), "2025-07-01 13:05 EST");
  assert.equal(formatMarketTime("ERCOT", "2025-07-01T18:05:00Z"), "2025-07-01 13:05 CDT");
  assert.equal(formatMarketTime("CAISO", "2025-01-01T07:59:00Z"), "2024-12-31 23:59 PST");
  // The repeated autumn 01:30 shows both clocks.
  assert.equal(formatMarketTime("PJM", `${AUTUMN}T05:30:00Z`), "2025-11-02 01:30 EDT");
  assert.equal(formatMarketTime("PJM", `${AUTUMN}T06:30:00Z`), "2025-11-02 01:30 EST");
});

Deno.test("intervals: hourly as hour ending, 5-minute as interval ending, on the operating day", () => {
  // PJM HE17 on a summer day: 16:00–17:00 EDT = 20:00–21:00 UTC.
  assert.equal(hourEndingLabel("PJM", "2025-07-01T20:00:00Z"), "HE17");
  assert.equal(formatMarketInterval("PJM", "2025-07-01T20:00:00Z", "2025-07-01T21:00:00Z"), "2025-07-01 HE17 EDT");
  // The last hour of the day belongs to that day, as HE24.
  assert.equal(formatMarketInterval("CAISO", "2025-07-02T06:00:00Z", "2025-07-02T07:00:00Z"), "2025-07-01 HE24 PDT");
  // 5-minute: the wall time the interval ends at.
  assert.equal(
    formatMarketInterval("ERCOT", "2025-07-01T18:00:00Z", "2025-07-01T18:05:00Z"),
    "2025-07-01 IE 13:05 CDT",
  );
  assert.equal(intervalEndingLabel("PJM", "2025-07-02T03:55:00Z", "2025-07-02T04:00:00Z"), "IE 24:00");
  assert.equal(formatMarketInterval("PJM", "2025-07-02T03:55:00Z", "2025-07-02T04:00:00Z"), "2025-07-01 IE 24:00 EDT");
  // In the repeated autumn hour the second pass is starred.
  assert.equal(intervalEndingLabel("PJM", `${AUTUMN}T05:30:00Z`, `${AUTUMN}T05:35:00Z`), "IE 01:35");
  assert.equal(intervalEndingLabel("PJM", `${AUTUMN}T06:30:00Z`, `${AUTUMN}T06:35:00Z`), "IE 01:35*");
  // The last 5 minutes before the clocks go back end at 02:00 on the clock they started on.
  assert.equal(intervalEndingLabel("PJM", `${AUTUMN}T05:55:00Z`, `${AUTUMN}T06:00:00Z`), "IE 02:00");
  // The spring jump: 01:55 EST → 03:00 EDT is still "IE 02:00"; then 03:00 EDT → "IE 03:05".
  assert.equal(intervalEndingLabel("PJM", `${SPRING}T06:55:00Z`, `${SPRING}T07:00:00Z`), "IE 02:00");
  assert.equal(intervalEndingLabel("PJM", `${SPRING}T07:00:00Z`, `${SPRING}T07:05:00Z`), "IE 03:05");
  assert.equal(formatMarketInterval("PJM", `${AUTUMN}T06:00:00Z`, `${AUTUMN}T07:00:00Z`), "2025-11-02 HE2* EST");
});

Deno.test("typed hour endings and market times parse, and impossible ones are refused", () => {
  assert.equal(parseHourEnding("PJM", "2025-07-01", "he 17")?.start.toISOString(), "2025-07-01T20:00:00.000Z");
  assert.equal(parseHourEnding("PJM", "2025-07-01", "17")?.label, "HE17");
  assert.equal(parseHourEnding("PJM", SPRING, "HE3"), null, "no HE3 on the spring day");
  assert.equal(parseHourEnding("PJM", SPRING, "HE4")?.start.toISOString(), `${SPRING}T07:00:00.000Z`);
  assert.equal(parseHourEnding("MISO", SPRING, "HE3")?.label, "HE3", "MISO has every hour");
  assert.equal(parseHourEnding("PJM", "2025-07-01", "HE2*"), null);
  assert.equal(parseHourEnding("PJM", AUTUMN, "HE2*")?.start.toISOString(), `${AUTUMN}T06:00:00.000Z`);
  assert.equal(parseHourEnding("PJM", "2025-07-01", "HE25"), null);
  assert.equal(parseHourEnding("PJM", "2025-07-01", "noon"), null);

  assert.equal(parseMarketTime("ERCOT", "2025-07-01 13:05")?.toISOString(), "2025-07-01T18:05:00.000Z");
  assert.equal(parseMarketTime("MISO", "2025-07-01T13:05")?.toISOString(), "2025-07-01T18:05:00.000Z");
  assert.equal(parseMarketTime("PJM", `${SPRING} 02:30`), null, "in the spring gap");
  assert.equal(parseMarketTime("MISO", `${SPRING} 02:30`)?.toISOString(), `${SPRING}T07:30:00.000Z`);
  assert.equal(parseMarketTime("PJM", "2025-02-30 10:00"), null);
  assert.equal(parseMarketTime("PJM", "2025-07-01 24:00"), null);
  // Round trip through the formatted text for every zone.
  for (const zone of ISOS) {
    const t = "2025-07-01T18:05:00.000Z";
    const shown = formatMarketTime(zone, t);
    assert.equal(parseMarketTime(zone, shown.slice(0, 16))?.toISOString(), t, zone);
  }
});

Deno.test("zone names as people write them resolve to the zone", () => {
  const cases: [string, string | null][] = [
    ["ISO-NE", "ISONE"],
    ["isone", "ISONE"],
    ["ISO New England", "ISONE"],
    ["iso%20new%20england", "ISONE"],
    ["ercot", "ERCOT"],
    ["New York ISO", "NYISO"],
    ["ny-iso", "NYISO"],
    ["caiso", "CAISO"],
    ["California ISO", "CAISO"],
    ["miso", "MISO"],
    ["Midcontinent ISO", "MISO"],
    ["spp", "SPP"],
    ["pjm", "PJM"],
    ["PJM Interconnection", "PJM"],
    ["nowhere", null],
    ["", null],
    ["constructor", null],
    ["__proto__", null],
    ["toString", null],
  ];
  for (const [text, zone] of cases) assert.equal(resolveZone(text), zone, text);
  for (const zone of ISOS) {
    assert.equal(resolveZone(ZONES[zone].name), zone);
    assert.equal(resolveZone(zone), zone);
  }
});

Deno.test("times with no market use the user's zone; the wire is UTC ISO 8601", () => {
  assert.equal(formatUserTime("America/Chicago", "2025-07-01T18:05:00Z"), "2025-07-01 13:05 CDT");
  assert.equal(formatUserTime("Europe/Berlin", "2025-01-01T18:05:00Z"), "2025-01-01 19:05 GMT+1");
  assert.equal(formatUserTime(undefined, "2025-07-01T18:05:00Z"), "2025-07-01 18:05 UTC");
  assert.equal(formatUserTime("Not/AZone", "2025-07-01T18:05:00Z"), "2025-07-01 18:05 UTC");
  assert.equal(isoUtc(Date.UTC(2025, 2, 9, 7)), "2025-03-09T07:00:00Z");
});

Deno.test("display units: ¢/kWh and kWh convert from the stored $/MWh and MWh", () => {
  assert.deepEqual(unitsOf(undefined), { price: "$/MWh", energy: "MWh" });
  assert.deepEqual(unitsOf({ units: { price: "¢/kWh", energy: "kWh" } }), { price: "¢/kWh", energy: "kWh" });
  assert.equal(formatPrice(53.44), "$53.44/MWh");
  assert.equal(formatPrice(53.44, "¢/kWh"), "5.344¢/kWh");
  assert.equal(formatPrice(-12.5, "$/MWh"), "−$12.50/MWh");
  assert.equal(formatPrice(null), "—");
  assert.ok(Math.abs(priceIn(53.44, "¢/kWh") - 5.344) < 1e-12);
  assert.ok(Math.abs(priceFrom(priceIn(53.44, "¢/kWh"), "¢/kWh") - 53.44) < 1e-12);
  assert.equal(formatEnergy(1250.5), "1,250.5 MWh");
  assert.equal(formatEnergy(1250.5, "kWh"), "1,250,500 kWh");
  assert.equal(formatPower(10, "kWh"), "10,000 kW");
  assert.equal(formatPower(10), "10 MW");
});

Deno.test("the forecast's made-at reads on the zone's market clock", async () => {
  const { madeAtText } = await import("../../components/forecast_api.ts");
  const now = new Date("2026-12-03T20:00:00Z");
  assert.equal(madeAtText("2026-12-03T14:12:30Z", now, "PJM"), "09:12 EST");
  assert.equal(madeAtText("2026-12-03T14:12:30Z", now, "CAISO"), "06:12 PST");
  assert.equal(madeAtText("2026-12-02T14:12:30Z", now, "ERCOT"), "2026-12-02 08:12 CST");
  // After midnight UTC but still the evening before on the Pacific clock: today there, so no date.
  assert.equal(madeAtText("2026-12-04T02:12:30Z", new Date("2026-12-04T03:00:00Z"), "CAISO"), "18:12 PST");
});
