import assert from "node:assert/strict";
import { tzOffsetMs, tzOffsetUncachedMs } from "../../services/market/clock.ts";
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
