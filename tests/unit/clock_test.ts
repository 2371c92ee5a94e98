import assert from "node:assert/strict";
import { tzOffsetMs, tzOffsetUncachedMs, zonedTimeToUtc, zonedTimeToUtcUncached } from "../../services/market/clock.ts";
import { ISOS, ZONES } from "../../services/market/zones.ts";

Deno.test("cached offsets equal Intl's at every minute of both 2025 DST change days, for every zone and more", () => {
  const zones = [...new Set([...ISOS.map((z) => ZONES[z].timeZone), "Asia/Kolkata", "Australia/Lord_Howe"])];
  const days = [Date.UTC(2025, 2, 8, 12), Date.UTC(2025, 10, 1, 12), Date.UTC(2025, 3, 5, 0), Date.UTC(2025, 9, 4, 0)];
  for (const tz of zones) {
    for (const from of days) {
      // Odd seconds and milliseconds too: the cache is per 15-minute slot, the answer must not depend on where in it.
      for (let t = from; t < from + 36 * 3_600_000; t += 60_000 + 7_031) {
        assert.equal(tzOffsetMs(tz, t), tzOffsetUncachedMs(tz, t), `${tz} at ${new Date(t).toISOString()}`);
      }
    }
  }
});

Deno.test("remembered instants equal the ones worked out, for every zone, around DST changes, asked twice", () => {
  const zones = [...new Set([...ISOS.map((z) => ZONES[z].timeZone), "Asia/Kolkata", "Australia/Lord_Howe"])];
  const dates = ["2025-03-08", "2025-03-09", "2025-03-10", "2025-11-01", "2025-11-02", "2025-11-03", "2025-04-06"];
  for (let pass = 0; pass < 2; pass++) {
    for (const tz of zones) {
      for (const date of dates) {
        for (let m = 0; m < 24 * 60; m += 17) {
          const time = `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
          assert.equal(
            zonedTimeToUtc(tz, date, time).getTime(),
            zonedTimeToUtcUncached(tz, date, time),
            `${tz} ${date} ${time}`,
          );
        }
      }
    }
  }
  // A refused input is refused every time (never remembered as something).
  for (let i = 0; i < 2; i++) {
    assert.throws(() => zonedTimeToUtc("America/New_York", "2025-02-30", "10:00"), RangeError);
    assert.throws(() => zonedTimeToUtc("America/New_York", "2025-02-03", "24:00"), RangeError);
  }
  // Each answer is a Date of its own: changing one changes no later answer.
  zonedTimeToUtc("America/Chicago", "2025-06-01", "10:00").setTime(0);
  assert.equal(zonedTimeToUtc("America/Chicago", "2025-06-01", "10:00").toISOString(), "2025-06-01T15:00:00.000Z");
});
