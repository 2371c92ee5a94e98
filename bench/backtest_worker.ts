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
}

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
  const f = learForecastDay(series!, msg.day, { ...msg.options, window: msg.window });
  const ms = performance.now() - t0;
  const c1 = threadCpuMs();
  const cpuMs = c0 !== undefined && c1 !== undefined ? c1 - c0 : undefined;
  self.postMessage({ id: msg.id, price: Array.from(f.price), ms, cpuMs } satisfies BacktestResult);
};
