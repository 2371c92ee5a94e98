/**
 * The zone chart's data (browser-safe, pure): real-time prices on their 5-minute grid, and the hourly
 * series (day-ahead prices, the forecast's median and its 10/90 % bounds) held over their hour on that
 * grid. Hours after the last RT price (tomorrow's forecast before its DA prices, or tomorrow's DA once
 * published) get hourly points of their own, closed at the end of the last hour so its step is drawn.
 */
import type uPlot from "uplot";

export interface Tick {
  interval_start: string;
  lmp: number;
}

export interface ForecastHour {
  interval_start: string;
  p10: number | null;
  p50: number;
  p90: number | null;
}

/** What the chart accumulates: raw series by time, rebuilt into uPlot's columns on each change. */
export interface ChartState {
  /** RT price by interval start (epoch seconds), in any order. */
  rt: Map<number, number>;
  /** DA price by hour (epoch hours). */
  da: Map<number, number>;
  /** The forecast by hour (epoch hours). */
  fc: Map<number, ForecastHour>;
}

/** Column order of `buildSeries`: x, RT, DA, forecast p50, p10, p90. */
export const COL = { x: 0, rt: 1, da: 2, p50: 3, p10: 4, p90: 5 } as const;

const hourOf = (iso: string) => Math.floor(Date.parse(iso) / 3_600_000);

export function chartState(rt: Tick[], da: Tick[], fc: ForecastHour[] = []): ChartState {
  return {
    rt: new Map(rt.map((t) => [Date.parse(t.interval_start) / 1000, t.lmp])),
    da: new Map(da.map((t) => [hourOf(t.interval_start), t.lmp])),
    fc: new Map(fc.map((f) => [hourOf(f.interval_start), f])),
  };
}

export function buildSeries(s: ChartState): uPlot.AlignedData {
  const rtXs = [...s.rt.keys()].sort((a, b) => a - b);
  const lastRt = rtXs.length ? rtXs[rtXs.length - 1] : -Infinity;
  const xs = new Set(rtXs);
  // Hours not covered by the RT grid: whole hours after the hour of the last RT price.
  let closing = -Infinity;
  for (const h of [...s.da.keys(), ...s.fc.keys()]) {
    const x = h * 3600;
    if (x <= lastRt - (lastRt % 3600)) continue;
    xs.add(x);
    closing = Math.max(closing, x + 3600);
  }
  if (closing > -Infinity) xs.add(closing);
  const sorted = [...xs].sort((a, b) => a - b);
  const cols: (number | null)[][] = [[], [], [], [], []];
  for (const x of sorted) {
    // The closing point repeats the hour before it, so that hour's step reaches its end.
    const h = Math.floor((x === closing ? x - 1 : x) / 3600);
    const f = s.fc.get(h);
    cols[0].push(s.rt.get(x) ?? null);
    cols[1].push(s.da.get(h) ?? null);
    cols[2].push(f?.p50 ?? null);
    // A band needs both bounds: an hour with one bound missing is drawn without one.
    const banded = f && f.p10 !== null && f.p90 !== null;
    cols[3].push(banded ? f.p10 : null);
    cols[4].push(banded ? f.p90 : null);
  }
  return [sorted, ...cols] as uPlot.AlignedData;
}

/**
 * Live ticks into the state: RT prices at their interval (only newer than the newest, as the feed never
 * corrects one), DA prices at their hour. True when anything changed.
 */
export function addTicks(s: ChartState, ticks: { market: string; interval_start: string; lmp: number }[]): boolean {
  let newest = -Infinity;
  for (const x of s.rt.keys()) newest = Math.max(newest, x);
  let changed = false;
  for (const t of ticks) {
    if (t.market === "DA") {
      s.da.set(hourOf(t.interval_start), t.lmp);
      changed = true;
      continue;
    }
    const x = Date.parse(t.interval_start) / 1000;
    if (x <= newest) continue;
    s.rt.set(x, t.lmp);
    newest = x;
    changed = true;
  }
  return changed;
}

/** How many hours have a drawn band (both bounds): what a reader of the chart's data attributes checks. */
export function bandHours(s: ChartState): number {
  let n = 0;
  for (const f of s.fc.values()) if (f.p10 !== null && f.p90 !== null) n++;
  return n;
}
