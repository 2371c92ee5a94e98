/**
 * The HiGHS solver (WebAssembly, npm `highs`), loaded once per process: instantiating the 3.5 MB module
 * takes ~100 ms, a solve of one asset-day a millisecond or two, so every solve shares one instance.
 * The adapter is tiny on purpose: the LP is built by lp.ts as sparse arrays, solved here with the
 * stateless `raw.lpCall` / `raw.mipCall` (no native model to dispose, nothing shared between calls).
 */
import * as highsModule from "highs";
import type { Highs, InitOptions } from "highs";

// The package's types declare an ES default export over a CommonJS-typed file, which Deno's checker
// reads as the namespace itself; at run time the default export is the loader.
const loadHighs = (highsModule as unknown as { default: (o?: InitOptions) => Promise<Highs> }).default;

let instance: Promise<Highs> | undefined;

export function highs(): Promise<Highs> {
  // A failed load is not cached: the next call tries again.
  const loading = instance ?? loadHighs().catch((e: unknown) => {
    instance = undefined;
    throw e;
  });
  instance = loading;
  return loading;
}

export type { Highs };
