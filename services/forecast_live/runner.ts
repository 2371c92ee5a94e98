/**
 * Runs `computeForecast` in a Web Worker, one request at a time, bounded: a request that outlives its
 * timeout terminates the worker (a fresh one serves the next). The worker is made on first use, so an
 * instance that never forecasts never loads the model code.
 */
import type { ComputeRequest, ComputeResult } from "./compute.ts";

export interface ComputeRunner {
  run(req: ComputeRequest, timeoutMs: number): Promise<ComputeResult>;
  stop(): void;
}

type Reply = { ok: true; result: ComputeResult } | { ok: false; error: string };

export function workerRunner(): ComputeRunner {
  let worker: Worker | null = null;
  let busy: Promise<unknown> = Promise.resolve();
  let cancel: ((e: Error) => void) | null = null;

  function once(req: ComputeRequest, timeoutMs: number): Promise<ComputeResult> {
    worker ??= new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
    const w = worker;
    return new Promise<ComputeResult>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        w.onmessage = null;
        w.onerror = null;
        cancel = null;
      };
      const kill = (e: Error) => {
        done();
        w.terminate();
        if (worker === w) worker = null;
        reject(e);
      };
      const timer = setTimeout(() => kill(new Error(`forecast computation exceeded ${timeoutMs} ms`)), timeoutMs);
      cancel = kill;
      w.onmessage = (e: MessageEvent<Reply>) => {
        done();
        if (e.data.ok) resolve(e.data.result);
        else reject(new Error(e.data.error));
      };
      w.onerror = (e) => {
        e.preventDefault();
        kill(new Error(`forecast worker failed: ${e.message}`));
      };
      w.postMessage(req);
    });
  }

  return {
    run(req, timeoutMs) {
      const p = busy.then(() => once(req, timeoutMs));
      busy = p.catch(() => {});
      return p;
    },
    stop() {
      cancel?.(new Error("forecast runner stopped"));
      worker?.terminate();
      worker = null;
    },
  };
}

/** The same contract on the calling thread: for tests of the job's logic that need no worker. */
export function inlineRunner(compute: (req: ComputeRequest) => ComputeResult): ComputeRunner {
  return { run: (req) => Promise.resolve().then(() => compute(req)), stop() {} };
}
