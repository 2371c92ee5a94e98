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
  /** Wall time of the task. */
  ms: number;
  /** CPU time of this worker's thread during the task (Linux; absent elsewhere). */
  cpuMs?: number;
}

/**
 * CPU time of the calling thread in ms, from /proc/thread-self/stat (utime + stime, 100 Hz ticks):
 * unlike wall time it does not grow when other processes share the cores.
 */
function threadCpuMs(): number | undefined {
  try {
    const stat = Deno.readTextFileSync("/proc/thread-self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // from field 3 (state) on
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
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
  const c0 = threadCpuMs();
  const t0 = performance.now();
  if (msg.kind === "lear") {
    const f = learForecastDay(series!, msg.day, { ...msg.options, window: msg.window });
    const ms = performance.now() - t0;
    const c1 = threadCpuMs();
    const cpuMs = c0 !== undefined && c1 !== undefined ? c1 - c0 : undefined;
    self.postMessage({ id: msg.id, price: Array.from(f.price), ms, cpuMs } satisfies BacktestResult);
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
