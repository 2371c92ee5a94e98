/**
 * Screening of member models and their averages on a slice of days, from the member cache (LEAR
 * members missing from it are computed here, single-threaded, and cached). For choosing settings on
 * the validation year before the test period (2016), where no published forecasts exist.
 *
 *   deno run -A bench/screen.ts --start=2016-09-06 --days=112 --lear=56,84,1092 [--transforms=invariant]
 *       [--criteria=aic] --mlp=<cache key>,<cache key> [--groups="a+b;c+d"]
 *
 * Members are named L<window>/<transform>/<criterion> or by their MLP cache key; a group is an '&'-list
 * of members (or the aliases LEAR = every LEAR member, MLP = every MLP member) averaged with equal weight.
 */
import { parseArgs } from "node:util";
import { parseEpfDataset } from "../services/forecast/epf_csv.ts";
import { dayIndex } from "../services/forecast/features.ts";
import { learForecastDay, meanForecast } from "../services/forecast/lear.ts";
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
    lear: { type: "string", default: "" },
    transforms: { type: "string", default: "invariant" },
    criteria: { type: "string", default: "aic" },
    mlp: { type: "string", default: "" },
    groups: { type: "string", default: "" },
    data: { type: "string", default: new URL("../../shared/data/", import.meta.url).pathname },
  },
});
const series = parseEpfDataset(await Deno.readTextFile(`${args.data}/epftoolbox_pjm_2013-2018.csv`));
const first = dayIndex(series.firstDay, args.start!);
const step = Number(args.step);
const days = Array.from({ length: Math.ceil(Number(args.days) / step) }, (_, k) => first + k * step);
const members = new Map<string, Float64Array>();

for (const w of args.lear ? args.lear.split(",").map(Number) : []) {
  for (const t of args.transforms!.split(",") as TransformKind[]) {
    for (const c of args.criteria!.split(",") as ("aic" | "bic")[]) {
      const options = { window: w, transform: t, criterion: c, noiseVariance: "legacy", refit: "lars" } as const;
      const key = learMemberKey(options);
      const f = await cachedSlice(key, series, days, (d) => learForecastDay(series, d, options).price);
      members.set(`L${w}/${t}/${c}`, f);
    }
  }
}
for (const key of args.mlp ? args.mlp.split(",") : []) members.set(key, await cachedSlice(key, series, days));

const { actual, naive } = actualAndNaive(series, days);
const report = (name: string, f: Float64Array) =>
  console.log(`${name.padEnd(70)} MAE ${mae(actual, f).toFixed(3)}  rMAE(weekly) ${rmae(actual, f, naive).toFixed(3)}`);
for (const [name, f] of members) report(name, f);
const expand = (m: string) =>
  m === "LEAR"
    ? [...members.keys()].filter((k) => k.startsWith("L"))
    : m === "MLP"
    ? [...members.keys()].filter((k) => k.startsWith("mlp"))
    : [m];
for (const g of args.groups ? args.groups.split(";") : []) {
  // A member may be weighted as 'name*2'.
  const parts = g.split("&").flatMap((p) => {
    const [m, times] = p.split("*");
    return expand(m).flatMap((k) => Array(Number(times ?? 1)).fill(k));
  });
  report(`avg(${g})`, meanForecast(parts.map((p) => members.get(p)!)));
}
