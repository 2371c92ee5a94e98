/**
 * `deno task backtest`: walk-forward backtest of our LEAR on the epftoolbox PJM benchmark against
 * the published forecasts of the same days. Each day is forecast from the data before it only
 * (plus that day's load forecasts), recalibrating every day, as the paper's protocol.
 *
 *   deno task backtest [--days=14] [--start=2016-12-27] [--windows=56,84] [--workers=2]
 *                      [--noise=legacy|ols] [--refit=lars|cd] [--data=../shared/data]
 *                      [--lookback=182] [--min-history=28] [--best [--previous]]
 *
 * Writes bench/results/backtest-<time>.json and .md (one row per model, the published models of
 * the same days beside ours) and prints the table, with the CPU time per day (the workers' thread
 * CPU, which other processes on the machine do not inflate) and the load average during the run.
 * Prediction intervals (10/50/90 %) of each of our models come from its own residuals on the earlier
 * days of the run (`--lookback` days at most, none before `--min-history` days), so they start after
 * that many days.
 * A chart of the run's last week (real price, our ensemble and its band, the published LEAR
 * ensemble) is written beside the report as backtest-<time>-week.svg.
 * --best adds our best model (services/forecast/best.ts: the LEAR ensemble + walk-forward MLPs), its
 * members and its DM tests. Every member's forecasts are cached per day (bench/member_cache.ts).
 */
import { parseArgs } from "node:util";
import type { BacktestProgress, BacktestResult, BacktestTask } from "./backtest_worker.ts";
import { appendMember, learMemberKey, loadMember, mlpMemberKey } from "./member_cache.ts";
import { ASINH_BEST, BEST_MODEL, bestForecast, type BestModel, mlpName } from "../services/forecast/best.ts";
import { combineWalkForward } from "../services/forecast/combine.ts";
import { dieboldMariano, type DmResult } from "../services/forecast/dm.ts";
import { parseEpfDataset, parseEpfForecasts } from "../services/forecast/epf_csv.ts";
import { dayDate, dayIndex, HOURS } from "../services/forecast/features.ts";
import { evaluateIntervals, type IntervalEvaluation } from "../services/forecast/intervals.ts";
import { meanForecast, PAPER_WINDOWS } from "../services/forecast/lear.ts";
import { weekChartSvg } from "../services/forecast/week_chart.ts";
import { mae, naiveForecast, pointMetrics, rmaeEpftoolbox } from "../services/forecast/metrics.ts";
import type { NoiseVariance } from "../services/forecast/lars.ts";
import type { TransformKind } from "../services/forecast/transforms.ts";

// `deno task backtest storage …`: the battery optimiser's backtest on PJM 2025 hub prices instead.
if (Deno.args[0] === "storage") {
  const { main } = await import("./storage_backtest.ts");
  await main(Deno.args.slice(1));
  Deno.exit(0);
}

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    days: { type: "string", default: "14" },
    start: { type: "string", default: "2016-12-27" },
    windows: { type: "string" },
    workers: { type: "string", default: String(Math.max(1, navigator.hardwareConcurrency)) },
    noise: { type: "string", default: "legacy" },
    refit: { type: "string", default: "lars" },
    lookback: { type: "string", default: "182" },
    "min-history": { type: "string", default: "28" },
    best: { type: "boolean", default: false },
    previous: { type: "boolean", default: false },
    data: { type: "string", default: new URL("../../shared/data/", import.meta.url).pathname },
    register: { type: "boolean", default: false },
    model: { type: "string", default: "lear-ensemble" },
  },
});
const nDays = Number(args.days);
/** --best evaluates BEST_MODEL; --best --previous the best model of rounds 1–3 (ASINH_BEST) instead. */
const spec: BestModel = args.previous ? ASINH_BEST : BEST_MODEL;
const windows = (args.windows ?? (args.best ? spec.learWindows.join(",") : "56,84")).split(",")
  .map(Number);
const nWorkers = Math.max(1, Number(args.workers));
const noise = args.noise as NoiseVariance;
if (args.refit !== "lars" && args.refit !== "cd") throw new RangeError(`--refit is lars or cd, not ${args.refit}`);
const refit: "lars" | "cd" = args.refit;
const intervalOptions = { lookback: Number(args.lookback), minHistory: Number(args["min-history"]) };
/** --best adds our best model (services/forecast/best.ts): the LEAR ensemble of --windows averaged with MLPs. */
const bestModel = args.best === true;
if (bestModel && windows.join(",") !== spec.learWindows.join(",")) {
  throw new RangeError(`--best uses the LEAR windows ${spec.learWindows.join(",")}`);
}
const dataFile = `${args.data}/epftoolbox_pjm_2013-2018.csv`;
const pubFile = `${args.data}/epftoolbox_pjm_forecasts_2017-2018.csv`;

const series = parseEpfDataset(await Deno.readTextFile(dataFile));
const pub = parseEpfForecasts(await Deno.readTextFile(pubFile));
const first = dayIndex(series.firstDay, args.start!);
const pubOffset = dayIndex(pub.firstDay, args.start!);
if (pubOffset < 0 || pubOffset + nDays > pub.columns.get("Real price")!.length / HOURS) {
  throw new RangeError(`the published forecasts cover ${pub.firstDay} + 728 days; ${args.start} + ${nDays} is outside`);
}
const days = Array.from({ length: nDays }, (_, k) => first + k);

// Longest windows first, so the short ones balance the end of the run; with --best the MLP
// runs (whole walk-forward runs, the longest tasks) go first of all. Days already in a member's
// cache (bench/member_cache.ts) are read from it instead of recomputed.
type LearTask = Extract<BacktestTask, { kind: "lear" }>;
type MlpTask = Extract<BacktestTask, { kind: "mlp" }>;
const tasks: BacktestTask[] = [];
const results = new Map<number, BacktestResult>();
const queue: BacktestTask[] = [];
const mlpForecasts = new Map<string, Float64Array>();
const mlpMs = new Map<string, Float64Array>();
if (bestModel) {
  for (const options of spec.mlps) {
    const key = mlpMemberKey(options, args.start!);
    const cached = await loadMember(key);
    const f = new Float64Array(nDays * HOURS), ms = new Float64Array(nDays);
    mlpForecasts.set(key, f);
    mlpMs.set(key, ms);
    const task: MlpTask = { kind: "mlp", id: tasks.length, first, nDays, options, key };
    tasks.push(task);
    if (days.every((d) => cached.has(dayDate(series.firstDay, d)))) {
      days.forEach((d, k) => {
        const hit = cached.get(dayDate(series.firstDay, d))!;
        f.set(hit.price, k * HOURS);
        ms[k] = hit.ms;
      });
      results.set(task.id, { id: task.id, price: [], ms: 0 });
    } else {
      queue.push(task);
    }
  }
}
/** Names a LEAR member on a VST other than the paper's asinh. */
const vstName = (window: number, t: TransformKind) => `LEAR ${window} ${t}`;
/** The LEAR members: every window on the paper's asinh, and with --best the model's members on other VSTs. */
const learMembers: { window: number; transform: TransformKind }[] = [
  ...windows.map((window) => ({ window, transform: "invariant" as const })),
  ...(bestModel ? spec.learExtra : []),
].sort((a, b) => b.window - a.window);
for (const { window, transform } of learMembers) {
  // The paper's asinh leaves `transform` out, so its cache key and task are the same as without --best.
  const options = { noiseVariance: noise, refit, ...(transform === "invariant" ? {} : { transform }) } as const;
  const key = learMemberKey({ window, ...options });
  const cached = await loadMember(key);
  for (const day of days) {
    const task: LearTask = { kind: "lear", id: tasks.length, day, window, options, key };
    tasks.push(task);
    const hit = cached.get(dayDate(series.firstDay, day));
    if (hit) results.set(task.id, { id: task.id, price: Array.from(hit.price), ms: hit.ms, cpuMs: hit.cpuMs });
    else queue.push(task);
  }
}
const computedTasks = queue.length;
// The cores may be shared: the load average beside the wall time says how much.
const loadAtStart = Deno.loadavg();
const t0 = performance.now();
await Promise.all(Array.from({ length: Math.min(nWorkers, queue.length) }, () => runWorker()));
const wallMs = performance.now() - t0;
const loadAtEnd = Deno.loadavg();

async function runWorker(): Promise<void> {
  const worker = new Worker(new URL("./backtest_worker.ts", import.meta.url).href, { type: "module" });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.onerror = (e) => reject(e);
      worker.onmessage = async (e: MessageEvent<{ ready: true } | BacktestProgress | BacktestResult>) => {
        const msg = e.data;
        if ("ready" in msg) return next();
        const task = tasks[msg.id];
        if ("progress" in msg) {
          if (task.kind !== "mlp") return;
          const date = dayDate(series.firstDay, msg.day);
          mlpForecasts.get(task.key)!.set(msg.price, (msg.day - first) * HOURS);
          mlpMs.get(task.key)![msg.day - first] = msg.ms;
          await appendMember(task.key, { day: date, price: msg.price, ms: msg.ms });
          if ((msg.day - first) % 28 === 27) console.log(`${date} ${task.key}: ${msg.ms.toFixed(0)} ms`);
          return;
        }
        results.set(msg.id, msg);
        if (task.kind === "lear") {
          await appendMember(task.key, {
            day: dayDate(series.firstDay, task.day),
            price: msg.price,
            ms: msg.ms,
            cpuMs: msg.cpuMs,
          });
          console.log(
            `${dayDate(series.firstDay, task.day)} LEAR ${task.window}: ${
              msg.ms.toFixed(0)
            } ms (${results.size}/${tasks.length})`,
          );
        }
        next();
      };
      const next = () => {
        const task = queue.shift();
        if (task) worker.postMessage(task);
        else resolve();
      };
      worker.postMessage({ dataFile });
    });
  } finally {
    worker.terminate();
  }
}

// Assemble day-major forecasts per window.
const ours = new Map<number, Float64Array>();
for (const window of windows) ours.set(window, new Float64Array(nDays * HOURS));
/** LEAR members on the other VSTs (--best), by vstName. */
const oursVst = new Map<string, Float64Array>();
for (const { window, transform } of learMembers) {
  if (transform !== "invariant") oursVst.set(vstName(window, transform), new Float64Array(nDays * HOURS));
}
// CPU per day: the workers' thread CPU where the OS gives it (it does not grow with other processes'
// load), else the tasks' wall time.
const haveCpu = tasks.every((t) => t.kind !== "lear" || results.get(t.id)!.cpuMs !== undefined);
const cpuOf = (r: BacktestResult) => haveCpu ? r.cpuMs! : r.ms;
const msPerDay = new Float64Array(nDays);
const taskWallPerDay = new Float64Array(nDays);
for (const task of tasks) {
  if (task.kind !== "lear") continue;
  const r = results.get(task.id)!;
  const t = task.options.transform;
  (t ? oursVst.get(vstName(task.window, t))! : ours.get(task.window)!).set(r.price, (task.day - first) * HOURS);
  msPerDay[task.day - first] += cpuOf(r);
  taskWallPerDay[task.day - first] += r.ms;
}
for (const ms of mlpMs.values()) ms.forEach((v, k) => (msPerDay[k] += v));
const actual = series.price.slice(first * HOURS, (first + nDays) * HOURS);
const naive = naiveForecast(series.price, series.firstDay, first, first + nDays, "weekly");
const published = (name: string) => pub.columns.get(name)!.slice(pubOffset * HOURS, (pubOffset + nDays) * HOURS);

interface Row {
  model: string;
  mae: number;
  rmse: number;
  smapePct: number;
  rmae: number;
  /** epftoolbox's rMAE(m="W"): the naive built from the slice itself (the published 0.452 / 0.476 over 728 days). */
  rmaeEpftoolbox?: number;
  publishedMae?: number;
  maeVsPublished?: number;
  /** Our models only, over the days that had enough past residuals for a band. */
  intervals?: IntervalSummary;
}
interface IntervalSummary {
  days: number;
  from: string;
  /** Fraction of prices inside [q10, q90] (nominal 0.8). */
  coverage80: number;
  /** Mean pinball loss over q10, q50, q90. */
  pinballMean: number;
  pinball: IntervalEvaluation["pinball"];
}
const intervalSummary = (ev: IntervalEvaluation | undefined): IntervalSummary | undefined =>
  ev && {
    days: ev.days,
    from: dayDate(args.start!, ev.firstDay),
    coverage80: ev.coverage80,
    pinballMean: ev.pinballMean,
    pinball: ev.pinball,
  };
/** `intervals`: our models' walk-forward interval evaluation (none for the published ones). */
const row = (model: string, f: Float64Array, ref?: Float64Array, intervals?: { ev?: IntervalEvaluation }): Row => {
  const { mae: fMae, rmse, smape, rmae } = pointMetrics(actual, f, naive);
  const refMae = ref && mae(actual, ref);
  return {
    model,
    mae: fMae,
    rmse,
    smapePct: 100 * smape,
    rmae,
    ...(nDays > 7 ? { rmaeEpftoolbox: rmaeEpftoolbox(actual, f, args.start!, "weekly") } : {}),
    ...(refMae !== undefined ? { publishedMae: refMae, maeVsPublished: fMae / refMae - 1 } : {}),
    ...(intervals ? { intervals: intervalSummary(intervals.ev) } : {}),
  };
};
const rows: Row[] = [];
for (const window of windows) {
  const name = `LEAR ${window}`;
  const f = ours.get(window)!;
  rows.push(row(`ours ${name}`, f, pub.columns.has(name) ? published(name) : undefined, {
    ev: evaluateIntervals(actual, f, intervalOptions),
  }));
}
for (const [name, f] of oursVst) {
  rows.push(row(`ours ${name}`, f, undefined, { ev: evaluateIntervals(actual, f, intervalOptions) }));
}
const ourEnsemble = meanForecast(windows.map((w) => ours.get(w)!));
const pubSameWindows = windows.every((w) => pub.columns.has(`LEAR ${w}`))
  ? meanForecast(windows.map((w) => published(`LEAR ${w}`)))
  : undefined;
const ensembleIntervals = evaluateIntervals(actual, ourEnsemble, intervalOptions);
rows.push(row(`ours LEAR ensemble (${windows.join("+")})`, ourEnsemble, pubSameWindows, { ev: ensembleIntervals }));
let paperEnsemble: Float64Array | undefined;
if (windows.join(",") !== PAPER_WINDOWS.join(",") && PAPER_WINDOWS.every((w) => ours.has(w))) {
  // The paper's own ensemble beside ours with extra windows, against the published one.
  const paper = meanForecast(PAPER_WINDOWS.map((w) => ours.get(w)!));
  rows.push(row(`ours LEAR ensemble (${PAPER_WINDOWS.join("+")})`, paper, published("LEAR Ensemble")));
  paperEnsemble = paper;
}
for (const window of windows) {
  if (pub.columns.has(`LEAR ${window}`)) rows.push(row(`published LEAR ${window}`, published(`LEAR ${window}`)));
}
rows.push(row("published LEAR Ensemble (4 windows)", published("LEAR Ensemble")));
rows.push(row("published DNN Ensemble", published("DNN Ensemble")));
/** The model drawn in the sample week: the LEAR ensemble, or the best model with --best. */
let charted = {
  name: `ours LEAR ensemble (${windows.join("+")})`,
  values: ourEnsemble,
  bands: ensembleIntervals?.bands,
};
const dm: Record<string, { vsPublishedLearEnsemble: DmResult; vsPublishedDnnEnsemble: DmResult }> = {};
const dmOf = (name: string, f: Float64Array) =>
  dm[name] = {
    vsPublishedLearEnsemble: dieboldMariano(actual, published("LEAR Ensemble"), f),
    vsPublishedDnnEnsemble: dieboldMariano(actual, published("DNN Ensemble"), f),
  };
dmOf(`ours LEAR ensemble (${windows.join("+")})`, ourEnsemble);
if (paperEnsemble) dmOf(`ours LEAR ensemble (${PAPER_WINDOWS.join("+")})`, paperEnsemble);
if (bestModel) {
  // The best model's LEAR half: every window on every VST of best.ts (the asinh ones alone if that is all).
  const learHalf = oursVst.size === 0 ? ourEnsemble : meanForecast([...ours.values(), ...oursVst.values()]);
  const learHalfName = `ours LEAR ensemble (${windows.join("+")} + ${
    spec.learExtra.map((m) => `${m.window} ${m.transform}`).join(" + ")
  })`;
  if (oursVst.size > 0) {
    rows.push(row(learHalfName, learHalf, undefined, { ev: evaluateIntervals(actual, learHalf, intervalOptions) }));
    dmOf(learHalfName, learHalf);
  }
  // The members of the best model and the model itself, each with its own walk-forward intervals.
  const mlps = [...mlpForecasts.values()];
  mlps.forEach((f, k) => rows.push(row(`ours ${mlpName(spec.mlps[k])}`, f)));
  const mlpEnsemble = meanForecast(mlps);
  rows.push(row(`ours MLP ensemble (${mlps.length} MLPs)`, mlpEnsemble, undefined, {
    ev: evaluateIntervals(actual, mlpEnsemble, intervalOptions),
  }));
  dmOf(`ours MLP ensemble (${mlps.length} MLPs)`, mlpEnsemble);
  const best = bestForecast(actual, learHalf, mlpEnsemble, spec);
  const bestIntervals = evaluateIntervals(actual, best, intervalOptions);
  const bestName = args.previous ? "ours PREVIOUS BEST" : "ours BEST";
  rows.push(row(`${bestName}: ${spec.description}`, best, undefined, { ev: bestIntervals }));
  charted = { name: bestName, values: best, bands: bestIntervals?.bands };
  dmOf(bestName, best);
  if (oursVst.size > 0) {
    // The same combination with the asinh LEAR members only: what the other VSTs add.
    const asinhBest = bestForecast(actual, ourEnsemble, mlpEnsemble, spec);
    rows.push(row(`ours the same with the asinh LEAR ensemble (${windows.join("+")}) only`, asinhBest));
    dmOf(`ours the same with the asinh LEAR ensemble only`, asinhBest);
  }
  if (paperEnsemble) {
    // The same combination with the paper's four LEAR windows only: what the extra windows add.
    const paperBest = bestForecast(actual, paperEnsemble, mlpEnsemble, spec);
    rows.push(row(`ours ½ LEAR ensemble (${PAPER_WINDOWS.join("+")}) + ½ MLP ensemble`, paperBest));
    dmOf(`ours ½ LEAR ensemble (${PAPER_WINDOWS.join("+")}) + ½ MLP ensemble`, paperBest);
  }
  // Measured beside it, not chosen: the LEAR/MLP weight learnt each day from the past 56 days' errors.
  const learnt = combineWalkForward(actual, [learHalf, mlpEnsemble], { kind: "bestConvex", lookback: 56 });
  rows.push(row("ours LEAR ens. + MLP ens., convex weight from the past 56 days", learnt));
  dmOf("ours LEAR ens. + MLP ens., past-56-day weight", learnt);
}

const sortedMs = Array.from(msPerDay).sort((a, b) => a - b);
const timing = {
  wallSeconds: wallMs / 1000,
  /** Tasks computed in this run; the others came from the member cache, with the CPU time they took then. */
  computedTasks,
  cachedTasks: tasks.length - computedTasks,
  workers: nWorkers,
  cpuSource: haveCpu ? "worker thread CPU time (/proc/thread-self/stat)" : "task wall time",
  loadAverage: { start: loadAtStart, end: loadAtEnd },
  taskWallMsPerDayMean: taskWallPerDay.reduce((a, b) => a + b, 0) / nDays,
  cpuMsPerDayMean: msPerDay.reduce((a, b) => a + b, 0) / nDays,
  cpuMsPerDayMedian: sortedMs[Math.floor(nDays / 2)],
  cpuMsPerDayMax: sortedMs[nDays - 1],
  /** The paper's asinh members, by window; members on other VSTs by `<window> <vst>`. */
  cpuMsPerWindowDay: Object.fromEntries(learMembers.map(({ window, transform }) => {
    const ms = tasks.filter((t) =>
      t.kind === "lear" && t.window === window && (t.options.transform ?? "invariant") === transform
    ).map((t) => cpuOf(results.get(t.id)!));
    return [
      transform === "invariant" ? String(window) : `${window} ${transform}`,
      ms.reduce((a, b) => a + b, 0) / ms.length,
    ];
  })),
};
const report = {
  generatedAt: new Date().toISOString(),
  protocol: {
    data: "epftoolbox PJM (COMED) 2013-2018",
    from: args.start,
    days: nDays,
    windows,
    noiseVariance: noise,
    refit,
    rmae: "MAE / MAE of the lag-7 (weekly) naive forecast on the same days (history before the slice allowed)",
    rmaeEpftoolbox:
      "epftoolbox rMAE(m='W'): the weekly naive built from the slice alone, so its first week is left out",
    intervals: {
      ...intervalOptions,
      method: "per-hour empirical 10/50/90 % quantiles of the model's residuals on earlier days of the run, " +
        "added to its point forecast (split-conformal)",
    },
  },
  rows,
  dm,
  timing,
  env: { deno: Deno.version.deno, cores: navigator.hardwareConcurrency },
};

const f2 = (v: number) => v.toFixed(3);
const pText = (p: number) => (p < 1e-4 ? p.toExponential(1) : p.toFixed(4));
const md = [
  `# LEAR backtest, ${nDays} days from ${args.start} (windows ${windows.join(", ")}, AIC ${noise}, refit ${refit})`,
  "",
  "| model | MAE | RMSE | sMAPE % | rMAE | rMAE (epftoolbox) | published MAE | ours vs published |",
  "|---|---|---|---|---|---|---|---|",
  ...rows.map((r) =>
    `| ${r.model} | ${f2(r.mae)} | ${f2(r.rmse)} | ${r.smapePct.toFixed(2)} | ${f2(r.rmae)} | ${
      r.rmaeEpftoolbox === undefined ? "" : f2(r.rmaeEpftoolbox)
    } | ${r.publishedMae === undefined ? "" : f2(r.publishedMae)} | ${
      r.maeVsPublished === undefined ? "" : `${(100 * r.maeVsPublished).toFixed(1)} %`
    } |`
  ),
  "",
  `Prediction intervals (per-hour residual quantiles of the last ${intervalOptions.lookback} days, from ${intervalOptions.minHistory} days of history):`,
  "",
  "| model | days with band | from | coverage 10–90 (nominal 0.80) | mean pinball | pinball q10 / q50 / q90 |",
  "|---|---|---|---|---|---|",
  ...rows.filter((r) => "intervals" in r).map((r) => {
    const iv = r.intervals;
    return iv
      ? `| ${r.model} | ${iv.days} | ${iv.from} | ${f2(iv.coverage80)} | ${f2(iv.pinballMean)} | ${
        f2(iv.pinball.q10)
      } / ${f2(iv.pinball.q50)} / ${f2(iv.pinball.q90)} |`
      : `| ${r.model} | 0 | | | | |`;
  }),
  "",
  "DM (multivariate, norm 1, one-sided: small p = ours more accurate than the published):",
  "",
  "| ours | p vs published LEAR Ensemble | p vs published DNN Ensemble |",
  "|---|---|---|",
  ...Object.entries(dm).map(([name, r]) =>
    `| ${name} | ${pText(r.vsPublishedLearEnsemble.pValue)} | ${pText(r.vsPublishedDnnEnsemble.pValue)} |`
  ),
  "",
  `Time: ${
    timing.wallSeconds.toFixed(1)
  } s wall on ${nWorkers} workers for ${computedTasks} of ${tasks.length} tasks (the others from the member cache, bench/results/cache; load average ${
    loadAtStart[0].toFixed(2)
  } at the start, ${loadAtEnd[0].toFixed(2)} at the end, ${navigator.hardwareConcurrency} cores); ${
    haveCpu ? "thread CPU" : "task time"
  } per day (all windows) mean ${(timing.cpuMsPerDayMean / 1000).toFixed(2)} s, median ${
    (timing.cpuMsPerDayMedian / 1000).toFixed(2)
  } s, max ${(timing.cpuMsPerDayMax / 1000).toFixed(2)} s; per window-day ${
    Object.entries(timing.cpuMsPerWindowDay).map(([w, ms]) => `${w}: ${(ms / 1000).toFixed(2)} s`).join(", ")
  }; task wall time per day mean ${(timing.taskWallMsPerDayMean / 1000).toFixed(2)} s.`,
  "",
].join("\n");

const outDir = new URL("./results/", import.meta.url);
await Deno.mkdir(outDir, { recursive: true });
const stamp = report.generatedAt.replace(/[:.]/g, "-");

// The sample week: the run's last 7 days (the ones most likely to have a band).
const weekDays = Math.min(7, nDays);
const weekFrom = (nDays - weekDays) * HOURS, weekTo = nDays * HOURS;
const ensembleBands = charted.bands;
const chartFile = `backtest-${stamp}-week.svg`;
await Deno.writeTextFile(
  new URL(chartFile, outDir),
  weekChartSvg({
    title: `PJM day-ahead price, ${dayDate(args.start!, nDays - weekDays)} + ${weekDays} days`,
    firstLabel: dayDate(args.start!, nDays - weekDays),
    yLabel: "$/MWh",
    lines: [
      { name: "real price", values: actual.subarray(weekFrom, weekTo), color: "#111" },
      {
        name: charted.name,
        values: charted.values.subarray(weekFrom, weekTo),
        color: "#c0392b",
      },
      {
        name: "published LEAR ensemble",
        values: published("LEAR Ensemble").subarray(weekFrom, weekTo),
        color: "#2471a3",
        dash: "5 3",
      },
    ],
    ...(ensembleBands
      ? {
        band: {
          name: "ours 10–90 %",
          lower: ensembleBands.q10.subarray(weekFrom, weekTo),
          upper: ensembleBands.q90.subarray(weekFrom, weekTo),
          color: "#c0392b",
        },
      }
      : {}),
  }),
);
await Deno.writeTextFile(new URL(`backtest-${stamp}.json`, outDir), JSON.stringify(report, null, 2));
await Deno.writeTextFile(new URL(`backtest-${stamp}.md`, outDir), `${md}\n![sample week](${chartFile})\n`);
console.log("\n" + md);
console.log(`written bench/results/backtest-${stamp}.{json,md} and ${chartFile}`);
if (args.register) {
  const { registerBacktest } = await import("./backtest_register.ts");
  const m = await registerBacktest(report, { name: args.model });
  console.log(`registered ${m.name} v${m.version} (${m.id}), stage ${m.stage}; its MLflow run waits in the outbox`);
}
