/**
 * The live job's model on simulated data: walk-forward over `--days` operating days of a zone, the production
 * defaults' windows that fit `--history` days, with the simulator's load forecast and price-only, against the
 * weekly-seasonal naive forecast of issue 14. Shows what the load series is worth to the model and what a
 * recalibration costs. Single thread (the app runs one in its worker).
 *
 *   deno run -A bench/live_forecast.ts [--zone=PJM] [--days=60] [--history=182] [--end=2025-10-31] [--seed=20240501]
 */
import { parseArgs } from "node:util";
import { computeForecast } from "../services/forecast_live/compute.ts";
import { naiveLagDays } from "../services/forecast_live/accuracy.ts";
import { dayHours, toSlots } from "../services/forecast_live/dst.ts";
import { LIVE_DEFAULTS } from "../services/forecast_live/job.ts";
import { addDays } from "../services/market/clock.ts";
import { dayAheadHistory } from "../services/market/simulator.ts";
import { type Iso, ZONES } from "../services/market/zones.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    zone: { type: "string", default: "PJM" },
    days: { type: "string", default: "60" },
    history: { type: "string", default: "182" },
    end: { type: "string", default: "2025-10-31" },
    seed: { type: "string", default: "20240501" },
  },
});
const zone = args.zone as Iso;
const days = Number(args.days), history = Number(args.history);
const tz = ZONES[zone].timeZone;
const first = addDays(args.end, -(history + days) + 1);
const price: number[] = [], load: number[] = [];
for (const c of dayAheadHistory([zone], first, args.end, Number(args.seed))) {
  const starts = c.ticks.map((t) => Date.parse(t.interval_start));
  price.push(...toSlots(tz, starts, c.ticks.map((t) => t.lmp)));
  load.push(...toSlots(tz, starts, c.load.map((l) => l.forecast_mw!)));
}
const n = price.length / 24;
const stats = { load: { abs: 0, ms: 0 }, priceOnly: { abs: 0, ms: 0 }, naive: 0, hours: 0 };
let windows: number[] = [];
for (let d = n - days; d < n; d++) {
  // Each day sees `history` days before it, as the live job does.
  const from = d - history;
  const req = (withLoad: boolean) => ({
    firstDay: addDays(first, from),
    price: new Float64Array(price.slice(from * 24, d * 24)),
    load: withLoad ? new Float64Array(load.slice(from * 24, (d + 1) * 24)) : null,
    target: history,
    backcastDays: [],
    windows: LIVE_DEFAULTS.windows,
    refit: "lars" as const,
  });
  const a = computeForecast(req(true)), b = computeForecast(req(false));
  windows = a.windows;
  stats.load.ms += a.cpuMs;
  stats.priceOnly.ms += b.cpuMs;
  const lag = naiveLagDays(addDays(first, d));
  for (let h = 0; h < 24; h++) {
    const actual = price[d * 24 + h];
    stats.load.abs += Math.abs(actual - a.point[h]);
    stats.priceOnly.abs += Math.abs(actual - b.point[h]);
    stats.naive += Math.abs(actual - price[(d - lag) * 24 + h]);
    stats.hours++;
  }
}
const row = (name: string, s: { abs: number; ms: number }) =>
  `| ${name} | ${(s.abs / stats.hours).toFixed(3)} | ${(s.abs / stats.naive).toFixed(3)} | ${
    (s.ms / days / 1000).toFixed(2)
  } |`;
console.log(
  `${zone}, ${days} days to ${args.end}, ${history} days of history each, windows ${windows.join("/")} ` +
    `(${dayHours(tz, args.end).length}-hour last day)\n`,
);
console.log("| model | MAE $/MWh | rMAE | CPU s/day |\n| --- | --- | --- | --- |");
console.log(row("LEAR ensemble, with load", stats.load));
console.log(row("LEAR ensemble, price-only", stats.priceOnly));
console.log(`| naive (weekly-seasonal) | ${(stats.naive / stats.hours).toFixed(3)} | 1.000 | — |`);
