/**
 * Runs the walk-forward MLP (services/forecast/mlp.ts) over consecutive test days and caches its
 * forecasts (bench/member_cache.ts), so the best-model combination reads them without retraining.
 *
 *   deno run -A bench/mlp_run.ts [--start=2016-12-27] [--days=728] [--hidden=64] [--hidden2=0] [--window=1092]
 *       [--transform=invariant|mlog|npit]
 *       [--epochs-initial=60] [--epochs-daily=2] [--lr=0.001] [--wd=0.0001] [--batch=32] [--seed=1]
 *
 * A warm-started run must start from scratch at --start (its key names that day); if the cache
 * already holds every requested day nothing is recomputed.
 */
import { parseArgs } from "node:util";
import { parseEpfDataset, parseEpfForecasts } from "../services/forecast/epf_csv.ts";
import { dayDate, dayIndex, HOURS } from "../services/forecast/features.ts";
import { type MlpOptions, MlpWalkForward } from "../services/forecast/mlp.ts";
import { mae } from "../services/forecast/metrics.ts";
import type { TransformKind } from "../services/forecast/transforms.ts";
import { appendMember, loadMember, mlpMemberKey } from "./member_cache.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    start: { type: "string", default: "2016-12-27" },
    days: { type: "string", default: "728" },
    hidden: { type: "string", default: "64" },
    hidden2: { type: "string", default: "0" },
    transform: { type: "string", default: "invariant" },
    window: { type: "string", default: "1092" },
    "epochs-initial": { type: "string", default: "60" },
    "epochs-daily": { type: "string", default: "2" },
    lr: { type: "string", default: "0.001" },
    wd: { type: "string", default: "0.0001" },
    batch: { type: "string", default: "32" },
    seed: { type: "string", default: "1" },
    data: { type: "string", default: new URL("../../shared/data/", import.meta.url).pathname },
  },
});

const options: MlpOptions = {
  window: Number(args.window),
  hidden: Number(args.hidden),
  ...(Number(args.hidden2) > 0 ? { hidden2: Number(args.hidden2) } : {}),
  ...(args.transform !== "invariant" ? { transform: args.transform as TransformKind } : {}),
  epochsInitial: Number(args["epochs-initial"]),
  epochsDaily: Number(args["epochs-daily"]),
  batchSize: Number(args.batch),
  learningRate: Number(args.lr),
  weightDecay: Number(args.wd),
  seed: Number(args.seed),
};
const series = parseEpfDataset(await Deno.readTextFile(`${args.data}/epftoolbox_pjm_2013-2018.csv`));
const pub = parseEpfForecasts(await Deno.readTextFile(`${args.data}/epftoolbox_pjm_forecasts_2017-2018.csv`));
const first = dayIndex(series.firstDay, args.start!);
const nDays = Number(args.days);
const key = mlpMemberKey(options, args.start!);
const cached = await loadMember(key);
const model = new MlpWalkForward(options);
const ours = new Float64Array(nDays * HOURS);
const t0 = performance.now();
for (let k = 0; k < nDays; k++) {
  const date = dayDate(series.firstDay, first + k);
  const hit = cached.get(date);
  if (
    hit &&
    Array.from({ length: nDays - k }, (_, j) => dayDate(series.firstDay, first + k + j)).every((d) => cached.has(d))
  ) {
    for (let j = k; j < nDays; j++) ours.set(cached.get(dayDate(series.firstDay, first + j))!.price, j * HOURS);
    break;
  }
  const t = performance.now();
  const f = model.forecastDay(series, first + k);
  const ms = performance.now() - t;
  ours.set(f, k * HOURS);
  if (!hit) await appendMember(key, { day: date, price: Array.from(f), ms });
  if (k % 28 === 27) console.log(`${date} ${ms.toFixed(0)} ms (${k + 1}/${nDays})`);
}
const pubOffset = dayIndex(pub.firstDay, args.start!);
const actual = series.price.slice(first * HOURS, (first + nDays) * HOURS);
const took = `${key}: ${((performance.now() - t0) / 1000).toFixed(1)} s; MAE ${mae(actual, ours).toFixed(3)}`;
if (pubOffset < 0) {
  console.log(`${took} (before the published forecasts; compare with bench/screen.ts)`);
} else {
  const slice = (name: string) => pub.columns.get(name)!.slice(pubOffset * HOURS, (pubOffset + nDays) * HOURS);
  const lear = slice("LEAR Ensemble"), dnn = slice("DNN Ensemble");
  const mix = ours.map((v, i) => (v + lear[i]) / 2);
  console.log(
    `${took}, published LEAR ${mae(actual, lear).toFixed(3)}, DNN ${mae(actual, dnn).toFixed(3)}, ` +
      `(ours + published LEAR)/2 ${mae(actual, mix).toFixed(3)}`,
  );
}
