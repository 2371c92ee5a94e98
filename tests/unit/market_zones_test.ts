import assert from "node:assert/strict";
import { addDays, localDayBounds, parseDate, tzOffsetMs, zonedTimeToUtc } from "../../services/market/clock.ts";
import {
  daResultsUtc,
  gateClosureUtc,
  ISOS,
  nextGateClosure,
  operatingDate,
  zoneRulesJson,
  zoneRulesSchema,
  ZONES,
} from "../../services/market/zones.ts";

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

Deno.test("zones: a rule set for every ISO, valid against the API schema and plain JSON", () => {
  assert.deepEqual(Object.keys(ZONES).sort(), [...ISOS].sort());
  const json = zoneRulesJson();
  assert.deepEqual(json.map((z) => z.zone), [...ISOS]);
  for (const z of json) {
    zoneRulesSchema.parse(z);
    assert.deepEqual(JSON.parse(JSON.stringify(z)), z);
    assert.equal(z.rtIntervalMinutes, 5);
    assert.equal(z.maxOfferSegments, 10);
    assert.ok(z.offerFloor < 0 && z.offerCap > 0 && z.costBasedOfferCap >= z.offerCap, z.zone);
    // Every zone name resolves in Intl (a typo would throw RangeError here).
    tzOffsetMs(z.timeZone, Date.UTC(2025, 0, 1));
    tzOffsetMs(z.gateTimeZone, Date.UTC(2025, 0, 1));
  }
  assert.deepEqual(json.filter((z) => z.negativePricesCommon).map((z) => z.zone).sort(), ["CAISO", "ERCOT", "SPP"]);
  assert.equal(ZONES.ERCOT.offerCap, 5000);
  assert.equal(ZONES.ERCOT.offerFloor, -250);
  assert.equal(ZONES.CAISO.offerFloor, -150);
  // Copies: the API handler may decorate them without changing the rules.
  json[0].name = "changed";
  assert.notEqual(ZONES[json[0].zone].name, "changed");
  assert.ok(Object.isFrozen(ZONES));
});

Deno.test("clock: local days have 23, 24 or 25 hours; MISO's EST clock always 24", () => {
  const hours = (tz: string, d: string) => {
    const [a, b] = localDayBounds(tz, d);
    return (b - a) / HOUR;
  };
  for (const tz of ["America/New_York", "America/Chicago", "America/Los_Angeles"]) {
    assert.equal(hours(tz, "2025-03-09"), 23, tz);
    assert.equal(hours(tz, "2025-11-02"), 25, tz);
    assert.equal(hours(tz, "2025-07-01"), 24, tz);
  }
  for (const d of ["2025-03-09", "2025-11-02", "2025-07-01", "2024-12-31"]) assert.equal(hours("Etc/GMT+5", d), 24);
  assert.equal(iso(localDayBounds("Etc/GMT+5", "2025-07-01")[0]), "2025-07-01T05:00:00.000Z");
  assert.equal(iso(localDayBounds("America/New_York", "2025-07-01")[0]), "2025-07-01T04:00:00.000Z");
});

Deno.test("clock: wall times in the DST gap and overlap resolve predictably", () => {
  // 02:30 does not exist on 2025-03-09 in New York: it resolves one hour later on the wall clock (03:30 EDT).
  assert.equal(zonedTimeToUtc("America/New_York", "2025-03-09", "02:30").toISOString(), "2025-03-09T07:30:00.000Z");
  // 01:30 happens twice on 2025-11-02: the first (EDT) is taken.
  assert.equal(zonedTimeToUtc("America/New_York", "2025-11-02", "01:30").toISOString(), "2025-11-02T05:30:00.000Z");
  assert.equal(zonedTimeToUtc("America/New_York", "2025-11-02", "03:00").toISOString(), "2025-11-02T08:00:00.000Z");
  assert.equal(zonedTimeToUtc("America/Los_Angeles", "2024-02-29", "23:59").toISOString(), "2024-03-01T07:59:00.000Z");
  assert.throws(() => parseDate("2025-02-30"), RangeError);
  assert.throws(() => parseDate("2025-7-1"), RangeError);
  assert.throws(() => zonedTimeToUtc("America/New_York", "2025-07-01", "24:00"), RangeError);
  assert.equal(addDays("2024-02-28", 1), "2024-02-29");
  assert.equal(addDays("2025-01-01", -1), "2024-12-31");
});

Deno.test("zones: DA gate closure is the day before at local time, DST-correct", () => {
  const cases: [typeof ISOS[number], string, string][] = [
    // PJM 10:30 EPT: EDT (UTC−4) in summer, EST (UTC−5) in winter.
    ["PJM", "2025-07-01", "2025-06-30T14:30:00.000Z"],
    ["PJM", "2025-01-15", "2025-01-14T15:30:00.000Z"],
    // Delivery on the DST-change days: the gate is on the day before, still on the old offset.
    ["PJM", "2025-03-09", "2025-03-08T15:30:00.000Z"],
    ["PJM", "2025-03-10", "2025-03-09T14:30:00.000Z"],
    ["PJM", "2025-11-03", "2025-11-02T15:30:00.000Z"],
    // MISO: operating day on EST, but the deadline is 10:30 Eastern *prevailing* time.
    ["MISO", "2025-07-01", "2025-06-30T14:30:00.000Z"],
    ["MISO", "2025-01-15", "2025-01-14T15:30:00.000Z"],
    ["ISONE", "2025-07-01", "2025-06-30T14:30:00.000Z"],
    ["NYISO", "2025-07-01", "2025-06-30T09:00:00.000Z"],
    ["NYISO", "2025-12-01", "2025-11-30T10:00:00.000Z"],
    ["ERCOT", "2025-07-01", "2025-06-30T15:00:00.000Z"],
    ["SPP", "2025-07-01", "2025-06-30T14:30:00.000Z"],
    ["SPP", "2025-12-01", "2025-11-30T15:30:00.000Z"],
    ["CAISO", "2025-07-01", "2025-06-30T17:00:00.000Z"],
    ["CAISO", "2025-11-03", "2025-11-02T18:00:00.000Z"],
  ];
  for (const [zone, date, want] of cases) {
    assert.equal(gateClosureUtc(zone, date).toISOString(), want, `${zone} ${date}`);
  }
  assert.equal(daResultsUtc("PJM", "2025-07-01").toISOString(), "2025-06-30T17:30:00.000Z");
  assert.throws(() => gateClosureUtc("PJM", "2025-13-01"), RangeError);
});

Deno.test("zones: next gate closure is strictly after now", () => {
  const gate = gateClosureUtc("PJM", "2025-07-02"); // 2025-07-01 14:30Z
  const before = nextGateClosure("PJM", new Date(gate.getTime() - 1));
  assert.deepEqual(before, { deliveryDate: "2025-07-02", closesAt: gate });
  // At the gate instant offers are no longer accepted: the next gate is tomorrow's.
  const at = nextGateClosure("PJM", gate);
  assert.equal(at.deliveryDate, "2025-07-03");
  assert.equal(at.closesAt.toISOString(), "2025-07-02T14:30:00.000Z");
  // Late evening Eastern (already the next UTC day): the next gate is still the next local morning's.
  const night = nextGateClosure("PJM", new Date("2025-07-02T03:00:00Z")); // 23:00 EDT on 07-01
  assert.equal(night.deliveryDate, "2025-07-03");
  // Across the autumn change: the gate on Sunday 2025-11-02 is at 10:30 EST.
  const fall = nextGateClosure("PJM", new Date("2025-11-01T15:00:00Z"));
  assert.deepEqual(fall, { deliveryDate: "2025-11-03", closesAt: new Date("2025-11-02T15:30:00Z") });
  // Every zone: the gate found is in the future and less than a day and a bit away.
  const now = new Date("2025-03-08T12:00:00Z");
  for (const zone of ISOS) {
    const g = nextGateClosure(zone, now);
    const wait = g.closesAt.getTime() - now.getTime();
    assert.ok(wait > 0 && wait <= 25 * HOUR, `${zone}: ${wait / HOUR} h`);
    assert.equal(gateClosureUtc(zone, g.deliveryDate).getTime(), g.closesAt.getTime());
  }
  assert.throws(() => nextGateClosure("PJM", new Date(NaN)), RangeError);
});

Deno.test("zones: the operating date follows the market clock (MISO on EST)", () => {
  // 04:30Z on 07-01 is 00:30 EDT in New York but 23:30 EST on 06-30 for MISO.
  const t = new Date("2025-07-01T04:30:00Z");
  assert.equal(operatingDate("PJM", t), "2025-07-01");
  assert.equal(operatingDate("MISO", t), "2025-06-30");
  assert.equal(operatingDate("CAISO", t), "2025-06-30");
});
