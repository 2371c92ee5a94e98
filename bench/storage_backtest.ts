/**
 * `deno task backtest storage`: the battery optimiser on real PJM prices (../shared/data, 12 hubs,
 * May–July 2025, DA and RT). For every hub and day: forecast the DA prices (price-only, from days
 * before only), optimise a 1 MW / 4 MWh battery at 85 % round-trip efficiency, turn the schedule into
 * DA curves (planToCurves), clear them against the real DA prices with the app's clearing code, let
 * the battery do what it was awarded as far as its state of charge allows, and settle: the DA award at
 * the DA price, the deviation (what it could not deliver) at the RT price.
 *
 * Compared with the perfect-foresight optimum (the same LP on the real DA prices) and TB4 (the spread
 * between the day's four dearest and four cheapest DA hours × 1 MW × RTE), for our forecast and for
 * the naive strategy (the same pipeline on yesterday's prices). Both are also shown bid as fixed
 * schedules ("… schedule": the plan cleared as it stands, no price-responsive curves).
 *
 *   deno task backtest storage [--hubs=WESTERN HUB,...] [--forecaster=mean7|lear21+mean7|lear21|lear28|mean3|naive]
 *                              [--from=2025-06-15] [--to=2025-07-31] [--candidates] [--data=../shared/data]
 *
 * The forecaster was chosen on days before the reported ones, never on them: on 2025-05-29 … 06-14
 * (`--candidates --from=2025-05-29 --to=2025-06-14`, all 12 hubs, share of perfect foresight) the mean
 * profile of the last 7 days scored 88.0 %, LEAR 21 + mean 7 87.5 %, price-only LEAR (21-day window)
 * 85.1 %, mean of 3 days 85.1 %, LEAR 28 83.3 %, naive 82.4 %. LEAR without load has 14–21 training days
 * here (the files start on May 1) and chases single days' spikes; the battery's revenue depends on
 * which hours are cheap and dear, which a week's mean profile gets right more often. The reported
 * period is 2025-06-15 … 07-31.
 */
import { parse } from "csv-parse/sync";
import { parseArgs } from "node:util";
import { clearBid, settle } from "../services/bids/clearing.ts";
import { checkBid } from "../services/bids/schema.ts";
import { parsePjmUtcTime } from "../services/market/replay.ts";
import { gateClosureUtc } from "../services/market/zones.ts";
import { type DailySeries, dayDate, dayIndex, HOURS } from "../services/forecast/features.ts";
import { predictionIntervals } from "../services/forecast/intervals.ts";
import { learForecastDay, meanForecast } from "../services/forecast/lear.ts";
import { naiveDay, profileMeanDay } from "../services/forecast/metrics.ts";
import { type ForecastHour, planToCurves, type StorageDayInput, storageOptimiser } from "../services/optimize/mod.ts";

export const FIRST_DAY = "2025-05-01";
export const BATTERY = {
  charge_mw: 1,
  discharge_mw: 1,
  energy_mwh: 4,
  round_trip_efficiency: 0.85,
  min_soc: 0,
  max_soc: 1,
};
/** Empty at the start and end of every day, one full cycle a day at most: TB4's battery. */
const DAY_TERMS = { soc_start: 0, soc_end: 0, max_cycles: 1, degradation_cost: 0 };
const ASSET = { id: "00000000-0000-4000-8000-000000000001", kind: "storage" as const, zone: "PJM" as const };
const HOUR_MS = 3_600_000;

export interface HubPrices {
  hub: string;
  /** Day-major DA and RT prices of the hub's operating days from FIRST_DAY (EPT), 24 a day. */
  da: Float64Array;
  rt: Float64Array;
  /** UTC start of hour 0 of each day. */
  dayStart: number[];
}

/**
 * The hubs of the two files, as 24-hour EPT operating days. May–July has no DST change, so every day
 * has 24 hours at UTC−4 (asserted: a missing or extra hour fails the read).
 */
export async function readPjmHubs(dir: string, hubs?: readonly string[]): Promise<HubPrices[]> {
  const read = async (market: "da" | "rt") => {
    const text = await Deno.readTextFile(`${dir}/pjm_${market}_hrl_lmps_2025-05_2025-07.csv`);
    const rows: Record<string, string>[] = parse(text, { columns: true, skip_empty_lines: true });
    const out = new Map<string, Map<number, number>>();
    for (const r of rows) {
      if (r.row_is_current !== "True" || (hubs && !hubs.includes(r.pnode_name))) continue;
      let m = out.get(r.pnode_name);
      if (!m) out.set(r.pnode_name, m = new Map());
      m.set(parsePjmUtcTime(r.datetime_beginning_utc), Number(r[`total_lmp_${market}`]));
    }
    return out;
  };
  const [da, rt] = await Promise.all([read("da"), read("rt")]);
  const t0 = Date.parse(`${FIRST_DAY}T04:00:00Z`);
  const days = 92;
  return [...da.keys()].sort().map((hub) => {
    const series = (m: Map<number, number> | undefined) => {
      const out = new Float64Array(days * HOURS);
      for (let i = 0; i < out.length; i++) {
        const v = m?.get(t0 + i * HOUR_MS);
        if (v === undefined) throw new Error(`${hub}: no price at ${new Date(t0 + i * HOUR_MS).toISOString()}`);
        out[i] = v;
      }
      return out;
    };
    return {
      hub,
      da: series(da.get(hub)),
      rt: series(rt.get(hub)),
      dayStart: Array.from({ length: days }, (_, d) => t0 + d * HOURS * HOUR_MS),
    };
  });
}

// ---------------------------------------------------------------------------------------------------
// Forecasters: day d from days < d only.

export const FORECASTERS = ["mean7", "lear21+mean7", "lear21", "lear28", "mean3", "naive"] as const;
export type Forecaster = typeof FORECASTERS[number];

/** First day index a forecaster can forecast (its history need). */
export function firstForecastDay(f: Forecaster): number {
  if (f === "naive") return 1;
  if (f.startsWith("mean")) return Number(f.slice(4));
  return Number(f.slice(4, 6));
}

export function forecastDay(prices: Float64Array, d: number, f: Forecaster): Float64Array {
  if (d < firstForecastDay(f)) throw new RangeError(`${f} cannot forecast day ${d}`);
  if (f === "naive") return naiveDay(prices, FIRST_DAY, d, "daily");
  if (f.startsWith("mean")) return profileMeanDay(prices, d, Number(f.slice(4)));
  if (f === "lear21+mean7") return meanForecast([forecastDay(prices, d, "lear21"), forecastDay(prices, d, "mean7")]);
  // LEAR without exogenous inputs: the price lags (D−1, D−2, D−3, D−7) and the weekday, recalibrated daily.
  const history = prices.slice(0, (d + 1) * HOURS).fill(NaN, d * HOURS);
  const series: DailySeries = { price: history, exogenous: [], firstDay: FIRST_DAY };
  return learForecastDay(series, d, { window: Number(f.slice(4, 6)), refit: "lars" }).price;
}

/**
 * Point forecasts of days `from`…`to − 1` with 10/90 % quantiles from the forecaster's own residuals on
 * the days before (none until 7 days of residuals exist; the curves then have one price each).
 */
export function forecastRange(prices: Float64Array, f: Forecaster, from: number, to: number) {
  const start = firstForecastDay(f);
  const residual = new Float64Array(prices.length).fill(NaN);
  const out = new Map<number, { point: Float64Array; p10?: Float64Array; p90?: Float64Array }>();
  for (let d = start; d < to; d++) {
    const point = forecastDay(prices, d, f);
    if (d >= from) {
      const band = predictionIntervals(point, residual, d, { lookback: 28, minHistory: 7 });
      out.set(d, { point, p10: band?.q10, p90: band?.q90 });
    }
    for (let h = 0; h < HOURS; h++) residual[d * HOURS + h] = prices[d * HOURS + h] - point[h];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// One day

export interface DayResult {
  revenue: number;
  da: number;
  deviation: number;
}

type Solve = (input: StorageDayInput) => ReturnType<Awaited<ReturnType<typeof storageOptimiser>>>;

/** A day's forecast and the LP's schedule for it: what both ways of bidding it start from. */
interface PlannedDay {
  forecast: ForecastHour[];
  plan: ReturnType<Solve>;
}

export function planDay(
  solve: Solve,
  hub: HubPrices,
  d: number,
  f: { point: Float64Array; p10?: Float64Array; p90?: Float64Array },
): PlannedDay {
  const forecast: ForecastHour[] = Array.from({ length: HOURS }, (_, h) => ({
    start: new Date(hub.dayStart[d] + h * HOUR_MS).toISOString(),
    price: f.point[h],
    ...(f.p10 && f.p90 ? { p10: f.p10[h], p90: f.p90[h] } : {}),
  }));
  return { forecast, plan: solve({ asset: BATTERY, forecast, ...DAY_TERMS }) };
}

/** Forecast → schedule → curves → cleared at the real DA prices → delivered → settled. */
export function tradeDay(hub: HubPrices, d: number, { forecast, plan }: PlannedDay): DayResult {
  const curves = planToCurves(plan, forecast, { ...ASSET, ...BATTERY });
  // The curves are real bids: each passes the app's validation an hour before the day's gate.
  const now = new Date(gateClosureUtc("PJM", dayDate(FIRST_DAY, d)).getTime() - HOUR_MS);
  const award = new Float64Array(HOURS);
  for (const c of curves) {
    const check = checkBid(c, { asset: { ...ASSET, capacity_mw: 1, ...BATTERY }, now });
    if (!check.ok) throw new Error(`${hub.hub} ${c.interval_start}: ${JSON.stringify(check.issues)}`);
    const h = Math.round((Date.parse(c.interval_start) - hub.dayStart[d]) / HOUR_MS);
    const mw = clearBid(c, hub.da[d * HOURS + h]).awarded_mw;
    award[h] = c.side === "offer" ? mw : -mw;
  }
  return deliverAndSettle(hub, d, award);
}

/**
 * The forecast's schedule bid as it stands (a price-taking self-schedule: every hour clears at the
 * planned MW whatever the price), the common baseline of battery studies; against `tradeDay` it shows
 * what the price-responsive curves add. The same plan as the curves' (the LP reads the point forecast only).
 */
export function tradeSchedule(hub: HubPrices, d: number, { plan }: PlannedDay): DayResult {
  return deliverAndSettle(hub, d, Float64Array.from(plan.hours, (h) => h.discharge_mw - h.charge_mw));
}

/**
 * The battery follows its DA awards as far as its energy allows (a charge award that did not clear
 * leaves a later discharge award short); what it cannot deliver is a deviation settled at RT. Energy
 * left at the day's end is given no value.
 */
export function deliverAndSettle(hub: HubPrices, d: number, award: Float64Array): DayResult {
  const eta = Math.sqrt(BATTERY.round_trip_efficiency);
  const cap = BATTERY.max_soc * BATTERY.energy_mwh;
  let soc = DAY_TERMS.soc_start * BATTERY.energy_mwh;
  let da = 0, deviation = 0;
  for (let h = 0; h < HOURS; h++) {
    const a = award[h];
    let actual = 0;
    if (a < 0) {
      const c = Math.min(-a, (cap - soc) / eta);
      soc += c * eta;
      actual = -c;
    } else if (a > 0) {
      const out = Math.min(a, soc * eta);
      soc -= out / eta;
      actual = out;
    }
    const i = d * HOURS + h;
    const s = settle({ daAwardMw: a, daLmp: hub.da[i] }, [{ rtLmp: hub.rt[i], hours: 1, actualMw: actual }]);
    da += s.da_revenue;
    deviation += s.rt_revenue;
  }
  return { revenue: da + deviation, da, deviation };
}

/** The same LP on the day's real DA prices: the most any schedule could earn. */
export function perfectForesight(solve: Solve, hub: HubPrices, d: number): number {
  const forecast = Array.from({ length: HOURS }, (_, h) => ({
    start: new Date(hub.dayStart[d] + h * HOUR_MS).toISOString(),
    price: hub.da[d * HOURS + h],
  }));
  return solve({ asset: BATTERY, forecast, ...DAY_TERMS }).expected_revenue;
}

/** (Σ four dearest − Σ four cheapest DA hours) × 1 MW × RTE. */
export function tb4(hub: HubPrices, d: number): number {
  const p = Array.from(hub.da.subarray(d * HOURS, (d + 1) * HOURS)).sort((a, b) => a - b);
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  return (sum(p.slice(-4)) - sum(p.slice(0, 4))) * BATTERY.round_trip_efficiency;
}

// ---------------------------------------------------------------------------------------------------
// The run

export interface HubRow {
  hub: string;
  days: number;
  perfect: number;
  tb4: number;
  /**
   * Revenue per forecaster (the chosen one and naive, or every candidate), bid as curves; and under
   * "<forecaster> schedule" the same forecasts bid as fixed schedules, for those asked.
   */
  revenue: Record<string, number>;
}

export async function storageBacktest(
  hubs: readonly HubPrices[],
  forecasters: readonly Forecaster[],
  from: number,
  to: number,
  schedules: readonly Forecaster[] = [],
): Promise<HubRow[]> {
  const solve = await storageOptimiser();
  return hubs.map((hub) => {
    const row: HubRow = { hub: hub.hub, days: to - from, perfect: 0, tb4: 0, revenue: {} };
    for (let d = from; d < to; d++) {
      row.perfect += perfectForesight(solve, hub, d);
      row.tb4 += tb4(hub, d);
    }
    for (const f of forecasters) {
      const forecasts = forecastRange(hub.da, f, from, to);
      const withSchedule = schedules.includes(f);
      let total = 0, fixed = 0;
      for (let d = from; d < to; d++) {
        const day = planDay(solve, hub, d, forecasts.get(d)!);
        total += tradeDay(hub, d, day).revenue;
        if (withSchedule) fixed += tradeSchedule(hub, d, day).revenue;
      }
      row.revenue[f] = total;
      if (withSchedule) row.revenue[`${f} schedule`] = fixed;
    }
    return row;
  });
}

export function totalRow(rows: readonly HubRow[]): HubRow {
  const total: HubRow = { hub: "TOTAL", days: 0, perfect: 0, tb4: 0, revenue: {} };
  for (const r of rows) {
    total.days += r.days;
    total.perfect += r.perfect;
    total.tb4 += r.tb4;
    for (const [k, v] of Object.entries(r.revenue)) total.revenue[k] = (total.revenue[k] ?? 0) + v;
  }
  return total;
}

function table(rows: readonly HubRow[], forecasters: readonly string[]): string {
  const pct = (a: number, b: number) => `${(100 * a / b).toFixed(1)} %`;
  const money = (x: number) => `$${x.toFixed(0)}`;
  const head = ["hub", "days", "perfect", "TB4"];
  for (const f of forecasters) head.push(`${f} $`, `${f} %PF`, `${f} %TB4`);
  const lines = [head];
  for (const r of [...rows, totalRow(rows)]) {
    const line = [r.hub, String(r.days), money(r.perfect), money(r.tb4)];
    for (const f of forecasters) line.push(money(r.revenue[f]), pct(r.revenue[f], r.perfect), pct(r.revenue[f], r.tb4));
    lines.push(line);
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((l) => l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "))
    .join("\n");
}

export async function main(argv: string[]) {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      hubs: { type: "string" },
      forecaster: { type: "string", default: "mean7" },
      from: { type: "string", default: "2025-06-15" },
      to: { type: "string", default: "2025-07-31" },
      candidates: { type: "boolean", default: false },
      data: { type: "string", default: new URL("../../shared/data/", import.meta.url).pathname },
    },
  });
  const chosen = args.forecaster as Forecaster;
  if (!FORECASTERS.includes(chosen)) throw new RangeError(`--forecaster is one of ${FORECASTERS.join(", ")}`);
  const forecasters: Forecaster[] = args.candidates ? [...FORECASTERS] : chosen === "naive" ? ["naive"] : [
    chosen,
    "naive",
  ];
  const from = dayIndex(FIRST_DAY, args.from!);
  const to = dayIndex(FIRST_DAY, args.to!) + 1;
  const latestStart = Math.max(...forecasters.map(firstForecastDay));
  if (from < latestStart) throw new RangeError(`--from must be on or after ${dayDate(FIRST_DAY, latestStart)}`);
  if (to > 92 || to <= from) throw new RangeError("--to must be after --from and at most 2025-07-31");
  const started = performance.now();
  const hubs = await readPjmHubs(args.data!, args.hubs?.split(","));
  const schedules = forecasters.filter((f) => f === chosen || f === "naive");
  const rows = await storageBacktest(hubs, forecasters, from, to, schedules);
  console.log(
    `Battery 1 MW / 4 MWh, RTE 85 %, one cycle a day, empty at each day's start and end; ` +
      `DA ${args.from} … ${args.to}, ${hubs.length} PJM hubs; revenue = DA award at DA + deviation at RT\n`,
  );
  const columns = forecasters.flatMap((f) => (schedules.includes(f) ? [f, `${f} schedule`] : [f]));
  console.log(table(rows, columns));
  console.log(
    `\n${((performance.now() - started) / 1000).toFixed(1)} s, load average ${
      (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ")
    }`,
  );
}
