/// <reference lib="deno.worker" />
/**
 * A backtest worker: loads the benchmark's data set once, then runs the tasks the main thread hands
 * out, one at a time: a LEAR (day, window) forecast, or a whole walk-forward MLP run (it is
 * warm-started, so its days must run in order in one place; each day is posted as it is done so the
 * main thread can cache it). Short tasks fill the gaps of the long ones.
 */
import { parseEpfDataset } from "../services/forecast/epf_csv.ts";
import { learForecastDay, type LearOptions } from "../services/forecast/lear.ts";
import { type MlpOptions, MlpWalkForward } from "../services/forecast/mlp.ts";

export type BacktestTask =
  | {
    kind: "lear";
    id: number;
    day: number;
    window: number;
    options: Omit<LearOptions, "window">;
    /** The member's cache key (member_cache.ts). */
    key: string;
  }
  | { kind: "mlp"; id: number; first: number; nDays: number; options: MlpOptions; key: string };

/** A finished task; an MLP run also posts one `progress` message per day before it. */
export interface BacktestResult {
  id: number;
  price: number[];
  ms: number;
}
export interface BacktestProgress {
  progress: true;
  id: number;
  day: number;
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
  if (msg.kind === "lear") {
    const f = learForecastDay(series!, msg.day, { ...msg.options, window: msg.window });
    self.postMessage({ id: msg.id, price: Array.from(f.price), ms: performance.now() - t0 } satisfies BacktestResult);
    return;
  }
  const model = new MlpWalkForward(msg.options);
  for (let day = msg.first; day < msg.first + msg.nDays; day++) {
    const t = performance.now();
    const f = model.forecastDay(series!, day);
    self.postMessage(
      { progress: true, id: msg.id, day, price: Array.from(f), ms: performance.now() - t } satisfies BacktestProgress,
    );
  }
  self.postMessage({ id: msg.id, price: [], ms: performance.now() - t0 } satisfies BacktestResult);
};
