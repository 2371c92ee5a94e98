/**
 * One zone's live run: forecast the delivery day of the zone's next DA gate, once the previous day's DA
 * prices are in, with the production model of LIVE_MODEL, and store it as a new vintage (run + hours, one
 * transaction). The 10/90 % band comes from the model's own errors on the days before (intervals.ts): the
 * point forecasts of past days are kept in forecast_backcasts, and at first start the missing ones are made
 * walk-forward (only data before each day). Until `minHistory` days have errors, the run has no band.
 */
import { z } from "zod";
import type { Database } from "../../db/database.ts";
import { predictionIntervals } from "../forecast/intervals.ts";
import { addDays, localDayBounds } from "../market/clock.ts";
import { loadRange } from "../market/load_store.ts";
import { type Iso, nextGateClosure, ZONES } from "../market/zones.ts";
import { productionModel } from "../models/production.ts";
import { fittingWindows } from "./compute.ts";
import { dayHours, fromSlots, SLOTS, toSlots } from "./dst.ts";
import type { ComputeRunner } from "./runner.ts";
import { logTrainingRun } from "../models/mlflow_events.ts";
import { daPrices, hasRun, insertRun, readBackcasts, writeBackcasts } from "./store.ts";

export const LIVE_MODEL = "lear-ensemble";

/** Version 1 of LIVE_MODEL: the paper's LEAR ensemble with the exact LARS refit, conformal 10/50/90 % bands. */
export const LIVE_DEFAULTS = {
  class: "lear",
  windows: [56, 84, 1092, 1456],
  transform: "invariant",
  criterion: "aic",
  noise_variance: "legacy",
  refit: "lars",
  exogenous: "zonal load forecast of D, D-1, D-7 where the zone has it; price-only otherwise",
  intervals: { method: "per-hour residual quantiles (split conformal)", lookback: 56, min_history: 14 },
  backcast_days: 14,
};

/** What the job reads of a version's params; anything else a version carries is ignored here. */
const paramsSchema = z.object({
  windows: z.array(z.number().int().min(9).max(2000)).min(1).default(LIVE_DEFAULTS.windows),
  refit: z.enum(["lars", "cd"]).default("lars"),
  intervals: z.object({
    lookback: z.number().int().min(1).max(730).default(56),
    min_history: z.number().int().min(1).max(730).default(14),
  }).default({ lookback: 56, min_history: 14 }),
  backcast_days: z.number().int().min(0).max(365).default(14),
});

export interface TrainingRun {
  zone: Iso;
  deliveryDate: string;
  runId: string;
  model: { id: string; name: string; version: number };
  params: Record<string, unknown>;
  windows: number[];
  usesLoad: boolean;
  historyDays: number;
  backcasts: number;
  banded: boolean;
  madeAt: Date;
  cpuMs: number;
}

export type RunOutcome =
  | { status: "stored"; run: TrainingRun }
  | { status: "exists" | "waiting" | "no_history"; deliveryDate: string; reason: string };

export interface JobDeps {
  db: () => Database;
  runner: ComputeRunner;
  now: () => number;
  modelName?: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

interface Day {
  date: string;
  starts: number[];
  slots: Float64Array | null; // null: incomplete
}

export async function runZone(deps: JobDeps, zone: Iso, opts: { force?: boolean } = {}): Promise<RunOutcome> {
  const db = deps.db();
  const startedAt = new Date(deps.now());
  const tz = ZONES[zone].timeZone;
  const { deliveryDate: target, closesAt: gate } = nextGateClosure(zone, new Date(deps.now()));
  const prev = addDays(target, -1);

  // Cheap check first: most ticks of a waiting zone end here.
  const prevStarts = dayHours(tz, prev);
  const prevPrices = await daPrices(db, zone, new Date(prevStarts[0]), new Date(prevStarts.at(-1)! + 3_600_000));
  if (prevPrices.length < prevStarts.length) {
    return { status: "waiting", deliveryDate: target, reason: `DA prices of ${prev} are not all in` };
  }
  const model = await productionModel(db, deps.modelName ?? LIVE_MODEL, LIVE_DEFAULTS);
  const params = paramsSchema.parse(model.params ?? {});
  if (!opts.force && (await hasRun(db, zone, target, model.id, gate))) {
    return { status: "exists", deliveryDate: target, reason: "a run for the day exists" };
  }

  // History: enough for the longest window and the band's days, as far as the store has it.
  const maxWindow = Math.max(...params.windows);
  const want = maxWindow + Math.max(params.backcast_days, params.intervals.lookback) + 1;
  const first = addDays(target, -want);
  const [from] = localDayBounds(tz, first);
  const [, to] = localDayBounds(tz, prev);
  const prices = new Map((await daPrices(db, zone, new Date(from), new Date(to))).map((p) => [p.start, p.lmp]));
  const days: Day[] = [];
  for (let date = first; date <= prev; date = addDays(date, 1)) {
    const starts = dayHours(tz, date);
    const values = starts.map((t) => prices.get(t));
    const complete = values.every((v) => v !== undefined);
    days.push({ date, starts, slots: complete ? toSlots(tz, starts, values as number[]) : null });
  }
  if (!days[days.length - 1].slots) {
    return { status: "waiting", deliveryDate: target, reason: `DA prices of ${prev} are not all in` };
  }
  // The model needs whole days: history is the unbroken run of complete days ending the day before.
  let start = days.length - 1;
  while (start > 0 && days[start - 1].slots) start--;
  const history = days.slice(start);
  const n = history.length; // target's index
  const targetWindows = fittingWindows(params.windows, n);
  if (!targetWindows.length) {
    const need = Math.min(...params.windows);
    return { status: "no_history", deliveryDate: target, reason: `${n} days of DA prices; LEAR needs ${need}` };
  }

  // Load forecasts of every history day and the target: used only when complete (else price-only).
  const targetStarts = dayHours(tz, target);
  const loadRows = await loadRange(
    db,
    zone,
    new Date(history[0].starts[0]),
    new Date(targetStarts.at(-1)! + 3_600_000),
  );
  const loadAt = new Map(
    loadRows.filter((r) => r.forecast_mw !== null).map((r) => [Date.parse(r.interval_start), r.forecast_mw!]),
  );
  let load: Float64Array | null = new Float64Array((n + 1) * SLOTS);
  for (const [i, starts] of [...history.map((d) => d.starts), targetStarts].entries()) {
    const values = starts.map((t) => loadAt.get(t));
    if (values.some((v) => v === undefined)) {
      load = null;
      break;
    }
    load.set(toSlots(tz, starts, values as number[]), i * SLOTS);
  }

  // Past days whose point forecast the band needs and lacks, among those the windows can forecast.
  const bandFrom = Math.max(0, n - Math.max(params.backcast_days, params.intervals.lookback));
  const stored = await readBackcasts(db, zone, model.id, history[bandFrom]?.date ?? target, prev);
  const storedAt = new Map(stored.map((b) => [b.date, b.point]));
  // Only days the target's windows all fit: the band is made of the errors of the same model.
  const canBackcast = (i: number) => fittingWindows(params.windows, i).length === targetWindows.length;
  const backcastDays: number[] = [];
  for (let i = Math.max(0, n - params.backcast_days); i < n; i++) {
    if (!storedAt.has(history[i].date) && canBackcast(i)) backcastDays.push(i);
  }
  const price = new Float64Array(n * SLOTS);
  history.forEach((d, i) => price.set(d.slots!, i * SLOTS));
  const result = await deps.runner.run({
    firstDay: history[0].date,
    price,
    load,
    target: n,
    backcastDays,
    windows: params.windows,
    refit: params.refit,
  }, deps.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  for (const b of result.backcasts) storedAt.set(history[b.day].date, b.point);

  // Residuals (actual − point forecast) of the days before the target, day-major in slots.
  const residual = new Float64Array(n * SLOTS).fill(NaN);
  for (let i = bandFrom; i < n; i++) {
    const p = storedAt.get(history[i].date);
    if (!p) continue;
    for (let h = 0; h < SLOTS; h++) residual[i * SLOTS + h] = history[i].slots![h] - p[h];
  }
  const band = predictionIntervals(result.point, residual, n, {
    lookback: params.intervals.lookback,
    minHistory: params.intervals.min_history,
  });
  const p50 = fromSlots(tz, targetStarts, band ? band.q50 : result.point);
  const p10 = band ? fromSlots(tz, targetStarts, band.q10) : null;
  const p90 = band ? fromSlots(tz, targetStarts, band.q90) : null;

  const madeAt = new Date(deps.now());
  const runId = await db.transaction(async (tx) => {
    const id = await insertRun(tx, {
      zone,
      deliveryDate: target,
      modelId: model.id,
      madeAt,
      dataUntil: new Date(to),
      usesLoad: load !== null,
      hours: targetStarts.map((t, i) => ({
        interval_start: t,
        interval_end: t + 3_600_000,
        p10: p10 ? p10[i] : null,
        p50: p50[i],
        p90: p90 ? p90[i] : null,
      })),
    });
    await writeBackcasts(tx, zone, model.id, [
      ...result.backcasts.map((b) => ({ date: history[b.day].date, point: b.point })),
      { date: target, point: result.point },
    ], madeAt);
    // The training reaches MLflow (through the outbox) if and only if its forecast is stored.
    await logTrainingRun(tx, {
      model_id: model.id,
      kind: "training",
      params: { ...model.params, windows_used: result.windows.join(","), uses_load: load !== null },
      metrics: { history_days: n, backcasts: result.backcasts.length, cpu_ms: Math.round(result.cpuMs) },
      tags: { zone, delivery_date: target, forecast_run_id: id },
      started_at: startedAt,
      ended_at: madeAt,
    });
    return id;
  });
  return {
    status: "stored",
    run: {
      zone,
      deliveryDate: target,
      runId,
      model: { id: model.id, name: model.name, version: model.version },
      params: model.params,
      windows: result.windows,
      usesLoad: load !== null,
      historyDays: n,
      backcasts: result.backcasts.length,
      banded: band !== undefined,
      madeAt,
      cpuMs: result.cpuMs,
    },
  };
}
