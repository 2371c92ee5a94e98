/**
 * Ad-hoc screening of weighted combinations of cached members on a slice of days (validation days
 * before the test period), for choosing the best model's LEAR windows and LEAR/MLP weight.
 *
 *   deno run -A bench/combos.ts --start=2016-09-06 --days=112 --lear=56,84,1092,56/npit --mlp=<key>,<key>
 *       --weights=0.3,0.4,0.5,0.6 [--hourly=28,56] [--step=1]
 *
 * A LEAR member is <window>[/<transform>]. --hourly adds the LEAR/MLP combination with per-hour weights
 * learnt from the previous N days of the slice (combine.ts, inverseMaeByHour).
 */
import { parseArgs } from "node:util";
import { parseEpfDataset } from "../services/forecast/epf_csv.ts";
import { dayIndex } from "../services/forecast/features.ts";
import { meanForecast } from "../services/forecast/lear.ts";
import { combineWalkForward, weightedMean } from "../services/forecast/combine.ts";
import { mae, rmae } from "../services/forecast/metrics.ts";
import type { TransformKind } from "../services/forecast/transforms.ts";
import { learMemberKey } from "./member_cache.ts";
import { actualAndNaive, cachedSlice } from "./slice.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    start: { type: "string", default: "2016-09-06" },
    days: { type: "string", default: "112" },
    step: { type: "string", default: "1" },
    lear: { type: "string", default: "56,84,1092" },
    mlp: { type: "string", default: "" },
    weights: { type: "string", default: "0.5" },
    hourly: { type: "string", default: "" },
    data: { type: "string", default: new URL("../../shared/data/", import.meta.url).pathname },
  },
});
const series = parseEpfDataset(await Deno.readTextFile(`${args.data}/epftoolbox_pjm_2013-2018.csv`));
const first = dayIndex(series.firstDay, args.start!);
// --step=N keeps every N-th day (LEAR members computed on a sample of a long validation period).
const step = Number(args.step);
const days = Array.from({ length: Math.ceil(Number(args.days) / step) }, (_, k) => first + k * step);
const member = (key: string) => cachedSlice(key, series, days);
const { actual, naive } = actualAndNaive(series, days);
const report = (name: string, f: Float64Array) =>
  console.log(`${name.padEnd(60)} MAE ${mae(actual, f).toFixed(4)}  rMAE ${rmae(actual, f, naive).toFixed(4)}`);
const learSpecs = args.lear!.split(",");
const lears = await Promise.all(learSpecs.map((s) => {
  const [w, t] = s.split("/");
  return member(
    learMemberKey({
      window: Number(w),
      transform: (t ?? "invariant") as TransformKind,
      criterion: "aic",
      noiseVariance: "legacy",
      refit: "lars",
    }),
  );
}));
learSpecs.forEach((s, k) => report(`LEAR ${s}`, lears[k]));
const learEns = meanForecast(lears);
report(`LEAR ens ${args.lear}`, learEns);
if (args.mlp) {
  const mlps = await Promise.all(args.mlp.split(",").map(member));
  const mlpEns = meanForecast(mlps);
  report(`MLP ens (${mlps.length})`, mlpEns);
  for (const w of args.weights!.split(",").map(Number)) {
    report(`${w} LEAR + ${(1 - w).toFixed(2)} MLP`, weightedMean([learEns, mlpEns], [w, 1 - w]));
  }
  for (const lookback of args.hourly ? args.hourly.split(",").map(Number) : []) {
    const f = combineWalkForward(actual, [learEns, mlpEns], { kind: "inverseMaeByHour", lookback });
    report(`LEAR/MLP weights per hour from the last ${lookback} days`, f);
  }
}
