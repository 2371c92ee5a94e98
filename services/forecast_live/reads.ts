/**
 * What the forecasts API answers: the vintage known at an instant, and the live forecasts' rolling accuracy
 * against the DA prices that came (the latest run made before each day's gate, as a trader saw it).
 */
import type { Queryable } from "../../db/database.ts";
import { addDays, localDayBounds } from "../market/clock.ts";
import { gateClosureUtc, type Iso, operatingDate, ZONES } from "../market/zones.ts";
import { accuracyOf, type DayComparison, naiveLagDays } from "./accuracy.ts";
import { fromSlots, toSlots } from "./dst.ts";
import type { AccuracyResponse, ForecastsResponse } from "./schema.ts";
import { daPrices, forecastsAsOf, runsBeforeGates } from "./store.ts";

export async function forecasts(
  q: Queryable,
  query: { zone: Iso; from: string; to: string; asOf?: string },
  now = new Date(),
): Promise<ForecastsResponse> {
  const asOf = query.asOf ? new Date(query.asOf) : now;
  const items = await forecastsAsOf(q, query.zone, new Date(query.from), new Date(query.to), asOf);
  return { zone: query.zone, market: "DA", as_of: asOf.toISOString(), items, next_cursor: null };
}

export async function accuracy(q: Queryable, zone: Iso, days: number, now = new Date()): Promise<AccuracyResponse> {
  const tz = ZONES[zone].timeZone;
  // Tomorrow's prices count once they are published: the window ends with the next operating day.
  const last = addDays(operatingDate(zone, now), 1);
  const dates = Array.from({ length: days }, (_, i) => addDays(last, i - days + 1));
  const gates = dates.map((date) => ({ date, gate: gateClosureUtc(zone, date) }));
  const runs = await runsBeforeGates(q, zone, gates);
  const byDate = new Map<string, typeof runs>();
  for (const r of runs) byDate.set(r.delivery_date, [...(byDate.get(r.delivery_date) ?? []), r]);

  const withRuns = dates.filter((d) => byDate.has(d));
  if (!withRuns.length) return { zone, days, ...accuracyOf([]) };
  const from = localDayBounds(tz, addDays(withRuns[0], -7))[0];
  const to = localDayBounds(tz, withRuns[withRuns.length - 1])[1];
  const prices = new Map((await daPrices(q, zone, new Date(from), new Date(to))).map((p) => [p.start, p.lmp]));

  const comparisons: DayComparison[] = [];
  for (const date of withRuns) {
    const c: DayComparison = { date, actual: [], p50: [], p10: [], p90: [], naive: null };
    const starts: number[] = [];
    for (const f of byDate.get(date)!) {
      const t = Date.parse(f.interval_start);
      const a = prices.get(t);
      if (a === undefined) continue;
      starts.push(t);
      c.actual.push(a);
      c.p50.push(f.p50);
      c.p10.push(f.p10);
      c.p90.push(f.p90);
    }
    if (!starts.length) continue;
    const naiveDate = addDays(date, -naiveLagDays(date));
    const [ns, ne] = localDayBounds(tz, naiveDate);
    const naiveStarts: number[] = [], naiveValues: number[] = [];
    for (let t = ns; t < ne; t += 3_600_000) {
      const v = prices.get(t);
      if (v !== undefined) naiveStarts.push(t), naiveValues.push(v);
    }
    // Same clock hour of the naive day (DST days through the 24 slots); a day with gaps has no naive.
    if (naiveStarts.length === (ne - ns) / 3_600_000) {
      c.naive = fromSlots(tz, starts, toSlots(tz, naiveStarts, naiveValues));
    }
    comparisons.push(c);
  }
  return { zone, days, ...accuracyOf(comparisons) };
}
