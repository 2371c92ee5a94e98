/**
 * Disk cache of member models' walk-forward forecasts, so that combinations of members (the "best"
 * model) are evaluated without recomputing them. One JSON-lines file per member under
 * bench/results/cache/ (gitignored), one line per forecast day, appended as each day finishes, so an
 * interrupted run keeps what it computed. A member's forecast of a day depends only on the data
 * before that day and the member's settings (its key) — warm-started models (the MLP) also on the
 * day their run started, which is part of their key.
 */
import { HOURS } from "../services/forecast/features.ts";
import type { LearOptions } from "../services/forecast/lear.ts";
import type { MlpOptions } from "../services/forecast/mlp.ts";

const cacheDir = new URL("./results/cache/", import.meta.url);

export interface CachedDay {
  day: string;
  price: number[];
  /** Wall time of the forecast, and the thread CPU time where the backtest measured it. */
  ms: number;
  cpuMs?: number;
}

function fileOf(key: string): URL {
  if (!/^[A-Za-z0-9_.=,+-]+$/.test(key)) throw new RangeError(`bad cache key ${key}`);
  return new URL(`${key}.jsonl`, cacheDir);
}

/** Every cached day of a member: ISO date → 24 prices and the CPU ms it took. */
export async function loadMember(
  key: string,
): Promise<Map<string, { price: Float64Array; ms: number; cpuMs?: number }>> {
  const out = new Map<string, { price: Float64Array; ms: number; cpuMs?: number }>();
  let text: string;
  try {
    text = await Deno.readTextFile(fileOf(key));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return out;
    throw e;
  }
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let row: CachedDay;
    try {
      row = JSON.parse(line);
    } catch {
      continue; // a line cut short by an interrupted run
    }
    if (row.price?.length === HOURS) {
      out.set(row.day, { price: Float64Array.from(row.price), ms: row.ms, cpuMs: row.cpuMs });
    }
  }
  return out;
}

/** Appends one day's forecast of a member. */
export async function appendMember(key: string, row: CachedDay): Promise<void> {
  await Deno.mkdir(cacheDir, { recursive: true });
  await Deno.writeTextFile(fileOf(key), JSON.stringify(row) + "\n", { append: true });
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

/** Cache key of a walk-forward MLP member: its settings and the day its run started from scratch. */
export function mlpMemberKey(o: MlpOptions, start: string): string {
  const variant = `${o.hidden2 ? `+${o.hidden2}` : ""}${
    o.transform && o.transform !== "invariant" ? `_${o.transform}` : ""
  }`;
  return `mlp_h${o.hidden}${variant}_w${o.window}_e${o.epochsInitial}+${o.epochsDaily}_lr${o.learningRate}_wd${o.weightDecay}_b${o.batchSize}_s${o.seed}_from${start}`;
}
