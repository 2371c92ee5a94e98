/// <reference lib="deno.worker" />
/**
 * A backtest worker: loads the benchmark's data set once, then forecasts (day, window) tasks as the
 * main thread hands them out, one at a time, so the fast short windows fill the gaps of the slow
 * long ones.
 */
import { parseEpfDataset } from "../services/forecast/epf_csv.ts";
import { learForecastDay, type LearOptions } from "../services/forecast/lear.ts";

export interface BacktestTask {
  id: number;
  day: number;
  window: number;
  options: Omit<LearOptions, "window">;
  /** The member's cache key (learMemberKey). */
  key: string;
}

/** Cache key of a LEAR member: every option that changes its forecasts. */
export function learMemberKey(o: LearOptions): string {
  return [
    "lear",
    `w${o.window}`,
    o.transform ?? "invariant",
    o.criterion ?? "aic",
    o.noiseVariance ?? "legacy",
    o.refit ?? "cd",
    ...(o.inPlaceSwapQuirk === undefined ? [] : [`swap${o.inPlaceSwapQuirk}`]),
    ...(o.exogenousLags ? [`ex${o.exogenousLags.join("+")}`] : []),
  ].join("_");
}

export interface BacktestResult {
  id: number;
  price: number[];
  ms: number;
}

let series: ReturnType<typeof parseEpfDataset> | undefined;

self.onmessage = async (e: MessageEvent<{ dataFile: string } | BacktestTask>) => {
  const msg = e.data;
  if ("dataFile" in msg) {
    series = parseEpfDataset(await Deno.readTextFile(msg.dataFile));
    self.postMessage({ ready: true });
    return;
  }
  const t0 = performance.now();
  const f = learForecastDay(series!, msg.day, { ...msg.options, window: msg.window });
  self.postMessage({ id: msg.id, price: Array.from(f.price), ms: performance.now() - t0 } satisfies BacktestResult);
};
