/**
 * Day-major slices of a run of days for the screening scripts (screen.ts, combos.ts): the real prices with
 * their weekly naive forecast, and a member's cached forecasts of the same days.
 */
import type { DailySeries } from "../services/forecast/features.ts";
import { dayDate, HOURS } from "../services/forecast/features.ts";
import { naiveForecast } from "../services/forecast/metrics.ts";
import { appendMember, loadMember } from "./member_cache.ts";

/** Real prices of `days` and the weekly naive forecast of each (rMAE's denominator). */
export function actualAndNaive(series: DailySeries, days: readonly number[]) {
  const actual = new Float64Array(days.length * HOURS);
  const naive = new Float64Array(days.length * HOURS);
  for (const [k, d] of days.entries()) {
    actual.set(series.price.subarray(d * HOURS, (d + 1) * HOURS), k * HOURS);
    naive.set(naiveForecast(series.price, series.firstDay, d, d + 1, "weekly"), k * HOURS);
  }
  return { actual, naive };
}

/**
 * The member `key`'s forecasts of `days` from the cache. A day it lacks is computed by `compute` and cached,
 * or, without `compute`, an error.
 */
export async function cachedSlice(
  key: string,
  series: DailySeries,
  days: readonly number[],
  compute?: (day: number) => Float64Array,
): Promise<Float64Array> {
  const cached = await loadMember(key);
  const f = new Float64Array(days.length * HOURS);
  for (const [k, d] of days.entries()) {
    const date = dayDate(series.firstDay, d);
    let p = cached.get(date)?.price;
    if (!p) {
      if (!compute) throw new Error(`${key} has no ${date}`);
      const t0 = performance.now();
      p = compute(d);
      await appendMember(key, { day: date, price: Array.from(p), ms: performance.now() - t0 });
    }
    f.set(p, k * HOURS);
  }
  return f;
}
