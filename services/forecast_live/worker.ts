/// <reference lib="deno.worker" />
/**
 * The forecast job's Web Worker: a recalibration is seconds of CPU, which must not run on the server's event
 * loop. One request at a time; the answer is the result or the error's message.
 */
import { computeForecast, type ComputeRequest } from "./compute.ts";

self.onmessage = (e: MessageEvent<ComputeRequest>) => {
  try {
    self.postMessage({ ok: true, result: computeForecast(e.data) });
  } catch (err) {
    self.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
};
