/**
 * The zone chart's data (browser-safe, pure): real-time prices on their 5-minute grid, and the hourly
 * series (day-ahead prices, the forecast's median and its 10/90 % bounds) held over their hour on that
 * grid. Hours after the last RT price (tomorrow's forecast before its DA prices, or tomorrow's DA once
 * published) get hourly points of their own.
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
  const xs = new Set(rtXs);
  // Hours after the RT grid get a point at every hour boundary through the end of the last hour, so each
  // hour's step (the last one's too) is drawn to its end and a missing hour is a gap, not a held value.
  let first = rtXs.length ? Math.floor(rtXs[rtXs.length - 1] / 3600) + 1 : Infinity;
  let last = -Infinity;
  for (const h of [...s.da.keys(), ...s.fc.keys()]) {
    if (!rtXs.length) first = Math.min(first, h);
    last = Math.max(last, h);
  }
  for (let h = first; h <= last + 1; h++) xs.add(h * 3600);
  const sorted = [...xs].sort((a, b) => a - b);
  const banded = (f: ForecastHour | undefined) => f && f.p10 !== null && f.p90 !== null ? f : undefined;
  const hourly: ((h: number) => number | null)[] = [
    (h) => s.da.get(h) ?? null,
    (h) => s.fc.get(h)?.p50 ?? null,
    // A band needs both bounds: an hour with one missing is drawn without one.
    (h) => banded(s.fc.get(h))?.p10 ?? null,
    (h) => banded(s.fc.get(h))?.p90 ?? null,
  ];
  const cols = hourly.map((at) => {
    const col = sorted.map((x) => at(Math.floor(x / 3600)));
    // A point at the end of an hour whose next hour has no value repeats the hour before it: a stepped
    // line is drawn up to its next point, so without it a run's last hour would stop at its start.
    for (let i = 0; i < col.length; i++) {
      const x = sorted[i];
      if (col[i] !== null || x % 3600 !== 0 || (i + 1 < col.length && col[i + 1] !== null)) continue;
      col[i] = at(x / 3600 - 1);
    }
    return col;
  });
  return [sorted, sorted.map((x) => s.rt.get(x) ?? null), ...cols] as uPlot.AlignedData;
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
