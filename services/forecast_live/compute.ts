/**
 * The CPU part of a live run (pure, run in a worker): LEAR recalibrated on the history before the target day
 * and averaged over the windows that fit, for the target day and for the past days whose walk-forward point
 * forecasts the band still lacks. Every forecast of day d reads prices of days < d and load of days ≤ d only
 * (services/forecast/features.ts), so a past day's forecast is what the model would have said then.
 */
import type { DailySeries } from "../forecast/features.ts";
import { learEnsembleDay } from "../forecast/lear.ts";

export interface ComputeRequest {
  /** Date of day index 0. */
  firstDay: string;
  /** Day-major 24-slot DA prices of days 0 … target − 1 (the target's slots may be NaN or absent). */
  price: Float64Array;
  /** Day-major 24-slot load forecasts of days 0 … target, or null for a price-only model. */
  load: Float64Array | null;
  target: number;
  /** Past day indexes (< target) to forecast as well. */
  backcastDays: number[];
  windows: number[];
  refit: "lars" | "cd";
}

export interface ComputeResult {
  point: number[];
  backcasts: { day: number; point: number[] }[];
  /** The windows averaged (those the history fits). */
  windows: number[];
  cpuMs: number;
}

/** Windows usable for every day asked: LEAR needs `window` days before the day and more than its 7-day lag. */
export function fittingWindows(windows: readonly number[], earliestDay: number): number[] {
  return windows.filter((w) => w > 8 && w <= earliestDay);
}

export function computeForecast(req: ComputeRequest): ComputeResult {
  const t0 = performance.now();
  const earliest = Math.min(req.target, ...req.backcastDays);
  const windows = fittingWindows(req.windows, earliest);
  if (!windows.length) {
    throw new RangeError(`no calibration window of ${req.windows.join("/")} fits ${earliest} days of history`);
  }
  const days = req.target + 1;
  const price = new Float64Array(days * 24).fill(NaN);
  price.set(req.price.subarray(0, Math.min(req.price.length, req.target * 24)));
  const series: DailySeries = {
    price,
    exogenous: req.load ? [req.load.subarray(0, days * 24)] : [],
    firstDay: req.firstDay,
  };
  const options = { refit: req.refit };
  const backcasts = req.backcastDays.map((day) => ({
    day,
    point: [...learEnsembleDay(series, day, windows, options).price],
  }));
  const point = [...learEnsembleDay(series, req.target, windows, options).price];
  return { point, backcasts, windows, cpuMs: performance.now() - t0 };
}
